"""Clean at the door: the one place that checks every text, number and date that enters Ngõ Số.

Spreadsheet imports, the sync API, the JSON API and the web forms all call these functions, so a value
refused in one door is refused in every door, with the same words:

- ``bad_character(text, multiline)``: the first control character (C0 except ``\\t`` and, in multi-line
  fields, ``\\n``; DEL; C1; NUL; a lone surrogate) or ``None``;
- ``text(value, field, ...)``: a string, without those characters, no longer than the model field allows;
- ``number(value, field, lo, hi)``: a finite number in range (NaN, Infinity, 1e308 where it makes no sense
  are refused);
- ``date(value, field)``: a real calendar date in a plausible range (2026-02-30, month 13, year 9999 refused);
- ``max_length(model, field)`` / ``bounds(model, field)``: the limits, read from the model so that there is
  one rule.

Every refusal is a ``CleanError`` naming the field, in Vietnamese and English. Pure Python apart from reading
the models' metadata; nothing here writes.
"""

from __future__ import annotations

import datetime
import math
import re

from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import UserError

#: the earliest and latest dates any record of ours can carry (births of living people, visits, reviews)
MIN_YEAR = 1900
MAX_YEAR = 2100

#: a multi-line text field without a max_length of its own (a visit's note, a story) holds at most this
TEXT_MAX = 20_000

LATITUDE = (-90.0, 90.0)
LONGITUDE = (-180.0, 180.0)

# C0 controls except TAB and LF, DEL, C1 controls, and lone surrogates (which cannot be stored as UTF-8).
_BAD_SINGLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_MULTI = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

_NAMES = {0x00: "NUL", 0x09: "TAB", 0x0A: "LF", 0x0B: "VT", 0x0C: "FF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL"}


class CleanError(UserError, ValueError):
    """A value that cannot enter: ``field`` names it, the message (one msgid, ``.text(lang)``) says why."""

    def __str__(self) -> str:
        return f"{self.field}: {super().__str__()}"


def char_name(ch: str) -> str:
    """A readable name for a control character: "U+000B (VT)"."""
    code = ord(ch)
    name = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def bad_character(value: str, multiline: bool = False) -> tuple[int, str] | None:
    """The position and the first character that may not be stored, or None."""
    m = (_BAD_MULTI if multiline else _BAD_SINGLE).search(value)
    return (m.start(), m.group()) if m else None


def check_characters(value: str, field: str, multiline: bool = False) -> str:
    found = bad_character(value, multiline)
    if found is not None:
        pos, ch = found
        raise CleanError(_("'%(field)s' holds the control character %(ch)s at position %(x)s; remove it"),
                         field=field, ch=char_name(ch), x=pos + 1)
    return value


def check_length(value: str, field: str, limit: int | None) -> str:
    if limit is not None and len(value) > limit:
        raise CleanError(_("'%(field)s' is %(value)s characters long, at most %(limit)s"), field=field,
                         value=len(value), limit=limit)
    return value


def text(value, field: str, *, max_length: int | None = None, multiline: bool = False, strip: bool = True) -> str:
    """A string that may be stored: no control characters, at most ``max_length`` characters.

    ``None`` is the empty string; anything but a string is refused (a number where text is expected is a
    client's mistake, not something to guess about)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CleanError(_("'%(field)s' must be text (a string)"), field=field)
    if multiline:
        value = value.replace("\r\n", "\n")
    check_characters(value, field, multiline)
    if strip:
        value = value.strip()
    return check_length(value, field, max_length)


def number(value, field: str, lo: float | None = None, hi: float | None = None) -> float | None:
    """A finite number within [lo, hi]; ``None``/"" is None. Strings with a decimal comma are read."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CleanError(_("'%(field)s' must be a number"), field=field)
    if isinstance(value, str):
        try:
            x = float(value.strip().replace(",", "."))
        except ValueError:
            raise CleanError(_("'%(field)s': '%(x)s' is not a number"), field=field, x=value[:40]) from None
    elif isinstance(value, int | float):
        try:
            x = float(value)
        except OverflowError:
            x = math.inf
    else:
        raise CleanError(_("'%(field)s' must be a number"), field=field)
    if not math.isfinite(x):
        raise CleanError(_("'%(field)s' must be a finite number (not NaN or infinity)"), field=field)
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise CleanError(_("'%(field)s' = %(x)s is outside %(lo)s…%(hi)s"), field=field, x=f"{x:g}", lo=f"{lo:g}",
                         hi=f"{hi:g}")
    return x


def latitude(value, field: str = "latitude") -> float | None:
    return number(value, field, *LATITUDE)


