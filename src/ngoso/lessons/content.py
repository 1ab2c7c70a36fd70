"""Lesson content as data: its shape, its validation, its parts and the text read aloud. No Django here.

A lesson variant (one skill, one language, one audience) is a dict::

    {"title": str, "purpose": str, "you_need": [str], "steps": [str], "mistakes": [str], "safety": [str],
     "check": [{"q": str, "options": [str, ...], "answer": int}]}

The package ships Vietnamese and English, each for two audiences, in ``data/lessons/<skill>.json``.
Translations into ethnic-minority languages have the same shape; an item left empty ("") is not yet
translated and the page shows the Vietnamese in its place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import Message, UserError, render

DATA = Path(__file__).resolve().parent / "data"

AUDIENCES = ("standard", "elderly")
AUDIENCE_NAMES = {"standard": ("Phổ thông", "Standard"), "elderly": ("Người cao tuổi", "Older people")}
REQUIRED_LANGUAGES = ("vi", "en")

TEXT_FIELDS = ("title", "purpose")
LIST_FIELDS = ("you_need", "steps", "mistakes", "safety")
FIELD_NAMES = {
    "title": ("Tên bài", "Title"), "purpose": ("Để làm gì", "What it is for"),
    "you_need": ("Cần chuẩn bị", "You need"), "steps": ("Các bước", "Steps"),
    "mistakes": ("Lỗi hay gặp", "Common mistakes"), "safety": ("Giữ an toàn", "Staying safe"),
    "check": ("Tự kiểm tra", "Self-check"),
}
MAX_TEXT = 2000
#: The handout's own words, beside FIELD_NAMES' headings: in English on an English handout, else in Vietnamese
#: (a handout in a minority language prints its Vietnamese beside, and so its headings).
HANDOUT_WORDS = {
    "scan": ("Quét mã để xem bài trên điện thoại và nghe đọc", "Scan the code to open the lesson on a phone and hear it"),
    "team": ("Tổ công nghệ số cộng đồng", "Community digital technology team"),
}


def words(language: str) -> dict:
    """The headings and words of a printed lesson in ``language`` (English, or Vietnamese for any other)."""
    i = 1 if language == "en" else 0
    return {k: v[i] for k, v in {**FIELD_NAMES, **HANDOUT_WORDS}.items()}


class Problem(tuple):
    """One fault of a lesson's content: ``(path, vi, en)``, the one message rendered in both languages (the
    editor shows the page's language; the CLI both); ``.message`` is the message itself."""

    def __new__(cls, path: str, message):
        self = super().__new__(cls, (path, render(message, "vi"), render(message, "en")))
        self.message = message
        return self


class ContentError(UserError, ValueError):
    """The lesson content is malformed; ``problems`` lists every fault (``Problem``: path, vi, en)."""

    message = _("The lesson content has %(n)s problems")

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(n=len(problems))

    def __str__(self) -> str:
        return "; ".join(f"{p}: {vi}" for p, vi, _en in self.problems)


@dataclass(frozen=True)
class Language:
    code: str
    name_vi: str
    name_en: str
    ethnicities: tuple[str, ...]
    shipped: bool


@lru_cache(maxsize=1)
def languages() -> dict[str, Language]:
    raw = json.loads((DATA / "languages.json").read_text(encoding="utf-8"))
    return {x["code"]: Language(x["code"], x["name_vi"], x["name_en"], tuple(x["ethnicities"]), x["shipped"])
            for x in raw["languages"]}


def language_for_ethnicity(code: str | None) -> str | None:
    """The minority language offered first to members of this ethnic group, if any."""
    for lang in languages().values():
        if code and code in lang.ethnicities:
            return lang.code
    return None


