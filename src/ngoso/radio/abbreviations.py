"""Local abbreviations: how the radio reads a province's or a commune's own abbreviations.

The one place where they are checked, written, imported and looked up. A bulletin is read with
``for_place(bulletin.place)``: its province's entries plus its commune's (the nearer place wins), passed
to ``ngoso.vntext.normalize(..., abbreviations=...)``, where they win over the built-in dictionary.
Nothing is cached: an entry saved now is used by the next preview and the next reading.

Who may change them: those who approve what goes on air (``radio_approve``: province admin, commune
staff), for their own place (a province admin also for the communes under it). Radio operators see the
list that applies to them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ngoso.accounts import audit
from ngoso.accounts.scope import scoped
from ngoso.core.messages import Message, UserError
from ngoso.people.io import ImportFailed, RowError, find_columns, read_file
from ngoso.places.models import Level, Place

from .models import LocalAbbreviation

MAX_ABBREVIATION = 40
MAX_READING = 200
MAX_NOTE = 300
MAX_IMPORT_ROWS = 5000
LEVELS = (Level.PROVINCE, Level.COMMUNE)
COLUMNS = {"abbreviation": ["Viết tắt", "Abbreviation"], "reading": ["Cách đọc", "Reading"],
           "note": ["Ghi chú", "Note"]}


class AbbreviationError(UserError, ValueError):
    """Bad input: ``field`` names the field, the message (one msgid) the reason."""


@dataclass(frozen=True)
class Clean:
    abbreviation: str
    reading: str
    note: str


_FIELD_NAMES = {"abbreviation": pgettext_lazy("abbreviation field", "abbreviation"),
                "reading": pgettext_lazy("abbreviation field", "reading"),
                "note": pgettext_lazy("abbreviation field", "note")}


def _control(text: str) -> str | None:
    """The first control, format, surrogate or private-use character in ``text`` (all refused), or None. Tabs and
    line breaks (a pasted spreadsheet cell) are whitespace: collapsed to one space."""
    for ch in text:
        if unicodedata.category(ch)[0] == "C" and ch not in "\t\n\r":
            return ch
    return None


def _field(name: str, value, limit: int, required: bool) -> str:
    label = _FIELD_NAMES[name]
    text = "" if value is None else str(value)
    bad = _control(text)
    if bad is not None:
        raise AbbreviationError(_("'%(label)s' contains a control character (U+%(bad)s), which is not allowed"),
                                field=name, label=label, bad=f"{ord(bad):04X}")
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if required and not text:
        raise AbbreviationError(_("'%(label)s' must not be empty"), field=name, label=label)
    if len(text) > limit:
        raise AbbreviationError(_("'%(label)s' is longer than %(limit)s characters (%(text)s)"), field=name,
                                label=label, limit=limit, text=len(text))
    return text


def clean(abbreviation, reading, note="") -> Clean:
    """Checked and tidied fields (NFC, single spaces), or AbbreviationError naming the field."""
    abbr = _field("abbreviation", abbreviation, MAX_ABBREVIATION, True)
    if not any(ch.isalpha() for ch in abbr):
        raise AbbreviationError(_("'abbreviation' must contain at least one letter"), field="abbreviation")
    spoken = _field("reading", reading, MAX_READING, True)
    if not any(ch.isalpha() for ch in spoken):
        raise AbbreviationError(_("'reading' must contain words"), field="reading")
    if any(ch.isdigit() for ch in spoken):
        raise AbbreviationError(_("'reading' must be written in words, without digits"), field="reading")
    if spoken == abbr:
        raise AbbreviationError(_("'reading' is the abbreviation itself"), field="reading")
    return Clean(abbr, spoken, _field("note", note, MAX_NOTE, False))


# --- who and where ----------------------------------------------------------------------------------------

def editable_places(user) -> list[Place]:
    """Places whose list ``user`` may change: their own province or commune, and a province admin's communes."""
    if not (user and user.is_authenticated and user.can("radio_approve")):
        return []
    qs = Place.objects.filter(valid_to__isnull=True, level__in=LEVELS)
    if user.place_id:
        qs = qs.under(user.place)
    elif not user.is_superuser:
        return []
    return list(qs.order_by("path")[:3000])


def can_edit(user, place: Place) -> bool:
    if not (user and user.is_authenticated and user.can("radio_approve")) or place is None:
        return False
    if place.level not in LEVELS or not place.is_current:
        return False
    if user.is_superuser and user.place_id is None:
        return True
    return bool(user.place_id) and place.path.startswith(user.place.path)


def _require_edit(user, place: Place) -> None:
    if not can_edit(user, place):
        raise AbbreviationError(_("you may not change the abbreviations of %(x)s"), field="place",
                                x=place.name if place else '?')


def _ancestor_paths(place: Place) -> list[str]:
    """"24/07351/07351.001/" -> ["24/", "24/07351/", "24/07351/07351.001/"] (paths end with "/")."""
    parts = place.path.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def entries_for(place: Place | None):
    """The entries that apply at ``place``: those of the place and every place above it, nearest last."""
    if place is None:
        return LocalAbbreviation.objects.none()
    return LocalAbbreviation.objects.filter(place__path__in=_ancestor_paths(place)).select_related("place")