def longitude(value, field: str = "longitude") -> float | None:
    return number(value, field, *LONGITUDE)


_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def date(value, field: str, min_year: int = MIN_YEAR, max_year: int = MAX_YEAR) -> datetime.date | None:
    """A real date written YYYY-MM-DD between ``min_year`` and ``max_year``; None/"" is None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        d = value
    else:
        m = _DATE.fullmatch(value.strip()) if isinstance(value, str) else None
        if m is None:
            raise CleanError(_("'%(field)s': '%(x)s' is not a date (YYYY-MM-DD)"), field=field, x=str(value)[:40])
        try:
            d = datetime.date(*map(int, m.groups()))
        except ValueError:
            raise CleanError(_("'%(field)s': %(value)s is not a real date (month 1–12, a day the month has)"),
                             field=field, value=value) from None
    if not min_year <= d.year <= max_year:
        raise CleanError(_("'%(field)s': year %(year)s is outside %(min_year)s–%(max_year)s"), field=field,
                         year=d.year, min_year=min_year, max_year=max_year)
    return d


def datetime_(value, field: str, min_year: int = MIN_YEAR, max_year: int = MAX_YEAR) -> datetime.datetime | None:
    """An ISO 8601 moment (aware or naive) with a real date in range; None/"" is None."""
    from django.utils.dateparse import parse_datetime

    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CleanError(_("'%(field)s' must be an ISO 8601 string"), field=field)
    try:
        dt = parse_datetime(value.strip())
    except ValueError:  # well formed, but not a real moment: 2026-02-30T10:00, 25:70
        dt = None
    if dt is None:
        raise CleanError(_("'%(field)s': '%(x)s' is not a real moment (YYYY-MM-DDTHH:MM)"), field=field,
                         x=value[:40])
    if not min_year <= dt.year <= max_year:
        raise CleanError(_("'%(field)s': year %(year)s is outside %(min_year)s–%(max_year)s"), field=field,
                         year=dt.year, min_year=min_year, max_year=max_year)
    return dt


# --- limits read from the models ----------------------------------------------------------------------

def max_length(model, field: str) -> int | None:
    """The model field's max_length (None for a TextField without one)."""
    return getattr(model._meta.get_field(field), "max_length", None)


