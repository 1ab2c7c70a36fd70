"""Lessons: the library and its versions, audiences, translations, audio, handouts and self-checks.

Views, the CLI, the field app's sync and the tests all call these functions."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.accounts import audit, permissions
from ngoso.accounts.models import AuditEntry
from ngoso.accounts.scope import scoped
from ngoso.core import files, xlsx
from ngoso.core.messages import Message, UserError
from ngoso.core.pdf import html_to_pdf
from ngoso.core.public import public_base
from ngoso.core.text import fold
from ngoso.people.io import ImportFailed, RowError, find_columns, read_file
from ngoso.people.models import Household, Resident
from ngoso.people.targets import ELDERLY_AGE, is_elderly
from ngoso.skills.models import Level, Skill
from ngoso.speech import VOICES, synthesize
from ngoso.visits import services as visits
from ngoso.visits.models import ResidentSkill

from . import content as C
from .models import HandoutLink, LessonVersion, SelfCheck

log = logging.getLogger(__name__)

LINK_DAYS = 60          # a handout's personal code works for two months
LINK_ATTEMPTS = 5       # self-check attempts per code: enough to retry, too few to game a level
ELDERLY_RATE = 140  # words per minute read aloud for older listeners (espeak-ng's default is 175)


class LessonError(UserError, ValueError):
    """A refusal told to the user (one msgid; ``str()`` is the Vietnamese)."""

    def __str__(self) -> str:
        return self.vi


# --- loading the shipped lessons -----------------------------------------------------------------------------

def package_files() -> list[Path]:
    return sorted((C.DATA / "lessons").glob("*.json"))


def load_package_lessons() -> int:
    """Load the shipped Vietnamese and English lessons (idempotent; run after every migrate).

    A variant gets a new version when the data file's version is newer than the last one loaded — unless
    province staff have edited it since: their text stays current and the shipped update is logged, not forced."""
    latest: dict[tuple, LessonVersion] = {}
    for v in LessonVersion.objects.filter(language__in=C.REQUIRED_LANGUAGES).order_by("number"):
        latest[(v.skill_code, v.language, v.audience)] = v
    last_pkg = {(s, lang, a): pv for s, lang, a, pv in LessonVersion.objects.filter(source="package").values_list(
        "skill_code", "language", "audience").annotate(pv=Max("package_version"))}
    new = []
    for path in package_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        skill, version = data["skill"], int(data["version"])
        for lang in C.REQUIRED_LANGUAGES:
            for aud in C.AUDIENCES:
                key = (skill, lang, aud)
                cur = latest.get(key)
                if cur is not None and last_pkg.get(key, 0) >= version:
                    continue
                if cur is not None and cur.source != LessonVersion.Source.PACKAGE:
                    log.warning("lesson %s/%s/%s: shipped version %s not applied over a staff edit", *key, version)
                    continue
                new.append(LessonVersion(skill_code=skill, language=lang, audience=aud,
                                         number=(cur.number + 1) if cur else 1,
                                         content=C.validate(data[lang][aud]), source=LessonVersion.Source.PACKAGE,
                                         package_version=version))
    LessonVersion.objects.bulk_create(new)
    return len(new)


# --- reading ----------------------------------------------------------------------------------------------------

def current(skill_code: str, language: str = "vi", audience: str = "standard") -> LessonVersion | None:
    return LessonVersion.objects.filter(skill_code=skill_code, language=language, audience=audience) \
        .order_by("-number").first()


def current_versions(language: str, audience: str) -> dict[str, LessonVersion]:
    """The current version of every lesson in one language and audience, by skill code (two queries)."""
    tops = LessonVersion.objects.filter(language=language, audience=audience).values("skill_code") \
        .annotate(n=Max("number")).values_list("skill_code", "n")
    wanted = dict(tops)
    if not wanted:
        return {}
    out = {}
    for v in LessonVersion.objects.filter(language=language, audience=audience, skill_code__in=list(wanted)):
        if wanted[v.skill_code] == v.number:
            out[v.skill_code] = v
    return out


def skills():
    return Skill.objects.filter(catalogue__is_current=True).select_related("area").order_by("area__order", "order")


def get_skill(code: str):
    s = skills().filter(code=code).first()
    if s is None:
        raise LessonError(_("No skill '%(code_)s' in the catalogue"), code_=code)
    return s


@dataclass
class Shown:
    """A lesson as shown: the variant asked for, or its Vietnamese where a translation is missing."""
    skill: object
    language: str
    audience: str
    version: LessonVersion
    reference: LessonVersion | None      # the Vietnamese it translates (minority languages)
    pieces: dict                          # content.merge_fallback(...) shape
    translated_share: float

    @property
    def is_translation(self) -> bool:
        return self.reference is not None

    @property
    def words(self) -> dict:
        """Its printed headings ("Các bước" / "Steps") in its own language (``content.words``)."""
        return C.words(self.language)

    @property
    def title(self) -> str:
        return self.pieces["title"]["text"]

    @property
    def stale(self) -> bool:
        return bool(self.reference and self.version.based_on and self.version.based_on < self.reference.number)


def show(skill_code: str, language: str = "vi", audience: str = "standard") -> Shown:
    if audience not in C.AUDIENCES:
        raise LessonError(_("Unknown audience '%(audience)s'"), audience=audience)
    if language not in C.languages():
        raise LessonError(_("Unknown language '%(language)s'"), language=language)
    skill = get_skill(skill_code)
    vi = current(skill_code, "vi", audience)
    if vi is None:
        raise LessonError(_("No lesson for skill '%(skill_code)s' yet"), skill_code=skill_code)
    if language in C.REQUIRED_LANGUAGES:
        v = current(skill_code, language, audience) or vi
        return Shown(skill, v.language, audience, v, None, C.merge_fallback(v.content, v.content), 1.0)
    tr = current(skill_code, language, audience)
    if tr is None:  # no translation yet: the Vietnamese, said plainly by the page
        return Shown(skill, "vi", audience, vi, None, C.merge_fallback(vi.content, vi.content), 1.0)
    return Shown(skill, language, audience, tr, vi, C.merge_fallback(tr.content, vi.content),
                 C.translated_share(tr.content))


def audience_for(resident: Resident, year: int | None = None) -> str:
    """The variant a resident is shown: large print for people aged 60 and over."""
    return "elderly" if is_elderly(resident.birth_year, year) else "standard"


def language_for(resident: Resident) -> str:
    """Vietnamese, or the resident's group's language when a province has imported lessons in it."""
    lang = C.language_for_ethnicity(resident.ethnicity.code if resident.ethnicity_id else None)
    if lang and LessonVersion.objects.filter(language=lang).exists():
        return lang
    return "vi"


def history(skill_code: str, language: str, audience: str):
    return LessonVersion.objects.filter(skill_code=skill_code, language=language, audience=audience) \
        .select_related("author").order_by("-number")


def library(language: str = "vi", audience: str = "standard") -> list[dict]:
    """Every skill of the current catalogue with its lesson title, grouped by area in catalogue order."""
    vi = current_versions("vi", audience)
    own = current_versions(language, audience) if language != "vi" else vi
    areas: dict = {}
    for s in skills():
        lv = own.get(s.code) or vi.get(s.code)
        areas.setdefault(s.area, []).append({
            "skill": s, "title": (lv.content["title"] or vi[s.code].content["title"]) if lv else None,
            "translated": s.code in own, "version": lv.number if lv else None})
    return [{"area": a, "lessons": items} for a, items in areas.items()]


def missing_variants() -> list[tuple[str, str, str]]:
    """(skill, language, audience) of the current catalogue with no lesson: must be empty."""
    have = set(LessonVersion.objects.values_list("skill_code", "language", "audience").distinct())
    return [(s.code, lang, a) for s in skills() for lang in C.REQUIRED_LANGUAGES for a in C.AUDIENCES
            if (s.code, lang, a) not in have]


# --- editing --------------------------------------------------------------------------------------------------

def _require_edit(user) -> None:
    permissions.require(user, "change", LessonVersion)


def edit(user, skill_code: str, language: str, audience: str, new_content: dict, note: str = "") -> LessonVersion:
    """Save a new version of a variant. Raises ContentError (every fault listed) or LessonError; writes nothing then.

    Returns the current version unchanged when the content is the same."""
    _require_edit(user)
    get_skill(skill_code)
    if audience not in C.AUDIENCES or language not in C.languages():
        raise LessonError(_("Invalid language or audience"))
    translation = language not in C.REQUIRED_LANGUAGES
    clean = C.validate(new_content, translation=translation)
    reference = current(skill_code, "vi", audience) if translation else None
    if translation:
        if reference is None:
            raise LessonError(_("No Vietnamese lesson to translate"))
        _same_shape(clean, reference.content)
    with transaction.atomic():
        cur = LessonVersion.objects.select_for_update().filter(
            skill_code=skill_code, language=language, audience=audience).order_by("-number").first()
        if cur is not None and cur.content == clean:
            return cur
        return LessonVersion.objects.create(
            skill_code=skill_code, language=language, audience=audience, number=(cur.number + 1) if cur else 1,
            content=clean, source=LessonVersion.Source.EDIT, author=user, note=note[:300],
            based_on=reference.number if reference else None)


def _same_shape(tr: dict, ref: dict) -> None:
    problems = []
    for key in C.LIST_FIELDS + ("check",):
        if len(tr[key]) != len(ref[key]):
            problems.append(C.Problem(key,
                                     Message(_("the translation has %(x)s items, the Vietnamese %(x2)s"),
                                             x=len(tr[key]), x2=len(ref[key]))))
    for i, (a, b) in enumerate(zip(tr["check"], ref["check"]), start=1):
        if len(a["options"]) != len(b["options"]) or a["answer"] != b["answer"]:
            problems.append(C.Problem(f"check.{i}", _("options and answer must match the Vietnamese")))
    if problems:
        raise C.ContentError(problems)


def restore(user, version: LessonVersion, note: str = "") -> LessonVersion:
    return edit(user, version.skill_code, version.language, version.audience, version.content,
                note or f"Khôi phục phiên bản {version.number}")


# The plain-text form staff edit in the browser: one item per line; questions as "? question" followed by
# options "- wrong" / "* right".

def to_form(c: dict) -> dict:
    checks = []
    for q in c["check"]:
        checks.append("? " + q["q"])
        checks += [("* " if i == q["answer"] else "- ") + o for i, o in enumerate(q["options"])]
        checks.append("")
    return {"title": c["title"], "purpose": c["purpose"], **{k: "\n".join(c[k]) for k in C.LIST_FIELDS},
            "check": "\n".join(checks).strip()}


def from_form(data) -> dict:
    """The edit form back to content; questions parsed from the "? / - / *" lines. Raises ContentError."""
    out = {"title": data.get("title", ""), "purpose": data.get("purpose", "")}
    for k in C.LIST_FIELDS:
        out[k] = [line.strip() for line in data.get(k, "").splitlines() if line.strip()]
    checks, problems = [], []
    for n, raw in enumerate(data.get("check", "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("?"):
            checks.append({"q": line[1:].strip(), "options": [], "answer": None})
        elif line[0] in "-*" and checks:
            if line[0] == "*":
                if checks[-1]["answer"] is not None:
                    problems.append(C.Problem(f"check.{len(checks)}",
                                             Message(_("line %(n)s: one right answer (*) per question"), n=n)))
                checks[-1]["answer"] = len(checks[-1]["options"])
            checks[-1]["options"].append(line[1:].strip())
        else:
            problems.append(C.Problem("check",
                                     Message(_("line %(n)s: start a question with '?', an option with '-', the right one with '*'"), n=n)))
    for i, q in enumerate(checks, start=1):
        if q["answer"] is None:
            problems.append(C.Problem(f"check.{i}", _("no right answer marked with '*'")))
            q["answer"] = 0
    out["check"] = checks
    try:
        clean = C.validate(out, translation=bool(data.get("_translation")))
    except C.ContentError as exc:
        raise C.ContentError(problems + exc.problems) from None
    if problems:
        raise C.ContentError(problems)
    return clean


# --- translations into minority languages: a spreadsheet out, the same spreadsheet back in ----------------------

TR_COLUMNS = {"skill": ["Mã kỹ năng", "Skill code"], "audience": ["Đối tượng", "Audience"],
              "path": ["Vị trí", "Position"], "vi": ["Tiếng Việt", "Vietnamese"],
              "text": ["Bản dịch", "Translation"]}
AUDIENCE_WORDS = {"standard": "standard", "pho thong": "standard", "elderly": "elderly",
                  "nguoi cao tuoi": "elderly"}


def translation_template(language: str) -> bytes:
    """An XLSX with every piece of Vietnamese text of every lesson and the current translation (if any)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    lang = C.languages().get(language)
    if lang is None or lang.shipped:
        raise LessonError(_("'%(language)s' is not a minority language"), language=language)
    wb = Workbook()
    ws = wb.active
    ws.title = "Bản dịch"
    xlsx.append(ws, [TR_COLUMNS[k][0] for k in ("skill", "audience", "path", "vi", "text")])
    for c in ws[1]:
        c.font = Font(bold=True)
    for aud in C.AUDIENCES:
        vi = current_versions("vi", aud)
        tr = current_versions(language, aud)
        for s in skills():
            if s.code not in vi:
                continue
            have = dict(C.pieces(tr[s.code].content)) if s.code in tr else {}
            for path, text in C.pieces(vi[s.code].content):
                xlsx.append(ws, [s.code, aud, path, text, have.get(path, "")])
    for col, width in zip("ABCDE", (22, 10, 18, 70, 70)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for c in row[3:]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "D2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class TranslationImport:
    language: str
    lessons: int = 0
    pieces: int = 0
    rows: int = 0


def import_translations(data: bytes, filename: str, user, language: str) -> TranslationImport:
    """Import a filled translation template. Every row is checked first; any fault rejects the whole file
    (ImportFailed with each row's error) and nothing is written. Empty translation cells keep what was there."""
    _require_edit(user)
    lang = C.languages().get(language)
    if lang is None or lang.shipped:
        raise LessonError(_("'%(language)s' is not a minority language"), language=language)
    sheets = read_file(data, filename)
    if not sheets:
        raise ImportFailed([RowError(Path(filename).name, 0, "", _("The file is empty"))])
    sheet = sheets[0]
    errors: list[RowError] = []
    cols = find_columns(sheet, TR_COLUMNS, set(TR_COLUMNS) - {"vi"}, errors)
    if errors:
        raise ImportFailed(errors)
    refs = {aud: current_versions("vi", aud) for aud in C.AUDIENCES}
    cur = {aud: current_versions(language, aud) for aud in C.AUDIENCES}
    drafts: dict[tuple[str, str], dict] = {}
    seen: dict[tuple, int] = {}
    result = TranslationImport(language)

    def cell(r, key):
        i = cols.get(key)
        v = r[i] if i is not None and i < len(r) else None
        return "" if v is None else str(v).strip()

    for rownum, r in sheet.rows:
        if not any(x not in (None, "") for x in r):
            continue
        result.rows += 1
        err = lambda col, message: errors.append(RowError(sheet.name, rownum, col, message))  # noqa: E731
        code, aud_raw, path, text = cell(r, "skill"), cell(r, "audience"), cell(r, "path"), cell(r, "text")
        aud = AUDIENCE_WORDS.get(fold(aud_raw))
        if aud is None:
            err(TR_COLUMNS["audience"][0], Message(_("Unknown audience '%(aud_raw)s'"), aud_raw=aud_raw))
            continue
        ref = refs[aud].get(code)
        if ref is None:
            err(TR_COLUMNS["skill"][0], Message(_("No lesson for skill '%(code_)s'"), code_=code))
            continue
        if (code, aud, path) in seen:
            err(TR_COLUMNS["path"][0],
                Message(_("'%(path)s' repeats row %(x)s"), path=path, x=seen[(code, aud, path)]))
            continue
        seen[(code, aud, path)] = rownum
        if len(text) > C.MAX_TEXT:
            err(TR_COLUMNS["text"][0], Message(_("Longer than %(MAX_TEXT)s characters"), MAX_TEXT=C.MAX_TEXT))
            continue
        draft = drafts.get((code, aud))
        if draft is None:
            draft = drafts[(code, aud)] = _draft_from(cur[aud].get(code), ref)
        try:
            if text:
                C.put(draft, path, text)
            else:
                C.put(dict(C.empty_like(ref.content)), path, "")  # the path must exist even when left empty
        except KeyError:
            err(TR_COLUMNS["path"][0],
                Message(_("Position '%(path)s' is not in the current lesson (download a new template)"), path=path))
            continue
        if text:
            result.pieces += 1
    if errors:
        raise ImportFailed(errors)
    with transaction.atomic(), audit.acting_as(user):
        for (code, aud), draft in drafts.items():
            before = cur[aud].get(code)
            if before is not None and before.content == draft:
                continue
            if before is None and not any(t for _, t in C.pieces(draft)):
                continue
            LessonVersion.objects.create(
                skill_code=code, language=language, audience=aud, number=(before.number + 1) if before else 1,
                content=draft, source=LessonVersion.Source.IMPORT, author=user, based_on=refs[aud][code].number,
                note=f"Nhập từ {Path(filename).name}"[:300])
            result.lessons += 1
        audit.record_event(AuditEntry.Action.IMPORT, "lessons.LessonVersion", "",
                           {"language": language, "file": Path(filename).name, "lessons": result.lessons,
                            "pieces": result.pieces}, object_repr=f"translations {language}")
    return result


def _draft_from(base: LessonVersion | None, ref: LessonVersion) -> dict:
    """What an import starts from: the current translation; when the Vietnamese has changed shape since it was
    translated (a step added or removed), each translated line is carried over to wherever its Vietnamese
    line is now, so nothing translated is lost."""
    if base is None:
        return C.empty_like(ref.content)
    if _shape_ok(base.content, ref.content):
        return json.loads(json.dumps(base.content))
    draft = C.empty_like(ref.content)
    old_ref = LessonVersion.objects.filter(skill_code=ref.skill_code, language="vi", audience=ref.audience,
                                           number=base.based_on).first()
    if old_ref is not None:
        translated = dict(C.pieces(base.content))
        by_text = {vi: translated[path] for path, vi in C.pieces(old_ref.content) if translated.get(path)}
        for path, vi in C.pieces(ref.content):
            if vi in by_text:
                C.put(draft, path, by_text[vi])
    return draft


def _shape_ok(tr: dict, ref: dict) -> bool:
    try:
        _same_shape(tr, ref)
    except C.ContentError:
        return False
    return True


def translation_progress(language: str) -> list[dict]:
    out = []
    for aud in C.AUDIENCES:
        vi = current_versions("vi", aud)
        tr = current_versions(language, aud)
        for s in skills():
            t = tr.get(s.code)
            out.append({"skill": s, "audience": aud, "share": C.translated_share(t.content) if t else 0.0,
                        "stale": bool(t and vi.get(s.code) and t.based_on and t.based_on < vi[s.code].number)})
    return out


# --- read aloud -------------------------------------------------------------------------------------------------

def audio_dir() -> Path:
    """The lesson audio's folder in the default (file-system) storage ``cache``."""
    return files.root("cache") / "lesson-audio"


def audio_target(skill_code: str, audience: str, part: str = "all", voice: str = "north") -> tuple[str, str, float | None]:
    """Where the lesson (or one step) read aloud is kept, and what is read: (its name in the storage ``cache``,
    ``lesson-audio/<key>.ogg``; the text; the rate). Renders nothing; raises LessonError for an unknown voice,
    skill or step.

    The cache key is the text itself, so an edited lesson gets new audio and an unchanged one never re-renders."""
    if voice not in VOICES:
        raise LessonError(_("Unknown voice '%(voice)s'"), voice=voice)
    v = current(skill_code, "vi", audience)
    if v is None:
        raise LessonError(_("No lesson for skill '%(skill_code)s'"), skill_code=skill_code)
    try:
        text = C.spoken_text(v.content, part)
    except ValueError as exc:
        raise LessonError(_("No step '%(part)s'"), part=part) from None
    rate = ELDERLY_RATE if audience == "elderly" else None
    key = hashlib.sha256(json.dumps([text, voice, rate]).encode()).hexdigest()[:32]
    return f"lesson-audio/{key}.ogg", text, rate


def audio_file(skill_code: str, audience: str, part: str = "all", voice: str = "north") -> str:
    """The lesson (or one step) read aloud in Vietnamese, as Ogg Vorbis; made once, then served from the cache:
    its name in the storage ``cache``. Renders (espeak) when not cached: called by the ``lesson_audio`` job and
    the CLI, never by a web request (the page asks ``audio_target`` and queues the job)."""
    name, text, rate = audio_target(skill_code, audience, part, voice)
    if not files.exists("cache", name):
        with files.writing("cache", name) as tmp:  # whole or not at all; two makers at once: the last wins
            synthesize(text, tmp, voice=voice, rate=rate)
    return name


# --- links, QR codes and personal self-check links ------------------------------------------------------------------

def lesson_path(skill_code: str, audience: str = "standard", language: str = "vi", token: str | None = None) -> str:
    path = reverse("lesson", args=[skill_code])
    q = [f"a={audience}"] + ([f"l={language}"] if language != "vi" else []) + ([f"t={token}"] if token else [])
    return path + "?" + "&".join(q)


def qr_png_data_uri(url: str, scale: int = 5) -> str:
    import segno

    return segno.make(url, error="m").png_data_uri(scale=scale, border=2)


def handout_link(resident: Resident, skill_code: str, user, today: datetime.date | None = None) -> HandoutLink:
    """The resident's personal code for this lesson: the one still usable, or a new one. Only who may make one
    for this resident (``HandoutLink.WRITE_ROLES``, in their area) receives it."""
    permissions.require(user, "create", HandoutLink(resident=resident, skill_code=skill_code))
    today = today or timezone.localdate()
    link = HandoutLink.objects.filter(resident=resident, skill_code=skill_code, expires_on__gte=today,
                                      attempts__lt=LINK_ATTEMPTS).order_by("-expires_on").first()
    if link is None:
        link = HandoutLink.objects.create(token=secrets.token_urlsafe(9), resident=resident, skill_code=skill_code,
                                          created_by=user,
                                          expires_on=today + datetime.timedelta(days=LINK_DAYS))
    return link


def read_token(token: str, skill_code: str, today: datetime.date | None = None) -> HandoutLink:
    """The handout link behind a code, if it may still record a self-check. Raises LessonError saying why not."""
    link = HandoutLink.objects.select_related("resident__household__village").filter(token=token).first()
    if link is None:
        raise LessonError(_("The handout's code is not valid"))
    if link.skill_code != skill_code:
        raise LessonError(_("This code belongs to another lesson"))
    if link.expires_on < (today or timezone.localdate()):
        raise LessonError(_("The handout's code has expired; ask the team for a new handout"))
    if link.attempts >= LINK_ATTEMPTS:
        raise LessonError(_("This handout's code has no self-check attempts left; ask the team to check with you"))
    return link


# --- handouts ------------------------------------------------------------------------------------------------

PAGE_SIZES = ("A5", "A4")


def check_size(size: str) -> None:
    if size not in PAGE_SIZES:
        raise LessonError(_("Unknown page size '%(size)s' (A5, A4)"), size=size)


HANDOUT_LAYOUT = 2  # part of a kept handout's name: a new layout is printed again, never served from before it
#                    (2: the headings in the handout's language; English handouts had Vietnamese headings)


def handout_target(skill_code: str, audience: str = "standard", language: str = "vi", size: str = "A5",
                   base_url: str | None = None) -> tuple[str, Shown, str]:
    """Where the handout for this lesson text, size and address is kept: (its name in the storage ``cache``,
    the shown lesson, its address).
    Renders nothing; raises LessonError for an unknown size or lesson. The same lesson text, size and address
    always print the same, so the PDF is kept (a public page must not cost a render per request)."""
    check_size(size)
    shown = show(skill_code, language, audience)
    url = (base_url or public_base()) + lesson_path(skill_code, audience, language)
    key = hashlib.sha256(json.dumps([shown.pieces, size, url, audience, HANDOUT_LAYOUT]).encode()).hexdigest()[:32]
    return f"handouts/{key}.pdf", shown, url  # in the storage "cache"


def handout_pdf(skill_code: str, audience: str = "standard", language: str = "vi", size: str = "A5",
                base_url: str | None = None) -> bytes:
    """A printable handout: the lesson in large type with a QR code that opens it on a phone. Renders when not
    cached: called by the ``lesson_handout`` job and the CLI; the page serves ``handout_target`` or queues."""
    cached, shown, url = handout_target(skill_code, audience, language, size, base_url)
    try:
        return files.read("cache", cached)
    except (FileNotFoundError, OSError):
        pass
    html = render_to_string("lessons/handout.html", {
        "size": size, "pages": [{"shown": shown, "url": url, "qr": qr_png_data_uri(url)}],
        "audience": audience})
    pdf = _pdf(html)
    files.save("cache", cached, pdf)
    return pdf


def _pdf(html: str) -> bytes:
    return html_to_pdf(html, base_url=str(settings.BASE_DIR))


@dataclass
class Batch:
    pdf: bytes
    households: int
    lessons: int


def batch_plan(user, member=None, day: datetime.date | None = None, per_resident: int = 2,
               households: set[str] | None = None, skills: set[str] | None = None) -> tuple:
    """What a handout batch for ``day`` (tomorrow by default) would hold: the member's list for that day, in
    its order, with each resident (10 and over) and their next skills (``visits.next_skills``), limited to
    the chosen household codes and skill codes when given. Returns (member, day, [{household, people:
    [{resident, skills}]}]); the choice page shows it and ``tomorrow_batch`` prints it."""

    member = member or visits.member_for(user)
    permissions.require(user, "create", HandoutLink)  # each household is then looked up within the user's area
    if member is None:
        raise PermissionDenied(Message(_("only a team member prints handouts for their day")))
    day = day or timezone.localdate() + datetime.timedelta(days=1)
    plan = visits.todays_list(member, today=day)
    allowed = set(scoped(Household.objects.filter(pk__in=[p.household.pk for p in plan.stops]), user)
                  .values_list("pk", flat=True))
    out = []
    for stop in plan.stops:
        h = stop.household
        if h.pk not in allowed or (households is not None and h.code not in households):
            continue
        people = []
        for r in h.residents.select_related("ethnicity").order_by("birth_year"):
            if r.age(day.year) < 10:
                continue
            chosen = [s for s in visits.next_skills(r, limit=per_resident) if skills is None or s.code in skills]
            if chosen:
                people.append({"resident": r, "skills": chosen})
        if people:
            out.append({"household": h, "people": people})
    return member, day, out


def tomorrow_batch(user, member=None, day: datetime.date | None = None, size: str = "A5", base_url: str | None = None,
                   per_resident: int = 2, households: set[str] | None = None, skills: set[str] | None = None
                   ) -> Batch:
    """Handouts for the households on the member's list for ``day`` (tomorrow by default; only the chosen
    ``households`` and ``skills`` when given): for each resident their next skills, each with a personal QR
    code (the lesson, and their self-check recorded to them).

    Printing names on paper is an export of personal data: it is audited."""
    check_size(size)
    member, day, planned = batch_plan(user, member, day, per_resident, households, skills)
    base = base_url or public_base()
    shown_cache: dict[tuple, Shown] = {}
    links = []
    households_out, n = [], 0
    for entry in planned:
        h = entry["household"]
        people = []
        for p in entry["people"]:
            r = p["resident"]
            aud, lang = audience_for(r, day.year), language_for(r)
            items = []
            for s in p["skills"]:
                key = (s.code, lang, aud)
                if key not in shown_cache:
                    try:
                        shown_cache[key] = show(s.code, lang, aud)
                    except LessonError:
                        continue  # a skill with no lesson yet: nothing to print for it
                link = handout_link(r, s.code, user, today=day)
                links.append(link)
                url = base + lesson_path(s.code, aud, lang, link.token)
                items.append({"shown": shown_cache[key], "url": url, "qr": qr_png_data_uri(url, scale=4),
                              "plain_url": base + lesson_path(s.code, aud, lang)})
            if items:
                # on paper left at the door: the given name and house number only, nothing else about them
                people.append({"name": r.full_name.split()[-1], "audience": aud, "items": items})
                n += len(items)
        if people:
            households_out.append({"household": h, "people": people})
    households = households_out
    if not households:
        raise LessonError(_("No household needs a handout on %(day)s"), day=f"{day:%d/%m/%Y}")
    html = render_to_string("lessons/batch.html", {"size": size, "households": households, "day": day,
                                                    "member": member})
    pdf = _pdf(html)
    with audit.acting_as(user):
        audit.record_event(AuditEntry.Action.EXPORT, "lessons.Handout", member.place.path if getattr(
            member, "place", None) else "", {"day": day.isoformat(), "households": len(households), "lessons": n,
                                              "codes": [x["household"].code for x in households]},
                           object_repr=f"handouts {day.isoformat()}")
    return Batch(pdf, len(households), n)


# --- self-check -------------------------------------------------------------------------------------------------

@dataclass
class CheckResult:
    self_check: SelfCheck
    correct: int
    questions: int
    wrong: list[int]           # 1-based numbers of the questions answered wrongly
    level_recorded: int | None  # the new level when a skill event was written


def answer_key(skill_code: str, language: str, audience: str) -> dict:
    """The variant whose questions are graded: its own for Vietnamese and English, the Vietnamese for a
    translation (same questions, same answers)."""
    v = current(skill_code, language if language in C.REQUIRED_LANGUAGES else "vi", audience)
    if v is None:
        raise LessonError(_("No lesson for skill '%(skill_code)s'"), skill_code=skill_code)
    return v.content


def grade(content: dict, answers: list) -> tuple[int, list[int]]:
    wrong = []
    for i, q in enumerate(content["check"]):
        a = answers[i] if i < len(answers) else None
        if a != q["answer"]:
            wrong.append(i + 1)
    return len(content["check"]) - len(wrong), wrong


def parse_answers(raw: dict, n: int) -> list[int | None]:
    """Form fields q1..qn → option indexes (None when not answered). Raises LessonError on garbage."""
    out = []
    for i in range(1, n + 1):
        v = raw.get(f"q{i}")
        if v in (None, ""):
            out.append(None)
            continue
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise LessonError(_("Question %(i)s: invalid answer"), i=i) from None
    if all(a is None for a in out):
        raise LessonError(_("Choose your answers before sending"))
    return out


def self_check(*, skill_code: str, answers: list, resident: Resident | None = None, link: HandoutLink | None = None,
               language: str = "vi", audience: str | None = None, assisted_by=None, did_it_alone: bool = False,
               today: datetime.date | None = None) -> CheckResult:
    """Grade a self-check and keep it. All answers right is a skill event (source "self_check") when it raises
    the resident's level: "with help" on their own (a quiz is not a demonstration), "alone" when a member saw
    them do the steps alone. A wrong answer never lowers a level already shown.

    Who it is for comes either from a member (``assisted_by`` with ``resident``, who must be in the member's
    area) or from a handout's personal code (``link``, from ``read_token``; each attempt uses one of its few)."""

    if (assisted_by is None) == (link is None):
        raise ValueError("a self-check is recorded either with a member or through a handout link")
    if link is not None:
        if link.skill_code != skill_code:
            raise LessonError(_("This code belongs to another lesson"))
        resident = link.resident
    else:
        permissions.require(assisted_by, "create", SelfCheck(resident=resident))
    audience = audience or audience_for(resident)
    # translations share the Vietnamese questions' answers; English has questions of its own
    lesson = current(skill_code, language if language in C.REQUIRED_LANGUAGES else "vi", audience)
    if lesson is None:
        raise LessonError(_("No lesson for skill '%(skill_code)s'"), skill_code=skill_code)
    skill = Skill.objects.filter(catalogue__is_current=True, code=skill_code).first()
    correct, wrong = grade(lesson.content, answers)
    n = len(lesson.content["check"])
    level = None
    if not wrong:
        level = Level.ALONE if (assisted_by is not None and did_it_alone) else Level.WITH_HELP
        have = ResidentSkill.objects.filter(resident=resident, skill=skill).values_list("level", flat=True).first()
        if have is not None and have >= level:
            level = None
    with transaction.atomic(), audit.acting_as(assisted_by):
        if link is not None and not HandoutLink.objects.filter(pk=link.pk, attempts__lt=LINK_ATTEMPTS).update(
                attempts=F("attempts") + 1):
            raise LessonError(_("This handout's code has no self-check attempts left; ask the team to check with you"))
        record = None
        if level is not None:
            record = visits.record_skill_event(resident, skill, level, source="self_check", user=assisted_by,
                                               observed_on=today or timezone.localdate())
        sc = SelfCheck.objects.create(
            resident=resident, skill_code=skill_code, language=language, audience=audience,
            lesson_version=lesson.number, answers=list(answers), correct=correct, questions=n,
            assisted_by=assisted_by, did_it_alone=bool(did_it_alone and assisted_by), skill_record=record,
            via_link=link)
    return CheckResult(sc, correct, n, wrong, level)


# --- the field app: lessons to keep offline ---------------------------------------------------------------------

def offline_languages(user) -> list[str]:
    """Vietnamese, plus the minority languages of the residents in the user's area that have lessons."""
    langs = ["vi"]
    have = set(LessonVersion.objects.exclude(language__in=C.REQUIRED_LANGUAGES).values_list("language", flat=True)
               .distinct())
    if have:
        codes = set(scoped(Resident.objects.all(), user).values_list("ethnicity__code", flat=True).distinct())
        for code in sorted(codes):
            lang = C.language_for_ethnicity(code)
            if lang in have and lang not in langs:
                langs.append(lang)
    return langs


def offline_payload(user, client_version: str | None) -> dict | None:
    """Every current lesson the member may need (all skills, both audiences, Vietnamese and the area's minority
    languages), or None when the client already has this exact set (``version`` is a digest of it)."""
    langs = offline_languages(user)
    items = []
    for lang in langs:
        for aud in C.AUDIENCES:
            vs = current_versions(lang, aud)
            ref = current_versions("vi", aud) if lang != "vi" else vs  # audio is always the Vietnamese
            for code, v in sorted(vs.items()):
                shown = C.merge_fallback(v.content, ref[code].content) if lang != "vi" and code in ref else None
                items.append({"skill": code, "language": lang, "audience": aud, "version": v.number,
                              "audio_version": ref[code].number if code in ref else v.number,
                              "content": v.content if shown is None else _flatten(shown)})
    digest = hashlib.sha256(json.dumps([[i["skill"], i["language"], i["audience"], i["version"]] for i in items]
                                       ).encode()).hexdigest()[:16]
    if client_version == digest:
        return None
    return {"version": digest, "lessons": items, "elderly_age": ELDERLY_AGE,
            "languages": {lang: list(C.languages()[lang].ethnicities) for lang in langs if lang != "vi"}}


def _flatten(shown: dict) -> dict:
    """A translation with its Vietnamese filled in where missing (the field app shows it as is)."""
    return {"title": shown["title"]["text"], "purpose": shown["purpose"]["text"],
            **{k: [p["text"] for p in shown[k]] for k in C.LIST_FIELDS},
            "check": [{"q": q["q"]["text"], "options": [o["text"] for o in q["options"]], "answer": q["answer"]}
                      for q in shown["check"]]}


def residents_lessons(resident: Resident, limit: int = 3) -> list[dict]:
    """The lessons to offer a resident next, in their audience and language (resident page, visit form)."""

    aud, lang = audience_for(resident), language_for(resident)
    out = []
    for s in visits.next_skills(resident, limit=limit):
        v = current(s.code, "vi", aud)
        if v is not None:
            out.append({"skill": s, "title": v.content["title"], "url": lesson_path(s.code, aud, lang),
                        "audience": aud, "language": lang})
    return out