def for_place(place: Place | None) -> dict[str, str]:
    """``{abbreviation: reading}`` for a bulletin at ``place`` (a commune's entry wins over its province's)."""
    out: dict[str, str] = {}
    rows = sorted(entries_for(place).values_list("place__path", "abbreviation", "reading"), key=lambda r: len(r[0]))
    for _path, abbr, reading in rows:
        out[abbr] = reading
    return out


def visible(user):
    """Entries ``user`` sees on the list page: those in their area and those of the places above it."""
    mine = scoped(LocalAbbreviation.objects.all(), user)
    if user and user.is_authenticated and user.place_id:
        above = entries_for(user.place)
        return (mine | above).select_related("place").distinct()
    return mine.select_related("place")


# --- writing ----------------------------------------------------------------------------------------------

def _duplicate(place: Place, abbreviation: str, exclude_pk=None) -> AbbreviationError | None:
    qs = LocalAbbreviation.objects.filter(place=place, abbreviation=abbreviation)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        return AbbreviationError(_("'%(abbreviation)s' is already in the list of %(name)s"), field="abbreviation",
                                 abbreviation=abbreviation, name=place.name)
    return None


def add(place: Place, user, abbreviation, reading, note="") -> LocalAbbreviation:
    _require_edit(user, place)
    c = clean(abbreviation, reading, note)
    dup = _duplicate(place, c.abbreviation)
    if dup:
        raise dup
    try:
        with transaction.atomic(), audit.acting_as(user):
            return LocalAbbreviation.objects.create(place=place, abbreviation=c.abbreviation, reading=c.reading,
                                                    note=c.note, created_by=user)
    except IntegrityError:  # the same abbreviation saved at the same moment by someone else
        raise _duplicate(place, c.abbreviation) or AbbreviationError(_("duplicate"), field="abbreviation") from None


def change(entry: LocalAbbreviation, user, abbreviation, reading, note="") -> LocalAbbreviation:
    _require_edit(user, entry.place)
    c = clean(abbreviation, reading, note)
    dup = _duplicate(entry.place, c.abbreviation, exclude_pk=entry.pk)
    if dup:
        raise dup
    entry.abbreviation, entry.reading, entry.note = c.abbreviation, c.reading, c.note
    try:
        with transaction.atomic(), audit.acting_as(user):
            entry.save()
    except IntegrityError:
        raise _duplicate(entry.place, c.abbreviation, entry.pk) or AbbreviationError(_("duplicate"),
                                                                                     field="abbreviation") from None
    return entry


def delete(entry: LocalAbbreviation, user) -> None:
    _require_edit(user, entry.place)
    with transaction.atomic(), audit.acting_as(user):
        entry.delete()


# --- spreadsheet ------------------------------------------------------------------------------------------

@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def import_file(data: bytes, filename: str, place: Place, user) -> ImportSummary:
    """Columns «Viết tắt», «Cách đọc», «Ghi chú» (CSV or XLSX). The whole file or nothing: every row is
    checked and every error names sheet, row, column and reason. An abbreviation already in the place's
    list takes the file's reading and note."""
    if not can_edit(user, place):
        raise ImportFailed([RowError(filename, 0, "",
                                     Message(_("You may not change the abbreviations of %(x)s"),
                                             x=place.name if place else '?'))])
    sheet = read_file(data, filename)[0]
    errors: list[RowError] = []
    cols = find_columns(sheet, COLUMNS, {"abbreviation", "reading"}, errors)
    if errors:
        raise ImportFailed(errors)
    rows, seen = [], {}
    for rownum, r in sheet.rows:
        values = {k: _cell(r[i]) if i < len(r) else "" for k, i in cols.items()}
        if not any(v.strip() for v in values.values()):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            errors.append(RowError(sheet.name, rownum, "",
                                   Message(_("More than %(MAX_IMPORT_ROWS)s rows"), MAX_IMPORT_ROWS=MAX_IMPORT_ROWS)))
            break
        try:
            c = clean(values.get("abbreviation"), values.get("reading"), values.get("note", ""))
        except AbbreviationError as exc:
            errors.append(RowError(sheet.name, rownum, COLUMNS[exc.field][0], exc.message))
            continue
        if c.abbreviation in seen:
            errors.append(RowError(sheet.name, rownum, COLUMNS["abbreviation"][0],
                                   Message(_("'%(abbreviation)s' is already on row %(x)s"),
                                           abbreviation=c.abbreviation, x=seen[c.abbreviation])))
            continue
        seen[c.abbreviation] = rownum
        rows.append(c)
    if errors:
        raise ImportFailed(errors)
    summary = ImportSummary()
    with transaction.atomic(), audit.acting_as(user):
        existing = {e.abbreviation: e for e in LocalAbbreviation.objects.select_for_update().filter(place=place)}
        for c in rows:
            e = existing.get(c.abbreviation)
            if e is None:
                LocalAbbreviation.objects.create(place=place, abbreviation=c.abbreviation, reading=c.reading,
                                                 note=c.note, created_by=user)
                summary.created += 1
            elif (e.reading, e.note) != (c.reading, c.note):
                e.reading, e.note = c.reading, c.note
                e.save()
                summary.updated += 1
            else:
                summary.unchanged += 1
    return summary


def template_xlsx(entries=()) -> bytes:
    """The import file's columns, with ``entries`` filled in (so an export round-trips)."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Viết tắt"
    ws.append([COLUMNS["abbreviation"][0], COLUMNS["reading"][0], COLUMNS["note"][0]])
    for e in entries:
        ws.append([e.abbreviation, e.reading, e.note])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 14, 40, 40
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