def bounds(model, field: str) -> tuple[float | None, float | None]:
    """(lo, hi) from the model field's Min/MaxValueValidators, or (None, None)."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    lo = hi = None
    for v in model._meta.get_field(field).validators:
        if isinstance(v, MinValueValidator):
            lo = v.limit_value
        elif isinstance(v, MaxValueValidator):
            hi = v.limit_value
    return lo, hi


def model_text(model, field: str, value, label: str | None = None, multiline: bool | None = None) -> str:
    """``text()`` with the limits of ``model.field``: its max_length (``TEXT_MAX`` for a TextField without
    one), multi-line if it is a TextField."""
    from django.db import models

    f = model._meta.get_field(field)
    if multiline is None:
        multiline = isinstance(f, models.TextField)
    limit = getattr(f, "max_length", None) or (TEXT_MAX if isinstance(f, models.TextField) else None)
    return text(value, label or field, max_length=limit, multiline=multiline)


# --- web forms ------------------------------------------------------------------------------------------

class CleanFormMixin:
    """Mix into a Django form: every text field is checked for control characters by ``check_characters``
    (Django's own fields already check max_length and that numbers are finite), textareas may hold new
    lines and tabs; dates must lie in MIN_YEAR…MAX_YEAR; a field named latitude/longitude must be a
    coordinate."""

    def clean(self):
        from django import forms

        data = super().clean()
        for name, value in list(data.items()):
            field = self.fields.get(name)
            label = str(field.label or name) if field else name
            try:
                if isinstance(value, str):
                    multiline = field is not None and isinstance(field.widget, forms.Textarea)
                    check_characters(value.replace("\r\n", "\n") if multiline else value, label, multiline)
                elif isinstance(value, datetime.date):
                    date(value, label)
                elif isinstance(value, int | float) and name in ("latitude", "longitude"):
                    number(value, label, *(LATITUDE if name == "latitude" else LONGITUDE))
            except CleanError as exc:
                self.add_error(name, exc.text())
        return data


# --- JSON bodies ----------------------------------------------------------------------------------------

MAX_JSON_DEPTH = 32


def _no_constant(name: str):
    raise CleanError(_("JSON may not hold '%(name)s': send a finite number or null"), field="JSON", name=name)


def _finite_float(text_: str) -> float:
    x = float(text_)
    if not math.isfinite(x):
        raise CleanError(_("The number '%(x)s' is too large (infinite)"), field="JSON", x=text_[:40])
    return x


def json_loads(body: bytes | str, max_depth: int = MAX_JSON_DEPTH):
    """Strict JSON: UTF-8, no NaN/Infinity/1e400, nested at most ``max_depth`` deep. Raises CleanError."""
    import json

    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise CleanError(_("The body is not UTF-8"), field="JSON") from None
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except RecursionError:
        data, too_deep = None, True
    except CleanError:
        raise
    except json.JSONDecodeError as exc:
        raise CleanError(_("Broken or truncated JSON at line %(lineno)s, column %(colno)s: %(msg)s"), field="JSON",
                         lineno=exc.lineno, colno=exc.colno, msg=exc.msg) from None
    except ValueError:  # an integer of more than 4,300 digits
        raise CleanError(_("JSON holds a number that is too long"), field="JSON") from None
    else:
        too_deep = _depth(data) > max_depth
    if too_deep:
        raise CleanError(_("JSON nested too deeply (at most %(max_depth)s levels)"), field="JSON",
                         max_depth=max_depth)
    return data


def check_json_strings(data, root: str = "") -> None:
    """Refuse a control character in any key or string of a parsed JSON document (new lines and tabs pass),
    naming where it is: «items[2].title»."""
    stack = [(data, root)]
    while stack:
        x, where = stack.pop()
        if isinstance(x, str):
            check_characters(x.replace("\r\n", "\n"), where or "JSON", multiline=True)
        elif isinstance(x, dict):
            for k, v in x.items():
                key = f"{where}.{k}" if where else str(k)
                check_characters(str(k), key, multiline=False)
                stack.append((v, key))
        elif isinstance(x, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(x))


def _depth(data) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, dict | list):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH * 4:
                return d
            stack.extend((v, d + 1) for v in (x.values() if isinstance(x, dict) else x))
    return deepest


# --- redirects ------------------------------------------------------------------------------------------

def safe_next(request, value, default: str) -> str:
    """Where to go after a form: ``value`` (a ``next`` parameter) only if it is a relative path on this site
    (``/…``, not ``//host``, no scheme such as ``javascript:``, no control character); else ``default`` (a
    URL name or path). Never raises."""
    from django.shortcuts import resolve_url
    from django.utils.http import url_has_allowed_host_and_scheme

    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")) \
            and bad_character(value) is None \
            and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return value
    return resolve_url(default)


# --- every web request ----------------------------------------------------------------------------------

def request_problem(request) -> tuple[str, str, int, str] | None:
    """The first query-string or form value (or name) holding a control character: (where, name, position,
    character), or None. New lines and tabs are allowed (any field may be a textarea); files are not read."""
    sources = [("GET", request.GET)]
    if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                              "multipart/form-data"):
        try:
            sources.append(("POST", request.POST))
        except Exception:  # noqa: BLE001 - a body too large or broken is the view's (or Django's) to answer
            pass
    for where, data in sources:
        for name, values in data.lists():
            for value in (name, *values):
                found = bad_character(value.replace("\r\n", "\n"), multiline=True)
                if found is not None:
                    return where, name, found[0], found[1]
    return None


# How a JSON endpoint answers this 400: the API's one error shape, registered by the api app
# (``ApiConfig.ready``: ``json_error(fn)``; ``fn(status, vi, en, details, code)`` returns the response).
_json_error = None


def json_error(fn):
    global _json_error
    _json_error = fn
    return fn


class CleanInputMiddleware:
    """Clean at the door for every page: a query string or form value with a control character (NUL, VT,
    ESC, DEL, C1…) is refused with a 400 naming the field, before any view, search or database sees it.
    Forms and services still check lengths and meaning; this is the one check no field needs to differ on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = request_problem(request)
        if problem is None:
            return self.get_response(request)
        where, name, pos, ch = problem
        vi = (f"Trường «{name[:60]}» có ký tự điều khiển {char_name(ch)} ở vị trí {pos + 1}; hãy xoá nó rồi gửi "
              "lại (dữ liệu chưa được ghi)")
        en = (f"The field '{name[:60]}' holds the control character {char_name(ch)} at position {pos + 1}; remove "
              "it and send again (nothing was saved)")
        if _json_error is not None and (request.path.startswith("/api/") or request.path.endswith(".json")
                or "application/json" in request.headers.get("Accept", "")):  # a JSON endpoint answers JSON
            return _json_error(400, vi, en, {"field": name[:60], "in": where}, code="control_character")
        from django.http import HttpResponseBadRequest
        from django.utils.html import escape

        return HttpResponseBadRequest(f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>400</title>'
                                      f'<p>{escape(vi)}</p><p lang="en">{escape(en)}</p></html>')
