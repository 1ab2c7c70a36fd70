"""Which msgids of some templates or Python modules have no Vietnamese translation (issue 18, "half-translated").

Templates are read the way ``makemessages`` reads them (``templatize``); Python modules through their syntax
tree (``_``, ``gettext``, ``gettext_lazy``, ``ngettext``, ``pgettext``, ``pgettext_lazy``). A msgid whose
Vietnamese is the msgid itself is untranslated unless it is listed in ``SAME``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SAME = {"4G", "3G", "Wi-Fi", "OK", "Email", "Zalo", "QR", "%(n)s", "—", "radio", "VietGAP",
        # examples written in Vietnamese as msgids (English in locale/en)
        "kg, chiếc, hộp, chục…", "lúa, vải thiều, lợn, gà…"}
# templatize writes a msgid holding an apostrophe in double quotes (u"… villages' figures …"): both are read
_CALL = re.compile(r"""\b(n?p?gettext)\(\s*((?:u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\s*,?\s*)+)""")
_STR = re.compile(r"""u?(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")""")


def _template_ids(path: Path):
    from django.utils.translation.template import templatize

    code = templatize(path.read_text("utf-8"), origin=str(path))
    for m in _CALL.finditer(code):
        args = [(a or b).replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")
                for a, b in _STR.findall(m.group(2))]
        if m.group(1).startswith(("p", "np")):
            yield args[0], args[1]
        else:
            yield "", args[0]


def _python_ids(path: Path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in ("_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy") and args:
            yield "", args[0]
        elif name in ("pgettext", "pgettext_lazy", "npgettext") and len(args) >= 2:
            yield args[0], args[1]


def msgids(files) -> set[tuple[str, str]]:
    out = set()
    for f in map(Path, files):
        out |= set(_python_ids(f) if f.suffix == ".py" else _template_ids(f))
    return out


def untranslated(files, language: str = "vi") -> list[tuple[str, str]]:
    from django.utils import translation

    missing = []
    with translation.override(language):
        for ctx, mid in sorted(msgids(files)):
            got = translation.pgettext(ctx, mid) if ctx else translation.gettext(mid)
            if got == mid and mid not in SAME:
                missing.append((ctx, mid))
    return missing