def validate(content, *, translation: bool = False) -> dict:
    """Check the shape and return a clean copy (strings stripped). Raises ContentError listing every fault.

    ``translation=True`` accepts empty strings (not yet translated) except that the title may not be empty."""
    problems: list[Problem] = []
    if not isinstance(content, dict):
        raise ContentError([Problem("", _("Content must be a JSON object"))])
    out: dict = {}

    def text(path, value, required=True):
        if not isinstance(value, str):
            problems.append(Problem(path, _("must be text")))
            return ""
        value = value.strip()
        if required and not value and not (translation and path != "title"):
            problems.append(Problem(path, _("must not be empty")))
        if len(value) > MAX_TEXT:
            problems.append(Problem(path, Message(_("longer than %(MAX_TEXT)s characters"), MAX_TEXT=MAX_TEXT)))
        return value

    for key in TEXT_FIELDS:
        out[key] = text(key, content.get(key))
    for key in LIST_FIELDS:
        items = content.get(key)
        if not isinstance(items, list) or (key == "steps" and not items):
            problems.append(Problem(key, _("must be a list with at least one step") if key == "steps"
                             else _("must be a list")))
            out[key] = []
            continue
        out[key] = [text(f"{key}.{i + 1}", v) for i, v in enumerate(items)]
    checks = content.get("check")
    out["check"] = []
    if not isinstance(checks, list) or not checks:
        problems.append(Problem("check", _("needs at least one self-check question")))
    else:
        for i, c in enumerate(checks, start=1):
            p = f"check.{i}"
            if not isinstance(c, dict):
                problems.append(Problem(p, _("a question needs q, options, answer")))
                continue
            opts = c.get("options")
            if not isinstance(opts, list) or len(opts) < 2:
                problems.append(Problem(f"{p}.options", _("needs at least two options")))
                opts = []
            answer = c.get("answer")
            if not isinstance(answer, int) or isinstance(answer, bool) or not 0 <= answer < max(len(opts), 1):
                problems.append(Problem(f"{p}.answer",
                                         Message(_("the answer must be an option index 0..%(x)s"),
                                                 x=max(len(opts) - 1, 0))))
                answer = 0
            out["check"].append({"q": text(f"{p}.q", c.get("q")),
                                 "options": [text(f"{p}.options.{j + 1}", o) for j, o in enumerate(opts)],
                                 "answer": answer})
    if problems:
        raise ContentError(problems)
    return out


# --- translation rows: one per piece of text, addressed by a path such as "steps.3" or "check.2.options.1"

def pieces(content: dict) -> list[tuple[str, str]]:
    """Every piece of text of a variant, in reading order, as (path, text)."""
    out = [(k, content.get(k, "")) for k in TEXT_FIELDS]
    for key in LIST_FIELDS:
        out += [(f"{key}.{i}", t) for i, t in enumerate(content.get(key, []), start=1)]
    for i, c in enumerate(content.get("check", []), start=1):
        out.append((f"check.{i}.q", c["q"]))
        out += [(f"check.{i}.options.{j}", o) for j, o in enumerate(c["options"], start=1)]
    return out


def piece_label(path: str, lang: str = "vi") -> str:
    """A piece's path said for a person: "steps.3" -> "Các bước 3" / "Steps 3", "check.2.options.1" ->
    "Tự kiểm tra 2 · lựa chọn 1" / "Self-check 2 · option 1"."""
    en = lang.startswith("en")
    parts = path.split(".")
    names = FIELD_NAMES.get(parts[0])
    if names is None:
        return path
    out = names[1 if en else 0]
    if len(parts) > 1:
        out += f" {parts[1]}"
    if len(parts) == 3 and parts[2] == "q":
        out += " · " + ("question" if en else "câu hỏi")
    elif len(parts) == 4 and parts[2] == "options":
        out += " · " + ("option" if en else "lựa chọn") + f" {parts[3]}"
    return out


def empty_like(reference: dict) -> dict:
    """A translation skeleton of ``reference``: same shape, every text empty, same answers."""
    return {**{k: "" for k in TEXT_FIELDS}, **{k: [""] * len(reference.get(k, [])) for k in LIST_FIELDS},
            "check": [{"q": "", "options": [""] * len(c["options"]), "answer": c["answer"]}
                      for c in reference.get("check", [])]}


