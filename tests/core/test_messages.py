"""Issue 15, item 5: one way to say a user message — a gettext msgid in English with named parameters,
Vietnamese in the owning app's catalogue; error classes carry the lazy message (``core.messages.UserError``).

The scans read every module of src/ngoso with ``ast``:
- no new "Tiếng Việt / English" literal (the few that are data are listed in ``DATA``; the modules not yet
  converted are in ``NOT_YET`` with their count, which can only shrink);
- no error class with paired ``vi``/``en`` attributes or constructor arguments;
- every error raised with a literal message raises a lazy msgid (no f-string, no eager ``gettext``) that has
  its Vietnamese, with the same named parameters in both languages.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

import ngoso

ROOT = Path(ngoso.__file__).parent
VI = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I)

#: "x / y" literals that are data, not messages: (module, the literal's beginning)
DATA = {
    *{("demo/builder.py", name) for name in ("Quản trị tỉnh / ", "Cán bộ xã / ", "Truyền thanh xã / ", "Tổ trưởng / ",
                                             "Thành viên tổ / ", "Người xem / ")},  # demo users' display names
    ("livelihoods/services.py", "Gọi / Zalo"),
    ("demo/builder.py", "dữ liệu mẫu / demo data"),  # the note on the demo's consent records  # a paste-ready text for the producer's page: both words are used
}

#: said where no catalogue can be used: while the settings are read (before any can load), and the fixed 500
#: page sent when even rendering ``500.html`` failed (what failed may be the templates or the translations):
#: both languages in one string
WITHOUT_CATALOGUE = {("core/files.py", "NGOSO_STORAGE_URL phải có dạng s3://"), ("core/errors.py", "<!doctype html>")}

#: modules that import no Django (pure libraries: text normalisation, offline speech, the poverty standard's
#: classify(), the radio's schedule rules and its speaker client, which runs on a device without Django):
#: they cannot load a catalogue, so their few errors say both languages in one string. Checked below.
WITHOUT_DJANGO = {"speech.py", "poverty/__init__.py", "radio/schedule.py", "radio/client.py", "vntext/__init__.py",
                  "vntext/data.py", "vntext/explain.py", "vntext/normalizer.py", "vntext/numbers.py"}

#: modules whose "Tiếng Việt / English" literals are not converted yet: how many each still holds. Every module
#: is converted; a new literal fails the scan below.
NOT_YET: dict[str, int] = {}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text("utf-8"))


def _text(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def _bilingual(s: str) -> bool:
    """Vietnamese before a " / " and a word without Vietnamese letters after it ("Xã / phường" is Vietnamese)."""
    parts = s.split(" / ")
    return any(VI.search(before) and after.split() and not VI.search(after.split()[0])
               for before, after in zip(parts, parts[1:]))


def bilingual_literals(tree) -> list[tuple[int, str]]:
    """String literals (and f-strings) written "Tiếng Việt / English"; docstrings are not messages."""
    out = []
    skip = {id(v) for p in ast.walk(tree) if isinstance(p, ast.JoinedStr) for v in p.values}  # judged whole
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
            skip.add(id(node.body[0].value))
    for node in ast.walk(tree):
        s = _text(node) if id(node) not in skip else None
        if s and " / " in s and _bilingual(s):
            out.append((node.lineno, s))
    return out


def test_no_new_vietnamese_slash_english_literal():
    found, over = Counter(), []
    for name, tree in _modules():
        if name in WITHOUT_DJANGO:
            imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
                a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            assert not any(m.startswith(("django", "ngoso.core")) for m in imported), name  # else: use msgids
            continue
        for line, s in bilingual_literals(tree):
            if any(name == m and s.startswith(p) for m, p in DATA | WITHOUT_CATALOGUE):
                continue
            found[name] += 1
            if found[name] > NOT_YET.get(name, 0):
                over.append(f"{name}:{line}: {s[:80]!r}")
    assert over == [], ("a user message is a gettext msgid in English with its Vietnamese in the app's "
                        "locale/vi django.po (docs/ARCHITECTURE.md, 'How to say a user message')", over)
    shrunk = {m: (n, found[m]) for m, n in NOT_YET.items() if found[m] < n}
    assert shrunk == {}, ("fewer 'vi / en' literals than NOT_YET says: lower the counts (they only go down)",
                          shrunk)


def test_the_scan_finds_a_bilingual_literal_and_passes_a_msgid():
    tree = ast.parse('x = "Tệp trống / The file is empty"\ny = f"thiếu {n} / missing {n}"\nz = _("The file is empty")\n'
                     'w = "Gọi / Zalo"\nv = "Thôn / tổ dân phố"\ndef f():\n    "Lỗi / Error in a docstring"\n')
    assert [line for line, _ in bilingual_literals(tree)] == [1, 2, 4]  # "Gọi / Zalo" passes only as DATA


def _error_classes():
    """Every error class of the project, by name: the subclasses of ``UserError`` and the other exceptions."""
    from ngoso.core.messages import UserError

    for name, _tree in _modules():
        if name.startswith(("vntext/", "formats/")) or name in ("__main__.py", "wsgi.py", "settings.py"):
            continue
        importlib.import_module("ngoso." + name[:-3].replace("/", ".").removesuffix(".__init__"))
    seen, todo = {}, [UserError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("ngoso."):
            seen[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return seen


def test_no_error_class_carries_paired_vietnamese_and_english():
    bad = []
    for name, tree in _modules():
        for cls in [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]:
            bases = {getattr(b, "id", getattr(b, "attr", "")) for b in cls.bases}
            if not (cls.name.endswith(("Error", "Failed", "Unavailable")) or bases & {"Exception", "ValueError",
                                                                                       "RuntimeError", "UserError"}):
                continue
            for node in ast.walk(cls):
                if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                    args = {a.arg for a in node.args.args + node.args.kwonlyargs}
                    if {"vi", "en"} <= args:
                        bad.append(f"{name}: {cls.name}.__init__(…, vi, en)")
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        for x in ast.walk(t):
                            if isinstance(x, (ast.Attribute, ast.Name)) and getattr(x, "attr", getattr(x, "id", "")) \
                                    in ("vi", "en"):
                                bad.append(f"{name}:{node.lineno}: {cls.name} assigns {ast.unparse(t)}")
    assert bad == []


def test_every_user_error_class_derives_from_the_one_base():
    from ngoso.core.messages import UserError

    classes = _error_classes()
    expected = {"CleanError", "VisitError", "SyncError", "JobError", "RegistrationError", "PhoneError", "SearchError",
                "LessonError", "ContentError", "AbbreviationError", "RadioError", "LivelihoodError", "BackupError",
                "CatalogueError", "CommandError", "ImportFailed", "ApiError"}
    assert expected <= set(classes), expected - set(classes)
    assert all(issubclass(c, UserError) for c in classes.values())


def _lazy_names(tree) -> set[str]:
    """The names bound to ``gettext_lazy`` in a module (``_`` when imported ``as _``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {a.asname or a.name for a in node.names if a.name in ("gettext_lazy", "pgettext_lazy")}
    return names


def raised_messages():
    """(module, line, class, msgid or None, problem) for every call of a user error class in src/ngoso."""
    classes = set(_error_classes()) | {"Message"}
    for name, tree in _modules():
        lazy = _lazy_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            cls = getattr(node.func, "id", getattr(node.func, "attr", None))
            if cls not in classes or not node.args or cls in ("ServerError",):
                continue
            for arg in node.args:
                if _text(arg) is not None:
                    yield name, node.lineno, cls, None, f"a literal or f-string ({_text(arg)[:50]!r}): use a msgid"
                    break
                if isinstance(arg, ast.Call) and getattr(arg.func, "id", "") in ("_", "gettext", "gettext_lazy"):
                    fn = arg.func.id
                    if fn not in lazy:
                        yield name, node.lineno, cls, None, f"{fn}() is not gettext_lazy here: the message would " \
                                                            "be frozen in the language of the moment"
                    elif not (arg.args and isinstance(arg.args[0], ast.Constant)):
                        yield name, node.lineno, cls, None, "the msgid is not a literal"
                    else:
                        yield name, node.lineno, cls, arg.args[0].value, None
                    break


def test_every_error_is_raised_with_a_lazy_msgid():
    problems = [f"{m}:{line}: {cls}: {p}" for m, line, cls, _mid, p in raised_messages() if p]
    assert problems == []


def test_every_error_message_has_its_vietnamese():
    from django.utils import translation

    from tests.i18n_check import SAME

    ids = {(m, mid) for m, _line, _cls, mid, p in raised_messages() if mid}
    assert len(ids) > 300  # the scan does see the raises
    with translation.override("vi"):
        missing = sorted((m, mid) for m, mid in ids if translation.gettext(mid) == mid and mid not in SAME)
    assert missing == []


def _po_entries():
    for po in sorted(ROOT.rglob("locale/*/LC_MESSAGES/django.po")):
        text = po.read_text("utf-8")
        for m in re.finditer(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', text, re.M):
            join = lambda block: "".join(re.findall(r'"(.*)"', block))  # noqa: E731
            yield po.relative_to(ROOT).as_posix(), join(m.group(1)), join(m.group(2))


def test_a_translation_has_the_same_named_parameters_as_its_msgid():
    bad = []
    for po, mid, mstr in _po_entries():
        if not mid or not mstr:
            continue
        want, got = sorted(re.findall(r"%\((\w+)\)", mid)), sorted(re.findall(r"%\((\w+)\)", mstr))
        if set(want) != set(got):
            bad.append((po, mid[:70], want, got))
    assert bad == []


def test_a_user_error_renders_its_one_msgid_in_each_language():
    from django.utils import translation
    from django.utils.translation import gettext_lazy

    from ngoso.core.messages import ByLanguage, Message, UserError, both, lines
    from ngoso.people.phones import PhoneError
    from ngoso.visits.services import VisitError

    e = VisitError(gettext_lazy("'%(field)s' must be a number"), field="birth_year")
    assert (e.field, e.vi, e.en) == ("birth_year", "«birth_year» phải là số", "'birth_year' must be a number")
    with translation.override("en"):
        assert e.text() == e.en and str(e) == f"{e.vi} / {e.en}"
    with translation.override("vi"):
        assert e.text() == e.vi
    carried = VisitError(PhoneError("12"), field="phone")  # one error's message carried on by another
    assert carried.field == "phone" and carried.vi.startswith("Số điện thoại «12»") and "Phone '12'" in carried.en
    skill = Message(gettext_lazy("Skill '%(skill)s' recorded twice for %(name)s"), name="An",
                    skill=ByLanguage(vi="Gọi điện", en="Phone calls"))
    assert (skill.vi, skill.en) == ("Kỹ năng «Gọi điện» của An ghi hai lần", "Skill 'Phone calls' recorded twice for An")
    sized = UserError(gettext_lazy("The sheet has more than %(n)s rows; split it into several files"),
                      n=lambda: f"{translation.get_language()}-grouped")
    assert sized.vi.startswith("Trang tính có hơn vi-grouped dòng") and "en-grouped rows" in sized.en
    assert both(gettext_lazy("Interrupted")) == "Đã dừng / Interrupted"
    assert lines(gettext_lazy("Interrupted")) == "Đã dừng\nInterrupted"


def test_the_api_answers_a_users_error_in_both_languages_from_one_msgid(login, users):
    r = login(users.commune_a).get("/api/v1/residents", {"q": "a"})
    body = r.json()
    assert r.status_code == 400 and body["message"] == "Cần ít nhất 2 ký tự" and body["message_en"] == \
        "at least 2 characters" and body["error"] == body["message"] and body["error_en"] == body["message_en"]


@pytest.mark.django_db
def test_the_cli_says_an_error_in_vietnamese_then_english(capsys):
    from ngoso.cli import main

    assert main(["stats", "--place", "KHONG-CO"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["Lỗi: không có địa bàn mã «KHONG-CO»", "Error: no place with code 'KHONG-CO'"]


def test_a_refusal_is_one_msgid_said_in_each_language(people, users):
    """``accounts.permissions`` refuses with a ``Message``: a page says it in the user's language, the sync and
    the CLI in both; the erasure marker is stored in both languages from one msgid."""
    from django.core.exceptions import PermissionDenied

    from ngoso.accounts import audit, permissions
    from ngoso.core.messages import reason

    with pytest.raises(PermissionDenied) as denied:
        permissions.require(users.viewer, "delete", people.r1)
    assert reason(denied.value, "vi").startswith("Vai trò của bạn (") and "không được xoá nhân khẩu" in \
        reason(denied.value, "vi")
    assert reason(denied.value, "en").startswith("Your role (") and "may not delete" in reason(denied.value, "en")
    with pytest.raises(PermissionDenied) as across:
        permissions.require_across(users.commune_b, people.h3.village, people.h1.village, "X")
    assert (reason(across.value, "vi"), reason(across.value, "en")) == (
        "X ở hai xã khác nhau cần cán bộ tỉnh", "X of two communes needs province staff")
    assert audit.ERASED == "[đã xoá / erased]"


def _help_texts():
    """(parser, option, help) for every help text of ``ngoso`` and of its sub-commands (descriptions included)."""
    import argparse

    from ngoso.cli import build_parser

    todo, found = [build_parser()], []
    while todo:
        parser = todo.pop()
        found.append((parser.prog, "(description)", parser.description))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
                found.extend((parser.prog, a.dest, a.help) for a in action._choices_actions)
            elif action.help not in (None, argparse.SUPPRESS) and action.dest != "help":
                found.append((parser.prog, action.dest, action.help))
    return [(prog, dest, text) for prog, dest, text in found if text is not None]


def test_every_help_text_of_the_cli_is_a_msgid_with_vietnamese_in_the_projects_catalogue():
    """Help is printed with the project's catalogue alone (``cli._ready``: no settings, no database), so each
    help text is a lazy msgid whose Vietnamese is there (before: "vi / en" literals in radio, serve,
    livelihoods, speaker and say)."""
    import gettext

    from django.utils.functional import Promise

    texts = _help_texts()
    assert len(texts) > 100  # the walk does reach the sub-commands' options
    literal = [(prog, dest, text[:60]) for prog, dest, text in texts if not isinstance(text, Promise)]
    assert literal == []
    with (ROOT / "locale/vi/LC_MESSAGES/django.mo").open("rb") as f:
        project = gettext.GNUTranslations(f)
    missing = [(prog, dest, text._args[0]) for prog, dest, text in texts if project.gettext(text._args[0]) ==
               text._args[0]]
    assert missing == []


@pytest.mark.parametrize("command, vi, en", [
    ("radio", "truyền thanh thông minh: cụm loa, bản tin, lịch phát, khẩn cấp, báo cáo",
     "smart radio: speaker clusters, bulletins, schedules, emergencies, reports"),
    ("serve", "chạy máy chủ web trên cơ sở dữ liệu hiện có", "serve the existing database"),
    ("livelihoods", "sinh kế số: thư viện kỹ thuật, chỉ số bán hàng qua mạng",
     "digital livelihoods: farming library, figures"),
    ("speaker", "chạy phần mềm của một cụm loa (nhận lịch, phát, báo cáo)",
     "run a loudspeaker cluster's program (fetch the programme, play, report)"),
    ("say", "đọc văn bản tiếng Việt ra tệp âm thanh WAV/OGG (espeak-ng, không cần mạng)",
     "speak Vietnamese text into a WAV/OGG file (espeak-ng, no network needed)"),
])
def test_a_commands_help_says_vietnamese_then_english_without_settings(tmp_path, command, vi, en):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "NGOSO_DATABASE_URL")}
    env.update(NGOSO_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT.parent))  # this tree's code
    p = subprocess.run([sys.executable, "-m", "ngoso", command, "--help"], env=env, capture_output=True, text=True,
                       timeout=60, cwd=tmp_path)
    text = " ".join(p.stdout.split())  # argparse folds lines
    assert p.returncode == 0 and f"{vi} / {en}" in text, p.stderr
    assert not (tmp_path / "data").exists()


def test_a_number_in_a_message_is_grouped_in_each_language():
    from django.utils.translation import gettext_lazy

    from ngoso.core.messages import Message, grouped

    said = Message(gettext_lazy("%(place)s: producers %(producers)s · selling online %(online)s (%(pct)s %%) · "
                                "producer households with e-payment %(epayment)s · stories %(stories)s"),
                   place="Tỉnh Bắc Ninh", producers=grouped(12345), online=grouped(6789), pct=grouped(55.0, 1),
                   epayment=grouped(1000), stories=grouped(7))
    assert said.vi == ("Tỉnh Bắc Ninh: hộ sản xuất 12.345 · bán qua mạng 6.789 (55,0 %) · hộ sản xuất thanh toán "
                       "điện tử 1.000 · câu chuyện hay 7")
    assert said.en == ("Tỉnh Bắc Ninh: producers 12,345 · selling online 6,789 (55.0 %) · producer households with "
                       "e-payment 1,000 · stories 7")