def put(content: dict, path: str, value: str) -> None:
    """Set the piece at ``path``. Raises KeyError for a path the content does not have."""
    parts = path.split(".")
    try:
        if len(parts) == 1 and parts[0] in TEXT_FIELDS:
            content[parts[0]] = value
        elif len(parts) == 2 and parts[0] in LIST_FIELDS:
            i = int(parts[1]) - 1
            if not 0 <= i < len(content[parts[0]]):
                raise IndexError
            content[parts[0]][i] = value
        elif parts[0] == "check" and len(parts) in (3, 4):
            n = int(parts[1])
            if n < 1:
                raise IndexError
            c = content["check"][n - 1]
            if len(parts) == 3 and parts[2] == "q":
                c["q"] = value
            elif len(parts) == 4 and parts[2] == "options" and 1 <= int(parts[3]) <= len(c["options"]):
                c["options"][int(parts[3]) - 1] = value
            else:
                raise IndexError
        else:
            raise IndexError
    except (ValueError, IndexError):
        raise KeyError(path) from None


def translated_share(content: dict) -> float:
    ps = pieces(content)
    return sum(1 for _, t in ps if t.strip()) / len(ps) if ps else 0.0


def merge_fallback(translation: dict, reference: dict) -> dict:
    """For display: each piece as {"text": translated or reference, "vi": reference, "missing": bool}."""
    def one(t, r):
        return {"text": t or r, "vi": r, "missing": not t}

    out = {k: one(translation.get(k, ""), reference.get(k, "")) for k in TEXT_FIELDS}
    for key in LIST_FIELDS:
        ref = reference.get(key, [])
        tr = translation.get(key, [])
        out[key] = [one(tr[i] if i < len(tr) else "", r) for i, r in enumerate(ref)]
    out["check"] = []
    for i, rc in enumerate(reference.get("check", [])):
        tc = translation.get("check", [])[i] if i < len(translation.get("check", [])) else {"q": "", "options": []}
        out["check"].append({"q": one(tc.get("q", ""), rc["q"]),
                             "options": [one(tc["options"][j] if j < len(tc.get("options", [])) else "", o)
                                         for j, o in enumerate(rc["options"])],
                             "answer": rc["answer"]})
    return out


# --- reading aloud -----------------------------------------------------------------------------------------

SPOKEN = {
    "vi": {"you_need": "Cần chuẩn bị", "steps": "Các bước", "step": "Bước", "mistakes": "Lỗi hay gặp",
           "safety": "Để giữ an toàn"},
}


def spoken_text(content: dict, part: str = "all") -> str:
    """What is read aloud: the whole lesson (``"all"``) or one step (``"3"``), as paragraphs for speech.

    Only Vietnamese is spoken (the offline voices are Vietnamese); callers pass the Vietnamese variant."""
    w = SPOKEN["vi"]
    steps = content["steps"]
    if part != "all":
        n = int(part)
        if not 1 <= n <= len(steps):
            raise ValueError(f"step {part} out of range 1..{len(steps)}")
        return f"{w['step']} {n}.\n\n{_sentence(steps[n - 1])}"
    paras = [_sentence(content["title"]), _sentence(content["purpose"])]
    if content["you_need"]:
        paras.append(f"{w['you_need']}: " + "; ".join(x.rstrip(".") for x in content["you_need"]) + ".")
    paras.append(w["steps"] + ".")
    paras += [f"{w['step']} {i}. {_sentence(s)}" for i, s in enumerate(steps, start=1)]
    if content["mistakes"]:
        paras.append(f"{w['mistakes']}. " + " ".join(_sentence(x) for x in content["mistakes"]))
    if content["safety"]:
        paras.append(f"{w['safety']}. " + " ".join(_sentence(x) for x in content["safety"]))
    return "\n\n".join(p for p in paras if p.strip())


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…:" else text + "."
