"""The text normaliser: finds the non-standard words in a text and replaces them with their reading.

Design: one compiled "master" regular expression whose alternatives are the token classes (e-mail,
URL, phone, date, time, money, measure, number, Roman numeral, abbreviation, acronym…) in priority
order.  The text is walked once; at each place where a token can start (``_GATE``) the master regex
is tried, and the match is read by a small handler that may look at the word(s) just before it
(``thứ 4`` -> "thứ tư", ``ngày 5/9``, ``Quý IV``).  A second step looks at what lies *between* two
consecutive tokens: "-" between two numbers is a range ("đến"), "-" before a number at a word start
is a minus sign ("âm"), "x" between two numbers is "nhân".  Everything else in the text is kept
unchanged, so words and punctuation survive.

A handler returns ``None`` when its match turns out not to be what the pattern suggested (31/02,
25:70, a 12-digit "phone"): the next alternative that matches at the same place is tried instead,
with the whole text still available for context.  An unexpected exception in a handler is treated
the same way (unless ``STRICT``), and a last pass reads any ASCII digit that is still there, so
``normalize`` never raises for any text and never leaves a digit.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from . import data
from .numbers import (
    decimal_to_words,
    fraction_to_words,
    month_to_words,
    number_to_words,
    ordinal_to_words,
    read_digits,
    read_integer_string,
    region_config,
    roman_to_int,
)

__all__ = ["normalize", "clean", "spell", "read_number_string"]


def _alt(keys) -> str:
    """Regex alternation of literal keys, longest first."""
    return "|".join(re.escape(k) for k in sorted(set(keys), key=lambda k: (-len(k), k)))


# ------------------------------------------------------------------------------------------------
# Pieces
_THOUSANDS_DOT = r"[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9]|\.[0-9])(?:,[0-9]+)?"
_THOUSANDS_COMMA = r"[0-9]{1,3}(?:,[0-9]{3}){2,}(?![0-9])|[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]{1,2}(?![0-9])"
# "1 500 000", "12 345", "12 500,5": groups of three after a space (not a phone: no leading 0)
_THOUSANDS_SPACE = r"[1-9][0-9]{0,2}(?: [0-9]{3})+(?![0-9]|[.,][0-9]{3})(?:,[0-9]+)?"
# a number in front of a unit or currency: also accepts "1.5" (English decimal point)
_NUM = rf"(?:{_THOUSANDS_SPACE}|{_THOUSANDS_DOT}|{_THOUSANDS_COMMA}|[0-9]+\.[0-9]{{1,2}}(?![0-9])|[0-9]+(?:,[0-9]+)?)"
_NB = r"(?<![\w.,])"  # a number must not continue a word or another number

_UNITS_ALL = {**data.UNITS, **data.ATTACHED_ONLY_UNITS}
_PER_ALL = {**data.UNITS, **data.ATTACHED_ONLY_UNITS, **data.PER_UNITS}
_UNIT_ATTACHED_RE = _alt(_UNITS_ALL)
_UNIT_SPACED_RE = _alt(data.UNITS)
_PER_RE = rf"(?:{_alt(_PER_ALL)}|[^\W\d_]+)"
_CUR_RE = _alt(data.CURRENCIES)
_CUR_PREFIX_RE = _alt(data.CURRENCY_PREFIXES)


def _trie_regex(keys) -> str:
    """One regex for many literal keys, as a trie ("UB(?:MTTQ(?:VN)?|ND)"), so that the regex
    engine rejects a position after one or two characters instead of trying every key (the
    dictionary has hundreds).  Longer keys win: at each node the continuations are tried before
    the key that ends there.  A key ending in a letter or digit must end a word."""
    trie: dict = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict, last: str) -> str:
        branches = [re.escape(ch) + build(child, ch) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            branches.append(r"(?![\w&])" if last.isalnum() else "")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return build(trie, "")


def _abbr_alt() -> str:
    return _trie_regex(data.ABBREVIATIONS)


_PATTERNS = [
    # quantifiers are bounded (RFC lengths) so that a long run of symbols cannot make a failed
    # match scan to the end of the text at every position
    ("email", r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._+-]{0,63}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,6}"),
    (
        "url",
        r"(?<![\w@/.])(?:(?:https?|ftp)://|www\.)[^\s<>\"'\[\]()]*[^\s<>\"'.,;:!?()\[\]]"
        r"|(?<![\w@/.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}"
        r"(?i:vn|com|net|org|gov|edu|info|io|app|asia|biz)"
        r"(?:/[^\s<>\"']*[^\s<>\"'.,;:!?()\[\]])?(?![\w-]|\.[A-Za-z0-9])",
    ),
    (
        "phone",
        r"(?<![\w.,+])(?:\+84[ .-]?[0-9]{2,3}|\(0[0-9]{2,3}\)|0[0-9]{2,3})(?:[ .-]?[0-9]{3,4}){2}"
        r"(?!\w|[.,][0-9])",
    ),
    ("hotline", r"(?<![\w.,])1[89]00(?:[ .]?[0-9]{2,4}){1,3}(?!\w|[.,][0-9])"),
    (
        "plate",
        r"(?<![\w.,/-])(?P<lpp>[0-9]{2})(?:-(?P<lps1>[A-ZĐ]{1,2}[0-9])[ .]?|(?P<lps2>[A-ZĐ]{1,2}[0-9]?)-)"
        r"(?P<lpn>[0-9]{3}\.[0-9]{2}|[0-9]{4,5})(?![0-9]|[.,][0-9])",
    ),
    (
        "sci",
        r"(?<![\w.,])(?:(?P<scm>[0-9]{1,3}(?:[,.][0-9]{1,6})?) ?[×xX*·] ?|(?P<scm2>[0-9]{1,3}(?:,[0-9]{1,6})?)\.)?"
        r"10\^(?P<sce>[-+]?[0-9]{1,3})(?![0-9])"
        r"|(?<![\w.,])(?P<sem>[0-9]{1,3}(?:[.,][0-9]{1,6})?)[eE](?P<see>[-+]?[0-9]{1,3})(?!\w)",
    ),
    (
        "sciunit",  # a unit after scientific notation: "10^-7 m", "1.10^-2 mg/l"
        rf"(?<=[0-9] )(?P<scu>{_UNIT_SPACED_RE})(?P<scp>(?:/{_PER_RE}){{1,2}})?(?!\w)",
    ),
    (
        "myrange",
        r"(?<![\w.,/-])(?P<mra>[0-9]{1,2})[/.](?P<mray>[0-9]{4}) ?[-–—] ?(?P<mrb>[0-9]{1,2})[/.](?P<mrby>[0-9]{4})"
        r"(?![0-9]|[.,/-][0-9])",
    ),
    (
        "drange",
        r"(?<![\w.,/-])(?P<rd1>[0-9]{1,2})(?:(?P<rs1>[/.])(?P<rm1>[0-9]{1,2})(?:(?P=rs1)(?P<ry1>[0-9]{4}))?)?"
        r" ?[-–—] ?(?P<rd2>[0-9]{1,2})(?P<rs2>[/.])(?P<rm2>[0-9]{1,2})(?:(?P=rs2)(?P<ry2>[0-9]{4}))?"
        r"(?![0-9]|[.,/-][0-9])",
    ),
    (
        "mrange",
        r"(?<![\w.,/-])(?P<mr1>[0-9]{1,2}) ?[-–—] ?(?P<mr2>[0-9]{1,2})[/.-](?P<mry>[0-9]{4})(?![0-9]|[.,/-][0-9])",
    ),
    (
        "date3",
        r"(?<![\w.,/-])(?P<d3d>[0-9]{1,2})(?P<d3s>[/.-])(?P<d3m>[0-9]{1,2})(?P=d3s)(?P<d3y>[0-9]{4})"
        r"(?![0-9]|[.,/-][0-9])",
    ),
    (
        "doc",
        r"(?<![\w./])(?P<docn>[0-9]+)(?:/(?P<docy>[0-9]{4}))?/"
        r"(?P<docc>[A-ZĐ][A-Za-zĐđ&0-9]*(?:-[A-ZĐ][A-Za-zĐđ&0-9]*)*)(?![\w&])",
    ),
    (
        "pdoc",
        r"(?<![\w./])(?P<pdn>[0-9]{1,5})-(?P<pdc>[A-ZĐ][A-Za-zĐđ]{0,5})/(?P<pdo>[A-ZĐ][A-Za-zĐđ0-9]{0,9}(?:-[A-ZĐ][A-Za-zĐđ0-9]{0,9})*)"
        r"(?![\w&])",
    ),
    ("mys", r"(?<!\w)(?i:tháng)[ \t]+(?P<mysm>[0-9]{1,2})[ \t]+(?P<mysy>[0-9]{4})(?!\w|[.,][0-9])"),
    ("my", r"(?<![\w.,/-])(?P<mym>[0-9]{1,2})(?P<mysep>[/.-])(?P<myy>[0-9]{4})(?![0-9]|[.,/-][0-9])"),
    (
        "hms",
        r"(?<![\w.,:])(?P<th>[0-9]{1,2}):(?P<tm>[0-9]{2})(?::(?P<ts>[0-9]{2}))?(?![0-9]|[.,:][0-9])",
    ),
    ("hm", r"(?<![\w.,])(?P<hmh>[0-9]{1,2})[hHg](?P<hmm>[0-9]{2})(?:'|ph|p)?(?!\w)"),
    ("ps", r"(?<![\w.,])(?P<psp>[0-9]{1,3})(?:p|ph)(?P<pss>[0-9]{1,2})s(?!\w)"),
    ("gps", r"(?<![\w.,])(?P<gph>[0-9]{1,2})[ghH](?P<gpm>[0-9]{1,2})(?:p|ph|')(?P<gpsec>[0-9]{1,2})(?:s|\")(?!\w)"),
    ("dur", rf"{_NB}(?P<durn>{_NUM})(?P<duru>h|H|ph|p|s)(?!\w)"),
    ("gio", r"(?<![\w.,])(?P<gion>[0-9]{1,2})g(?!\w)"),
    (
        "mixed",
        r"(?<![\w.,/])(?P<mxw>[0-9]+) (?P<mxn>[0-9]{1,3})/(?P<mxd>[0-9]{1,3})(?![0-9]|[/.,][0-9])"
        rf"(?: ?(?P<mxu>{_UNIT_SPACED_RE})(?!\w))?",
    ),
    (
        "fracunit",
        rf"(?<![\w.,/])(?P<fun>[0-9]{{1,3}})/(?P<fud>[0-9]{{1,3}}) ?(?P<fuu>{_UNIT_ATTACHED_RE})(?!\w)",
    ),
    (
        "moneypre",
        rf"(?<!\w)(?P<mpc>{_CUR_PREFIX_RE}) ?(?P<mpn>{_NUM})(?:[ \t]?(?P<mps>triệu|tỷ|tỉ|nghìn|ngàn))?"
        rf"(?P<mpp>(?:/{_PER_RE}){{1,2}})?(?!\w)",
    ),
    (
        "slang",
        rf"{_NB}(?P<sln>{_NUM})(?:(?P<sls>tr|TR|Tr|k|K)(?P<sld>[0-9]{{1,3}})?|(?P<slt>t)(?P<sltd>[0-9]{{1,3}}))"
        rf"(?:[ \t]?(?P<slc>{_CUR_RE}))?(?P<slp>(?:/{_PER_RE}){{1,2}})?(?!\w)",
    ),
    ("money", rf"{_NB}(?P<mon>{_NUM})[ \t]?(?P<moc>{_CUR_RE})(?P<mop>(?:/{_PER_RE}){{1,2}})?(?!\w)"),
    (
        "measure",
        rf"{_NB}(?P<men>{_NUM})(?:(?P<meu>{_UNIT_ATTACHED_RE})|[ \t](?P<mesu>{_UNIT_SPACED_RE}))"
        rf"(?P<mep>(?:/{_PER_RE}){{1,2}})?(?!\w)",
    ),
    (
        "formation",  # "4-4-2", "3-5-2": team formations and other chains, not ranges
        r"(?<![\w.,/-])[0-9]{1,2}(?: ?[-–] ?[0-9]{1,2}){2,4}(?![0-9]|[-/.,:][0-9]|[^\W\d_])",
    ),
    (
        "dash2",
        r"(?<![\w.,/-])(?P<dsa>[0-9]{1,2})(?P<dss> ?[-–] ?)(?P<dsb>[0-9]{1,2})(?![0-9]|[/.,:-][0-9]|[^\W\d_]|[%‰°])",
    ),
    ("addr", r"(?<![\w.])(?:(?P<adk>[QP])\.[ \t]?|(?P<adkm>Km|KM|km)(?:[ .]|(?=[0-9]{1,4}\+)))(?=[0-9])"),
    (
        "slash",
        r"(?<![\w.,/])(?P<sla>[0-9]{1,4}[A-Za-z]?)(?P<slr>(?:/[0-9]{1,4}[A-Za-z]?)+)(?!\w|[/.,][0-9])",
    ),
    (
        "unitword",
        r"(?:(?<=mỗi )|(?<=Mỗi )|(?<=triệu )|(?<=nghìn )|(?<=ngàn )|(?<=tỷ )|(?<=tỉ )|(?<=trăm )|(?<=vạn )"
        r"|(?<=một )|(?<=Một )|(?<=nửa )|(?<=Nửa )|(?<=vài )|(?<=mấy ))"
        rf"(?:(?P<uwu>{_alt(k for k in data.UNITS if len(k) > 1)})|(?P<uwc>{_alt(k for k in data.CURRENCIES if not k.isalpha() or k.isupper())}))"
        rf"(?P<uwp>(?:/{_PER_RE}){{1,2}})?(?![\w&])",
    ),
    ("abbr", rf"(?<![\w&.])(?:{_abbr_alt()})"),
    ("flu", r"(?<![\w/])(?P<flua>[AB])/(?P<flus>H[0-9]{1,2}N[0-9]{1,2})(?![\w/])"),
    ("deg", r"(?:(?<=độ )|(?<=Độ ))(?P<degu>[CFK])(?![\w&])"),
    (
        "alnum",
        r"(?<![\w.,])(?:[0-9]+[A-Za-zĐđ]+[A-Za-z0-9Đđ]*|[A-Za-zĐđ]+[0-9][A-Za-z0-9Đđ]*)(?!\w)",
    ),
    ("num", rf"(?<![0-9])(?:{_THOUSANDS_SPACE}|{_THOUSANDS_DOT}|{_THOUSANDS_COMMA}|[0-9]+(?:\.[0-9]+)+|[0-9]+,[0-9]+|[0-9]+)"),
    ("roman", r"(?<![\w&])(?:[IVXLCDM]+|[ivxlcdm]+)(?![\w&])"),
    ("compound", r"(?<![\w&-])[A-ZĐ][A-Za-zĐđ&]*(?:-[A-ZĐ][A-Za-zĐđ&]*)+(?![\w&-])"),
    ("acro", r"(?<![\w&])[A-ZĐ]{2,}(?![\w&])"),
    (
        "tz",
        rf"(?:(?<=[0-9hH] )|(?<=giờ )|(?<=phút )|(?<=giây ))(?i:{_alt(data.TIME_ZONES)})(?!\w)",
    ),
    ("perunit", rf"(?<=[^\W\d_])/(?P<puw>{_alt(_PER_ALL)}|[^\W\d_]+)(?!\w)"),
    ("sym", rf"[{re.escape(''.join(data.SYMBOLS))}]"),
]


# The token classes that can start with an ASCII digit, and those that can start with a letter.
# A gate on a digit (or a letter) tries only those; any other character tries them all.  An
# alternation gets no first-character optimisation from Python's regex engine, so this halves
# the cost of the common case (a plain word).
_DIGIT_START = frozenset({
    "email", "url", "phone", "hotline", "plate", "sci", "myrange", "drange", "mrange", "date3", "doc", "pdoc", "my",
    "hms", "hm", "ps", "gps", "dur", "gio", "mixed", "fracunit", "slang", "money", "measure", "formation", "dash2",
    "slash", "alnum", "num",
})
_WORD_START = frozenset({
    "email", "url", "mys", "moneypre", "sciunit", "unitword", "addr", "alnum", "abbr", "roman", "compound",
    "flu", "deg",
    "acro", "tz",
})
# a gate on any other character ("+", "(", "$", "€", "°", "/", "%", "&"…)
_SYMBOL_START = frozenset({"phone", "moneypre", "sciunit", "unitword", "perunit", "sym"})
_MASTERS: dict[tuple, re.Pattern] = {}


# Where a token can start: a word start, a digit glued to a word ("Lớp10"), or a symbol.  Trying
# the master regex only there (instead of at every character, as finditer would) is what makes
# normalize fast: an alternation of ~40 branches gets no first-character optimisation from the
# regex engine.
_GATE = re.compile(r"(?<!\w)\w|(?<=\w)[0-9]|[^\w\s]")


def _class_of(first: str) -> frozenset:
    if first in "0123456789" and first:
        return _DIGIT_START
    if first.isalpha():
        return _WORD_START
    return _SYMBOL_START


# per class: the master regex (its alternatives in priority order) and the names in that order
_CLASS_MASTERS: dict[frozenset, tuple[re.Pattern, list[str]]] = {
    cls: (
        re.compile("|".join(f"(?P<{name}>{pat})" for name, pat in _PATTERNS if name in cls)),
        [name for name, _ in _PATTERNS if name in cls],
    )
    for cls in (_DIGIT_START, _WORD_START, _SYMBOL_START)
}
# each alternative alone, for the rare re-reading after a handler rejected its match (compiling
# a whole master without some alternatives on demand cost ~0.1 s the first time; one alternative
# costs a few ms at most, once)
_PATTERN_OF = dict(_PATTERNS)
_SINGLE: dict[str, re.Pattern] = {}


def _single(name: str) -> re.Pattern:
    regex = _SINGLE.get(name)
    if regex is None:
        regex = _SINGLE[name] = re.compile(f"(?P<{name}>{_PATTERN_OF[name]})")
    return regex


def _master(excluded: frozenset = frozenset(), first: str = "") -> re.Pattern:
    """The master regex for a token starting with ``first`` (kept for callers and tests;
    ``excluded`` alternatives are dropped, compiled on demand)."""
    cls = _class_of(first)
    if not excluded:
        return _CLASS_MASTERS[cls][0]
    key = (cls, excluded)
    regex = _MASTERS.get(key)
    if regex is None:
        regex = _MASTERS[key] = re.compile(
            "|".join(f"(?P<{name}>{pat})" for name, pat in _PATTERNS if name in cls and name not in excluded)
            or "(?!)"
        )
    return regex


_DIGIT_RUN = re.compile(r"[0-9]+")
_URL_PIECES = re.compile(r"[^\W\d_]+|[0-9]+|.")
_THOUSANDS_DOT_RE = re.compile(_THOUSANDS_DOT)
_LETTERS_DIGITS = re.compile(r"[0-9]+|[^\W\d_]+")
_WEEKDAYS = {"T2": "thứ hai", "T3": "thứ ba", "T4": "thứ tư", "T5": "thứ năm", "T6": "thứ sáu", "T7": "thứ bảy",
             "CN": "chủ nhật"}
_WEEKDAY_TOKEN = r"(?:T[2-7]|CN)"
_WEEKDAY_NEAR = re.compile(rf"(?<![\w&]){_WEEKDAY_TOKEN}\s*(?:,|-|–|và|hoặc|đến|tới)?\s*$")
_WEEKDAY_NEAR_AFTER = re.compile(rf"\s*(?:,|-|–|và|hoặc|đến|tới)?\s*{_WEEKDAY_TOKEN}(?![\w&])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,.;:!?])")
_SPACE_AROUND_NL = re.compile(r" *\n *")
_VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    r"(?:(?:uye|ie|ye|uo|ua)(?:ng|nh|ch|[cmnptu])"  # iê, yê, uyê, uô, uâ need a final
    r"|oai|oay|oeo|uoi|uou|ieu|yeu|uay|uyu|ai|ao|au|ay|eo|eu|iu|oi|ui|ia|ua|uu"
    r"|(?:oa|oe|oo|uy|ue|[aeiouy])(?:ng|nh|ch|[cmnpt])?)",
    re.IGNORECASE,
)
_ABBR_UPPER = {k.upper(): v for k, v in data.ABBREVIATIONS.items() if k.isalpha()}

_NUMERIC = frozenset(
    {"date3", "date2", "my", "mys", "hms", "hm", "ps", "dur", "mixed", "fracunit", "moneypre", "slang",
     "money", "measure", "num", "slashnum", "slash", "sci", "daterange", "gio"}
)
_NEGATABLE = frozenset({"mixed", "fracunit", "slang", "money", "measure", "num", "slashnum", "sci"})
_RANGE_DASHES = frozenset({"-", "–", "—", "−"})
_SIGN_LEAD = frozenset(" \t\n([{:;,=")


_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_ARITH_AFTER = re.compile(r" ?[+=×÷] ?[0-9]")
_ARITH_BEFORE = re.compile(r"[0-9] ?[+=×÷] ?$")


def valid_date(d: int, m: int, y: int | None = None) -> bool:
    """A real calendar day: 31/02, 31/04, 29/02/2026 are not (without a year 29/02 is)."""
    if not (1 <= m <= 12 and 1 <= d <= _MONTH_DAYS[m - 1]):
        return False
    if m == 2 and d == 29 and y is not None:
        return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return True


def read_name_number(s: str, *, region: str = "north") -> str:
    """A number that is part of a name or code keeps its leading zero: "06" -> "không sáu"
    ("Đề án 06", "CT01", "số 02/KH-UBND"); other numbers are read as numbers."""
    if len(s) >= 2 and s[0] == "0" and s.isdigit():
        return read_digits(s)
    return read_integer_string(s, region=region)


def spell(token: str) -> str:
    """Spell a token letter by letter with Vietnamese letter names ("ATM" -> "a tê mờ");
    digits are read one by one."""
    out = []
    for ch in token:
        low = ch.lower()
        if low in data.LETTER_NAMES:
            out.append(data.LETTER_NAMES[low])
        elif ch.isdigit() and ch in "0123456789":
            out.append(read_digits(ch))
    return " ".join(out)


def read_number_string(s: str, *, region: str = "north") -> str:
    """Read a written number: "1.500.000", "1 500 000", "2,63", "1,500,000", "1.5", "2025", "007"."""
    if " " in s:
        s = s.replace(" ", "")
    if "." in s and "," in s:
        if s.rfind(".") > s.rfind(","):  # English "4,150.50"
            whole, frac = s.replace(",", "").split(".", 1)
            return decimal_to_words(whole, frac, region=region)
        whole, frac = s.split(",", 1)  # 10.000,50
        return decimal_to_words(whole.replace(".", ""), frac, region=region)
    if "," in s:
        if s.count(",") >= 2:  # 1,500,000 (English thousands)
            return number_to_words(int(s.replace(",", "")), region=region)
        whole, frac = s.split(",", 1)
        return decimal_to_words(whole, frac, region=region)
    if "." in s:
        groups = s.split(".")
        if all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3:
            return number_to_words(int(s.replace(".", "")), region=region)
        whole, frac = s.split(".", 1)
        return decimal_to_words(whole, frac, region=region)
    return read_integer_string(s, region=region)


def _read_dotted(s: str, region: str) -> str:
    """"4.0" -> "bốn chấm không", "192.168.1.1": each part after "chấm"."""
    out = []
    for part in s.split("."):
        if len(part) > 1 and part[0] == "0":
            out.append(read_digits(part))
        else:
            out.append(read_integer_string(part, region=region))
    return " chấm ".join(out)


def _is_syllable(token: str) -> bool:
    return _VI_SYLLABLE.fullmatch(token) is not None


def _segment_syllables(word: str) -> str | None:
    """Split an unaccented run of Vietnamese syllables ("dichvucong" -> "dich vu cong"); None when
    it cannot be split.  Fewest syllables wins, common syllables (``data.COMMON_SYLLABLES``) cost
    less than rare ones and a rare syllable starting with a vowel costs more ("ha noi", not "han
    oi"; "ho tro", not "hot ro"); on a tie the longer first syllable wins."""
    n = len(word)
    if n > 40:
        return None
    cost: list[float] = [float("inf")] * (n + 1)
    nxt: list[int] = [0] * (n + 1)
    cost[n] = 0
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + 7), i, -1):
            if cost[j] != float("inf") and _VI_SYLLABLE.fullmatch(word, i, j):
                syl = word[i:j]
                vowel = word[i] in "aeiouy"
                c = cost[j] + (1 + 0.1 * vowel if syl in data.COMMON_SYLLABLES else 1.3 + 0.5 * vowel)
                if c < cost[i]:
                    cost[i], nxt[i] = c, j
    if cost[0] == float("inf"):
        return None
    out, i = [], 0
    while i < n:
        out.append(word[i:nxt[i]])
        i = nxt[i]
    return " ".join(out)


_VOWELS = frozenset("aeiouy")


def _read_url_label(low: str) -> str:
    """An unlisted lower-case ASCII label of a web or e-mail address: a syllable as it is
    ("ngo"), a run of syllables split ("lophocso" -> "lop hoc so"), initials spelled before or
    after syllables ("toanbt" -> "toan bê tê"), a label without vowels or of up to three letters
    spelled ("vbpl", "xyz"), anything else left as written for the speech engine."""
    if _is_syllable(low):
        return low
    seg = _segment_syllables(low)
    if seg is not None:
        return seg
    if len(low) <= 3 or not (_VOWELS & set(low)):
        return spell(low)
    for k in (2, 3):  # initials before or after common syllables: "toanbt", "bthoa"
        for letters, rest, first in ((low[-k:], low[:-k], False), (low[:k], low[k:], True)):
            if _VOWELS & set(letters):
                continue
            seg = _segment_syllables(rest)
            if seg is not None and all(x in data.COMMON_SYLLABLES for x in seg.split()):
                return f"{spell(letters)} {seg}" if first else f"{seg} {spell(letters)}"
    if len(low) <= 6 and sum(c in _VOWELS for c in low) <= 1:
        return spell(low)
    return low


def _known_host(host: str) -> bool:
    """A listed public-service or news domain (data/domains.tsv), or any *.gov.vn host."""
    host = host.lower()
    if host.endswith((".gov.vn", ".edu.vn")):
        return True
    labels = host.split(".")
    return any(".".join(labels[i:]) in data.KNOWN_DOMAINS for i in range(len(labels) - 1))


def _word_token(token: str, codes: bool = False) -> tuple[str, str]:
    """Like :func:`_read_word_token`, with the rule that applied: "abbreviation", "acronym" (a
    known acronym spelled), "unknown_acronym" (an unknown all-capital word spelled) or "word"."""
    if codes and token in data.DOC_CODE_PARTS:
        return data.DOC_CODE_PARTS[token], "abbreviation"
    if token in data.ABBREVIATIONS:
        return data.ABBREVIATIONS[token], "abbreviation"
    if token.isupper() and not _is_syllable(token):
        return spell(token), ("acronym" if token in data.KNOWN_ACRONYMS else "unknown_acronym")
    if len(token) == 1:
        return spell(token), "acronym"
    return token, "word"



def _domain_label(label: str) -> str | None:
    """A domain label from data/domains.tsv, whole or as a concatenation of listed labels
    ("baobacninh" -> "báo Bắc Ninh"); None when it is not made of listed labels."""
    entry = data.DOMAIN_LABELS.get(label)
    if entry is not None:
        return entry[0] if entry[1] != "piece" else None
    n = len(label)
    if n > 60 or n < 4:
        return None
    best: list = [None] * (n + 1)  # best[i]: fewest parts covering label[i:]
    best[n] = ()
    for i in range(n - 1, -1, -1):
        for j in range(n, i + 1, -1):
            part = data.DOMAIN_LABELS.get(label[i:j])
            if part is not None and best[j] is not None:
                cand = (part,) + best[j]
                if best[i] is None or len(cand) < len(best[i]):
                    best[i] = cand
    parts = best[0]
    if not parts or len(parts) < 2 or all(kind == "piece" for _, kind in parts):
        return None
    return " ".join(reading for reading, _ in parts)


def _read_word_token(token: str, codes: bool = False) -> str:
    """An all-letter token: abbreviation table (and, inside a document code, the code parts),
    else a Vietnamese-looking word kept, else spelled."""
    if codes and token in data.DOC_CODE_PARTS:
        return data.DOC_CODE_PARTS[token]
    if token in data.ABBREVIATIONS:
        return data.ABBREVIATIONS[token]
    if token.isupper() and not _is_syllable(token):
        return spell(token)
    if len(token) == 1:
        return spell(token)
    return token


#: Tests set this to True so that a handler bug surfaces instead of being read plainly.
STRICT = False

_SKIP = ("", "skip")  # handler result: "not a token after all", leave the text as it is


class TextHelpers:
    @staticmethod
    def next_word(text: str, end: int) -> str:
        m = re.match(r"[ \t]+([^\W\d_]+)", text[end:end + 30])
        return m.group(1) if m else ""


class _Normalizer:
    def __init__(self, region: str, local: dict[str, str] | None = None):
        self.region = region
        self.cfg = region_config(region)
        self.local = local or {}
        self.local_re = _local_regex(self.local) if self.local else None

    # -- helpers ---------------------------------------------------------------------------------
    def n(self, value: int) -> str:
        return number_to_words(value, region=self.region)

    def num(self, s: str) -> str:
        return read_number_string(s, region=self.region)

    @staticmethod
    def prev_words(text: str, start: int) -> tuple[str | None, str | None]:
        """(previous word, previous two words) in lower case.  None when the token is glued to
        something other than whitespace or "(" ("2-6", "Quý4") or the previous token is not a plain
        word (punctuation breaks the context)."""
        if start == 0 or not (text[start - 1].isspace() or text[start - 1] == "("):
            return None, None
        parts = text[max(0, start - 40):start].rstrip(" \t\n(").split()
        if not parts:
            return None, None
        last = parts[-1].lstrip("([{\"'“‘")
        if not last.isalpha():
            return None, None
        p1 = last.lower()
        p2 = f"{parts[-2].lower()} {p1}" if len(parts) > 1 and parts[-2].isalpha() else None
        return p1, p2

    @staticmethod
    def next_word(text: str, end: int) -> str:
        m = re.match(r"[ \t]+([^\W\d_]+)", text[end:end + 30])
        return m.group(1) if m else ""

    def date(self, d: int, m: int, y: int | None, prefix: bool) -> str:
        out = f"ngày {self.n(d)} tháng {month_to_words(m, region=self.region)}"
        if y is not None:
            out += f" năm {self.n(y)}"
        return out if prefix else out[5:]

    def clock(self, h: int, mi: int, s: int | None, mi_text: str) -> str | None:
        if h > 24 or mi > 59 or (s is not None and s > 59):
            return None
        out = f"{self.n(h)} giờ"
        if s is None:
            if mi:
                out += f" {self.n(mi)}"
                if mi_text.startswith("0"):
                    out += " phút"
            return out
        if mi or s:
            out += f" {self.n(mi)} phút"
        if s:
            out += f" {self.n(s)} giây"
        return out

    def per(self, units: str | None, money: bool) -> str:
        """"/kg" -> " một ki lô gam" after money (a price per unit), " trên ki lô gam" after a
        measure; "/ha/năm" gives two parts."""
        if not units:
            return ""
        out = []
        for unit in units.split("/")[1:]:
            reading = _PER_ALL.get(unit) or data.CURRENCIES.get(unit) or _read_word_token(unit)
            out.append(f" {'một' if money else 'trên'} {reading}")
        return "".join(out)

    # -- handlers: each returns (text, kind) or None ----------------------------------------------
    def h_email(self, m, text):
        """Web and e-mail addresses (see the package docstring).  The labels of a listed host are
        read as Vietnamese words with their tones ("dichvucong.gov.vn" -> "dịch vụ công chấm gốp
        chấm vê en"); other labels are split into syllables or spelled, so that a listener can
        type them.  A mailbox that is one known abbreviation is expanded ("ubnd@…")."""
        s = m.group()
        is_email = "@" in s
        local, host = s.split("@", 1) if is_email else ("", s.split("/", 1)[0])
        known = _known_host(host)
        part = "local" if is_email else "host"
        out = []
        for piece in _URL_PIECES.findall(s):
            if piece == "@":
                part = "host"
            elif piece == "/" and part == "host":
                part = "path"
            if piece[0].isdigit():
                out.append(read_digits(piece))
            elif piece.isalpha():
                low = piece.lower()
                if not piece.isascii():
                    out.append(piece)
                    continue
                label = _domain_label(low) if part == "host" and known else None
                if low in data.URL_WORDS:
                    out.append(data.URL_WORDS[low])
                elif label is not None:
                    out.append(label)
                elif part == "local" and len(piece) >= 4 and piece.upper() in _ABBR_UPPER:
                    out.append(_ABBR_UPPER[piece.upper()])
                else:
                    out.append(_read_url_label(low))
            elif piece in data.URL_SYMBOLS:
                out.append(data.URL_SYMBOLS[piece])
        return " ".join(out), ("email" if is_email else "url")

    def h_url(self, m, text):
        s = re.sub(r"^(?:https?|ftp)://", "", m.group(), flags=re.IGNORECASE)
        return self.h_email(_FakeMatch(s), text)

    def h_phone(self, m, text):
        s = m.group()
        out = []
        if s.startswith("+"):
            out.append("cộng " + read_digits(s[1:3]))
            s = s[3:]
        groups = [g for g in re.split(r"[^0-9]+", s) if g]
        digits = "".join(groups)
        if m.lastgroup == "hotline" or s.startswith("1"):
            if len(digits) not in (8, 10):
                return None
        elif out:
            if len(digits) not in (9, 10):
                return None
        elif len(digits) not in (10, 11):
            return None
        if len(groups) == 1:  # written without separators: 4-3-3 / 3-4-4 / 3-3-3 / 4-4
            d = groups[0]
            if out:
                cuts = (3, 6) if len(d) == 9 else (2, 6)
            elif d.startswith("1"):
                cuts = (4,) if len(d) == 8 else (4, 7)
            elif len(d) == 10:
                cuts = (4, 7)
            else:
                cuts = (3, 7)
            bounds = (0, *cuts, len(d))
            groups = [d[a:b] for a, b in zip(bounds, bounds[1:])]
        out += [read_digits(g) for g in groups]
        return ", ".join(out), "phone"

    h_hotline = h_phone

    def h_date3(self, m, text):
        d, mo, y = int(m.group("d3d")), int(m.group("d3m")), int(m.group("d3y"))
        if not valid_date(d, mo, y):
            return None
        p1, _ = self.prev_words(text, m.start())
        return self.date(d, mo, y, p1 not in data.DATE_NO_PREFIX_WORDS), "date3"

    def h_doc(self, m, text):
        out = read_name_number(m.group("docn"), region=self.region)
        if m.group("docy"):
            out += f" năm {self.n(int(m.group('docy')))}"
        code = m.group("docc")
        if code in data.ABBREVIATIONS:
            return f"{out} {data.ABBREVIATIONS[code]}", "document"
        return out + " " + " ".join(self.code_part(p) for p in code.split("-")), "document"

    def code_part(self, part: str) -> str:
        """"UBND" -> "ủy ban nhân dân", "QH15" -> "quốc hội mười lăm"."""
        out = []
        for piece in _LETTERS_DIGITS.findall(part):
            if piece[0] in "0123456789":
                out.append(read_name_number(piece, region=self.region))
            else:
                out.append(_read_word_token(piece, True))
        return " ".join(out)

    def h_pdoc(self, m, text):
        """Party documents "45-CT/TW", "09-NQ/ĐU": number, kind, issuer."""
        out = read_name_number(m.group("pdn"), region=self.region)
        parts = [m.group("pdc")] + m.group("pdo").split("-")
        return out + " " + " ".join(self.code_part(p) for p in parts), "document"

    def h_sciunit(self, m, text):
        """Only right after a number in scientific notation (the previous token)."""
        if not re.search(r"10\^[-+]?[0-9]{1,3} $|[0-9][eE][-+]?[0-9]{1,3} $", text[max(0, m.start() - 12):m.start()]):
            return None
        return _UNITS_ALL[m.group("scu")] + self.per(m.group("scp"), money=False), "unit"

    def h_sci(self, m, text):
        """"1,5.10^6", "2,4×10^3", "10^-7", "1e6": "… nhân mười mũ …"."""
        if m.group("sem") is not None:
            mant, exp = m.group("sem"), m.group("see")
        else:
            mant, exp = m.group("scm") or m.group("scm2"), m.group("sce")
        e = int(exp.lstrip("+"))
        power = f"mười mũ {'âm ' if e < 0 else ''}{self.n(abs(e))}"
        if mant is None:
            return power, "sci"
        if "." in mant and "," not in mant:
            whole, frac = mant.split(".", 1)
            mant_words = decimal_to_words(whole, frac, region=self.region)
        else:
            mant_words = self.num(mant)
        return f"{mant_words} nhân {power}", "sci"

    def _date_part(self, d: int, mo: int | None, y: int | None, prefix: bool) -> str:
        out = f"ngày {self.n(d)}" if prefix else self.n(d)
        if mo is not None:
            out += f" tháng {month_to_words(mo, region=self.region)}"
        if y is not None:
            out += f" năm {self.n(y)}"
        return out

    def h_drange(self, m, text):
        """Ranges of days: "5-10/12/2026", "30/12-2/1/2027", "3 - 5.1", "20-22.12", "10.2-15.3"
        -> "ngày … đến ngày … tháng … năm …"."""
        g = m.group
        d1, d2, m2 = int(g("rd1")), int(g("rd2")), int(g("rm2"))
        m1 = int(g("rm1")) if g("rm1") else None
        y1 = int(g("ry1")) if g("ry1") else None
        y2 = int(g("ry2")) if g("ry2") else None
        if y1 is not None and y2 is None:
            return None
        if not valid_date(d2, m2, y2) or not valid_date(d1, m1 or m2, y1 if y1 is not None else y2):
            return None
        if m1 is None and d1 >= d2:
            return None
        if g("rs2") == "." and (m1 is None or g("rs1") == "."):
            # "3–5.1" / "10.2-15.3" are dates only where a date is expected, not "1-2.5 m"
            p1, _ = self.prev_words(text, m.start())
            after = text[m.end():m.end() + 12]
            if re.match(rf" ?(?:{_UNIT_ATTACHED_RE}|[%‰])(?!\w)", after):
                return None
            if not (p1 in data.DATE_CONTEXT_WORDS or p1 in ("các", "những") or after[:1] in ("", ".", ",", ";", ")")
                    or y2 is not None):
                return None
        p1, _ = self.prev_words(text, m.start())
        prefix = p1 not in data.DATE_NO_PREFIX_WORDS
        if m1 is not None and y1 is None and y2 is not None and (m1, d1) > (m2, d2):
            y1 = None  # "30/12-2/1/2027": the year is only said once, at the end
        first = self._date_part(d1, m1, y1, prefix)
        return f"{first} đến {self._date_part(d2, m2, y2, True)}", "daterange"

    def h_mrange(self, m, text):
        """"tháng 11-12/2026" -> "tháng mười một đến mười hai năm …" (only after "tháng")."""
        p1, _ = self.prev_words(text, m.start())
        a, b = int(m.group("mr1")), int(m.group("mr2"))
        if p1 != "tháng" or not (1 <= a < b <= 12):
            return None
        return (f"{month_to_words(a, region=self.region)} đến {month_to_words(b, region=self.region)}"
                f" năm {self.n(int(m.group('mry')))}"), "daterange"

    def h_myrange(self, m, text):
        """"11/2026-2/2027" -> "tháng mười một năm … đến tháng hai năm …"."""
        a, b = int(m.group("mra")), int(m.group("mrb"))
        if not (1 <= a <= 12 and 1 <= b <= 12):
            return None
        p1, _ = self.prev_words(text, m.start())
        first = f"{month_to_words(a, region=self.region)} năm {self.n(int(m.group('mray')))}"
        if p1 != "tháng":
            first = "tháng " + first
        second = f"tháng {month_to_words(b, region=self.region)} năm {self.n(int(m.group('mrby')))}"
        return f"{first} đến {second}", "daterange"

    def h_gio(self, m, text):
        """"7g", "19g tối": "giờ" where a time is expected, else None (then "5g" is gam)."""
        h = int(m.group("gion"))
        if h > 24:
            return None
        p1, _ = self.prev_words(text, m.start())
        nxt = self.next_word(text, m.end()).lower()
        after = text[m.end():m.end() + 8]
        before = text[max(0, m.start() - 6):m.start()]
        if (p1 in data.TIME_BEFORE_WORDS or nxt in data.TIME_AFTER_WORDS
                or re.match(r" ?[-–] ?[0-9]{1,2}g(?!\w)", after) or re.search(r"[0-9]g ?[-–] ?$", before)):
            return f"{self.n(h)} giờ", "gio"
        return None

    def h_mys(self, m, text):
        mo = int(m.group("mysm"))
        if not 1 <= mo <= 12:
            return None
        head = m.group()[: m.group().lower().index("tháng") + 5]
        return f"{head} {month_to_words(mo, region=self.region)} năm {self.n(int(m.group('mysy')))}", "mys"

    def h_my(self, m, text):
        mo, y = int(m.group("mym")), int(m.group("myy"))
        p1, _ = self.prev_words(text, m.start())
        year = self.n(y)
        if p1 in ("quý", "kỳ", "kì", "số", "khóa", "khoá", "đợt", "lần"):
            return f"{self.n(mo)} năm {year}", "my"
        if not 1 <= mo <= 12 or (m.group("mysep") == "-" and p1 != "tháng" and not 1900 <= y <= 2100):
            return None
        month = month_to_words(mo, region=self.region)
        if p1 == "tháng":
            return f"{month} năm {year}", "my"
        return f"tháng {month} năm {year}", "my"

    def h_hms(self, m, text):
        s = m.group("ts")
        out = self.clock(int(m.group("th")), int(m.group("tm")), int(s) if s else None, m.group("tm"))
        return (out, "hms") if out else None

    def h_hm(self, m, text):
        h, mi = int(m.group("hmh")), int(m.group("hmm"))
        if h > 24 and mi <= 59:  # "30h30p": a duration
            return f"{self.n(h)} giờ {self.n(mi)} phút", "dur"
        out = self.clock(h, mi, None, m.group("hmm"))
        return (out, "hm") if out else None

    def h_gps(self, m, text):
        h, mi, sec = int(m.group("gph")), int(m.group("gpm")), int(m.group("gpsec"))
        if mi > 59 or sec > 59:
            return None
        return f"{self.n(h)} giờ {self.n(mi)} phút {self.n(sec)} giây", "dur"

    def h_ps(self, m, text):
        mi, s = int(m.group("psp")), int(m.group("pss"))
        if s > 59:
            return None
        out = f"{self.n(mi)} phút"
        if s:
            out += f" {self.n(s)} giây"
        return out, "ps"

    def h_dur(self, m, text):
        unit = {"h": "giờ", "H": "giờ", "p": "phút", "ph": "phút", "s": "giây"}[m.group("duru")]
        return f"{self.num(m.group('durn'))} {unit}", "dur"

    def h_mixed(self, m, text):
        a, b = int(m.group("mxn")), int(m.group("mxd"))
        if not (0 < a < b):
            return None
        whole = self.num(m.group("mxw"))
        unit = f" {data.UNITS[m.group('mxu')]}" if m.group("mxu") else ""
        return f"{whole} và {fraction_to_words(a, b, region=self.region)}{unit}", "mixed"

    def h_fracunit(self, m, text):
        a, b = int(m.group("fun")), int(m.group("fud"))
        if m.group("fuu") == "mmHg":  # blood pressure "140/90 mmHg"
            return f"{self.n(a)} trên {self.n(b)} {_UNITS_ALL['mmHg']}", "fracunit"
        return f"{fraction_to_words(a, b, region=self.region)} {_UNITS_ALL[m.group('fuu')]}", "fracunit"

    def h_moneypre(self, m, text):
        out = f"{self.num(m.group('mpn'))}"
        if m.group("mps"):
            out += " " + m.group("mps")
        return f"{out} {data.CURRENCY_PREFIXES[m.group('mpc')]}" + self.per(m.group("mpp"), money=True), "moneypre"

    def h_slang(self, m, text):
        base = m.group("sln")
        if m.group("slt"):
            scale, tail = 1_000_000_000, m.group("sltd")
            scale_word = self.cfg["billion"]
        else:
            scale = data.MONEY_SCALES[m.group("sls")]
            tail = m.group("sld")
            scale_word = "triệu" if scale == 1_000_000 else self.cfg["thousand"]
        if not base.isdigit():
            if tail:
                return None
            out = f"{self.num(base)} {scale_word}"
        else:
            value = int(base) * scale
            if tail:
                value += int(tail) * scale // (10 ** len(tail))
            out = self.n(value)
        cur = m.group("slc")
        if cur:
            out += " " + data.CURRENCIES[cur]
        out += self.per(m.group("slp"), money=True)
        return out, "slang"

    def h_money(self, m, text):
        out = f"{self.num(m.group('mon'))} {data.CURRENCIES[m.group('moc')]}"
        return out + self.per(m.group("mop"), money=True), "money"

    def h_measure(self, m, text):
        unit = m.group("meu") or m.group("mesu")
        out = f"{self.num(m.group('men'))} {_UNITS_ALL[unit]}"
        return out + self.per(m.group("mep"), money=unit in ("%", "‰")), "measure"

    def h_slash(self, m, text):
        parts = [m.group("sla")] + m.group("slr").split("/")[1:]
        p1, p2 = self.prev_words(text, m.start())
        slash_word = f" {self.cfg['address_slash']} "

        def read_part(p: str) -> str:
            digits = p.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            out = read_integer_string(digits, region=self.region)
            if len(digits) < len(p):
                out += " " + spell(p[len(digits):])
            return out

        if len(parts) > 2 or not all(p.isdigit() for p in parts) or (p1 in data.ADDRESS_WORDS and p2 != "phân số"):
            return slash_word.join(read_part(p) for p in parts), "slash"
        sa, sb = parts
        a, b = int(sa), int(sb)
        valid = valid_date(a, b)
        padded = (len(sa) == 2 and sa[0] == "0") or (len(sb) == 2 and sb[0] == "0")
        prefix = p1 not in data.DATE_NO_PREFIX_WORDS
        if (a, b) in ((24, 7), (24, 24)) and p1 not in data.DATE_CONTEXT_WORDS:
            return f"hai mươi tư trên {self.n(b)}", "slash"  # "24/7", "24/24": round the clock
        if (_ARITH_AFTER.match(text, m.end()) or _ARITH_BEFORE.search(text[max(0, m.start() - 12):m.start()])
                or p2 == "phân số"):
            return fraction_to_words(a, b, region=self.region), "slashnum"  # "2/7 + 3/7", "phân số 5/8"
        if self.next_word(text, m.end()).lower() == "điểm" and a <= b:
            return f"{self.n(a)} trên {self.n(b)}", "slash"  # "10/10 điểm": a mark out of ten
        if not valid and p1 in data.DATE_CONTEXT_WORDS and 1 <= b <= 12:
            return slash_word.join(read_part(p) for p in parts), "slash"  # "ngày 31/11" is not a date
        if valid and (p1 in data.DATE_CONTEXT_WORDS or padded):
            return self.date(a, b, None, prefix), "date2"
        if b and (p1 in data.FRACTION_CONTEXT_WORDS or self.next_word(text, m.end()).lower() in data.FRACTION_NEXT_WORDS):
            return fraction_to_words(a, b, region=self.region), "slashnum"
        if valid and not (a < b and b in (2, 3, 4)):
            return self.date(a, b, None, prefix), "date2"
        if b == 0:
            return slash_word.join(read_part(p) for p in parts), "slash"
        return fraction_to_words(a, b, region=self.region), "slashnum"

    def h_dash2(self, m, text):
        """"a-b" of one- or two-digit numbers: a date after "ngày" ("ngày 1-5") or when it cannot
        be a range (a > b: "30-4"), a score after "tỷ số"/"thắng"… ("2-1" -> "hai một");
        otherwise None, so that it is read as a range by the generic rules."""
        a, b = int(m.group("dsa")), int(m.group("dsb"))
        p1, p2 = self.prev_words(text, m.start())
        if p1 in data.SCORE_WORDS or p2 in data.SCORE_WORDS or self._score_context(text, m):
            return f"{self.n(a)} {self.n(b)}", "score"
        if m.group("dss") != "-":
            return None  # spaced or en dash: a range
        valid = valid_date(a, b)
        if valid and p1 in data.DATE_NO_PREFIX_WORDS:
            return self.date(a, b, None, False), "date2"
        if a > b and valid:
            return self.date(a, b, None, True), "date2"
        return None

    @staticmethod
    def _score_context(text: str, m) -> bool:
        """A sports result: a score word earlier in the same clause ("thắng 6-4, 7-5", "tỷ số
        sau hai lượt trận là 4-3"), or team names on both sides ("Việt Nam 2-0 Indonesia")."""
        if TextHelpers.next_word(text, m.end()).lower() in data.RANGE_NOUNS:
            return False  # "thắng lợi sau 2-3 ngày": a range of a quantity
        before = text[max(0, m.start() - 60):m.start()]
        cut = max(before.rfind(c) for c in ".;!?\n")
        clause = " " + before[cut + 1:].lower() + " "
        if any(f" {w} " in clause for w in data.SCORE_CUES):
            return True
        prev = before.split()[-1:] if before.endswith(" ") else []
        after = text[m.end():m.end() + 20].split()[:1]
        return bool(prev and after and prev[0][:1].isupper() and after[0][:1].isupper()
                    and prev[0].isalpha() and after[0].rstrip(".,:;!?").isalpha())

    def h_flu(self, m, text):
        """Influenza subtypes "A/H5N1" -> "a hát năm nờ một"."""
        return f"{spell(m.group('flua'))} {self.code_part(m.group('flus'))}", "code"

    def h_deg(self, m, text):
        """"36,5 độ C" -> "… độ xê"."""
        return spell(m.group("degu")), "unit"

    def h_formation(self, m, text):
        return " ".join(self.n(int(p)) for p in re.split(r" ?[-–] ?", m.group())), "score"

    def h_plate(self, m, text):
        """Licence plates "29A-123.45", "29-B1 123.45", "20A-1234": province, series, groups."""
        series = m.group("lps1") or m.group("lps2")
        num = m.group("lpn")
        groups = num.split(".") if "." in num else [num]
        return (f"{self.n(int(m.group('lpp')))} {spell(series)}, "
                + ", ".join(read_digits(g) for g in groups)), "plate"

    def h_addr(self, m, text):
        if m.group("adkm"):  # "Km 15+200": a road marker
            return "ki lô mét ", "unit"
        return {"Q": "quận", "P": "phường"}[m.group("adk")], "abbreviation"

    def weekday(self, s: str, text: str, m) -> str | None:
        """"T2"…"T7" and "CN" as days of the week ("thứ bảy", "chủ nhật") when the words around say so: a
        neighbouring day ("T2, T4, T6", "T7 và CN"), a word of time before ("vào", "sáng", "lúc 8 giờ", "các")
        or after ("tuần này", "hằng tuần", "(28/11)"); otherwise None ("xe T7", "khu T7" stay codes)."""
        stop = "." if s.endswith(".") else ""  # "vào CN." ends a sentence ("CN." alone is also "cử nhân")
        day = _WEEKDAYS.get(s[:-1] if stop else s)
        if day is None:
            return None
        before = text[max(0, m.start() - 24):m.start()]
        after = text[m.end():m.end() + 24]
        words = before.lower().replace(",", " ").split()
        nxt = after.lstrip(" ").lower()
        if (_WEEKDAY_NEAR.search(before[-12:]) or (not stop and _WEEKDAY_NEAR_AFTER.match(after))
                or (words and (words[-1] in data.WEEKDAY_BEFORE or re.fullmatch(r"[0-9]{1,2}[hg]([0-9]{2})?", words[-1])))
                or (not stop and (nxt.startswith(data.WEEKDAY_AFTER)
                                  or re.match(r"\(\s*[0-9]{1,2}/[0-9]{1,2}", after.lstrip(" "))))):
            return day + stop
        return None

    def h_alnum(self, m, text):
        s = m.group()
        day = self.weekday(s, text, m)
        if day is not None:
            return day, "abbr"
        xm = re.fullmatch(r"([0-9]+)[xX]([0-9]+)", s)
        if xm:
            return f"{self.n(int(xm.group(1)))} nhân {self.n(int(xm.group(2)))}", "alnum"
        if s[0] in "xX" and s[1:].isdigit():  # "x2" -> "nhân hai"
            return f"nhân {self.n(int(s[1:]))}", "alnum"
        out = []
        for piece in _LETTERS_DIGITS.findall(s):
            if piece[0] in "0123456789":
                out.append(read_name_number(piece, region=self.region))
            elif piece in data.ABBREVIATIONS:
                out.append(data.ABBREVIATIONS[piece])
            elif piece.isupper() or len(piece) <= 2:
                out.append(spell(piece))
            else:
                out.append(piece)
        return " ".join(out), "alnum"

    def h_num(self, m, text):
        s = m.group()
        if "." in s and "," not in s and not _THOUSANDS_DOT_RE.fullmatch(s):
            if s.count(".") == 1 and self.next_word(text, m.end()).lower() in data.MULTIPLIER_WORDS:
                whole, frac = s.split(".")
                return decimal_to_words(whole, frac, region=self.region), "num"  # "2.5 triệu"
            if s.count(".") == 1:
                d, mo = s.split(".")
                p1, _ = self.prev_words(text, m.start())
                if p1 in data.DATE_NO_PREFIX_WORDS and len(d) <= 2 and len(mo) <= 2 and valid_date(int(d), int(mo)):
                    return self.date(int(d), int(mo), None, False), "date2"  # "ngày 10.12"
            return _read_dotted(s, self.region), "num"
        if s.isdigit():
            p1, p2 = self.prev_words(text, m.start())
            if p1 in data.ORDINAL_WORDS and len(s) < 7 and self.next_word(text, m.end()).lower() != "sao":
                return ordinal_to_words(int(s), region=self.region), "num"
            if p1 in data.MONTH_WORDS and 1 <= int(s) <= 12:
                return month_to_words(int(s), region=self.region), "num"
            if p2 == "đầu số" and len(s) <= 6:
                return read_digits(s), "digits"  # "đầu số 5656"
            if 5 <= len(s) <= 6 and self._postcode_context(text, m.start()):
                return read_digits(s), "digits"  # "mã bưu chính 11300"
            if s[0] == "0" and len(s) >= 2 and self._name_context(text, m.start()):
                return read_digits(s), "num"  # "Đề án 06", "mẫu số 02"
            if s in data.SHORT_HOTLINES and (
                p1 in data.PHONE_CONTEXT_WORDS or (p2 and p2.split()[0] in data.PHONE_CONTEXT_WORDS)
            ):
                return read_digits(s), "phone"
            return read_integer_string(s, region=self.region), "num"
        return self.num(s), "num"

    @staticmethod
    def _postcode_context(text: str, start: int) -> bool:
        before = text[max(0, start - 60):start].lower()
        return any(w in before for w in data.POSTCODE_CUES) or before.endswith("mã ")

    @staticmethod
    def _name_context(text: str, start: int) -> bool:
        """True after the name of a programme, plan, form or document ("Đề án", "Chỉ thị số",
        "mẫu số", "Phụ lục"): its number keeps a leading zero."""
        words = text[max(0, start - 30):start].lower().split()
        if words and words[-1] == "số":
            words = words[:-1]
        return (bool(words) and words[-1] in data.NAME_NUMBER_WORDS) or (
            len(words) >= 2 and f"{words[-2]} {words[-1]}" in data.NAME_NUMBER_WORDS
        )

    def h_roman(self, m, text):
        s = m.group()
        value = roman_to_int(s)
        p1, p2 = self.prev_words(text, m.start())
        if value is not None:
            key = p1 if p1 in data.ROMAN_KEYWORDS else p2 if p2 in data.ROMAN_KEYWORDS else None
            ok = key is not None
            if ok and key == "số" and not set(s) <= data.ROMAN_SO_CHARS:
                ok = False
            if ok and key == "năm" and s[0] not in "Mm":
                ok = False
            if ok and s.islower():
                rest = text[m.end():m.end() + 30].lstrip(" \t")
                nxt = self.next_word(text, m.end())
                ok = (not rest or rest[0] in ".,;:!?)]\n\"'”"
                      or (nxt[:1].isupper()) or nxt.lower() in data.ROMAN_KEYWORDS)
            if ok:
                if key in data.ORDINAL_WORDS:
                    return ordinal_to_words(value, region=self.region), "roman"
                return self.n(value), "roman"
            if s.isupper() and len(s) >= 2 and set(s) <= set("IVX") and not self._caps_context(text, m):
                return self.n(value), "roman"
        if s.isupper() and len(s) >= 2:
            return _word_token(s)
        return _SKIP

    @staticmethod
    def _caps_context(text: str, m) -> bool:
        """True when a neighbouring word is also written in capitals (a headline)."""
        before = text[max(0, m.start() - 30):m.start()].split()
        after = text[m.end():m.end() + 30].split()
        for w in (before[-1:] + after[:1]):
            letters = [c for c in w if c.isalpha()]
            if len(letters) >= 2 and all(c.isupper() for c in letters):
                return True
        return False

    def h_compound(self, m, text):
        s = m.group()
        if s in data.ABBREVIATIONS:
            return data.ABBREVIATIONS[s], "abbreviation"
        parts = [_word_token(p, True) for p in s.split("-")]
        kinds = {k for _, k in parts}
        kind = "unknown_acronym" if "unknown_acronym" in kinds else "abbreviation"
        return " ".join(r for r, _ in parts), kind

    def h_abbr(self, m, text):
        s = m.group()
        day = self.weekday(s, text, m)  # "CN" is also "cử nhân" in the dictionary
        if day is not None:
            return day, "abbr"
        out = data.ABBREVIATIONS[s]
        kind = "acronym" if s in data.KNOWN_ACRONYMS else "abbr"
        if s in data.DOTTED_ADDRESS_KEYS:
            # "tp. Huế", "q.3", "P. Hàng Bạc": only before a number or a capitalised name
            nxt = text[m.end():m.end() + 2].lstrip(" ")
            if not nxt or not (nxt[0].isdigit() or nxt[0].isupper()):
                return None
        elif s.isupper() and s.isalpha() and _is_syllable(s) and self._caps_context(text, m):
            return _SKIP  # "TU", "CA", "AI" inside an all-capital headline are words
        if s in data.CONTEXT_KEYS:
            ctx = self.context_reading(s, text, m)
            if ctx is not None:
                out = ctx
        if s.endswith(".") and s.count(".") > 1:  # "v.v." ending a sentence keeps its full stop
            rest = text[m.end():m.end() + 3]
            if not rest.strip() or rest.lstrip()[:1].isupper():
                out += "."
        return out, kind

    def context_reading(self, s: str, text: str, m) -> str | None:
        """The reading of an abbreviation with two meanings, from its neighbours (None: the
        dictionary's reading).  Rules (data.CONTEXT_*):
          đ/c  "địa chỉ" before ":", a number or an address word ("đ/c: số 5", "đ/c thôn Đông"),
               else "đồng chí" ("đ/c Nguyễn Văn A");
          TP   "thực phẩm" after "an toàn vệ sinh", "vệ sinh", "ATVS", "ngộ độc"… or before
               "chức năng", "sạch"…, else "thành phố";
          CT   "chủ tịch" before UBND/HĐND/xã/huyện/tỉnh/nước…, "công ty" before TNHH/CP/cổ phần;
               else spelled;
          HS   "hồ sơ" after "nộp", "tiếp nhận", "trả", "bổ sung"…, else "học sinh"."""
        after = text[m.end():m.end() + 40]
        nxt = self.next_word(text, m.end())
        nxt_low = nxt.lower()
        before = text[max(0, m.start() - 40):m.start()].lower().split()
        if s in ("đ/c", "Đ/c"):
            rest = after.lstrip(" \t")
            if (rest[:1] in (":", "-") or rest[:1].isdigit() or nxt_low in data.CONTEXT_ADDRESS_WORDS
                    or rest.lower().startswith("liên hệ")):
                return "địa chỉ"
            return "đồng chí"
        if s == "TP":
            tail = " ".join(before[-4:])
            if (any(w in tail for w in data.CONTEXT_FOOD_NEAR) or (before and before[-1] in data.CONTEXT_FOOD_BEFORE)
                    or nxt_low in data.CONTEXT_FOOD_AFTER):
                return "thực phẩm"
            return "thành phố"
        if s == "CT":
            if nxt in data.CONTEXT_CHAIR_AFTER or nxt_low in data.CONTEXT_CHAIR_AFTER:
                return "chủ tịch"
            if nxt in data.CONTEXT_COMPANY_AFTER or nxt_low in ("cổ", "công"):
                return "công ty"
            return None
        if s == "ĐT":
            rest = after.lstrip(" \t")
            if (nxt[:1].isupper() and nxt not in ("DĐ",)) or nxt_low in ("nữ", "nam", "quốc", "bóng", "futsal") \
                    or re.match(r"U[0-9]", rest):
                return "đội tuyển"  # "ĐT Việt Nam", "ĐT nữ", "ĐT U23"
            return None
        if s == "TL.":  # "TL.15" tỉnh lộ; "TL. CHỦ TỊCH" (a signature block) thừa lệnh
            return None if after.lstrip(" ")[:1].isdigit() else "thừa lệnh"
        if s == "Q.":  # "Q. CHỦ TỊCH" in a signature block: quyền
            return "quyền" if len(nxt) >= 2 and nxt.isupper() else None
        if s == "HCB":  # "15 HCB": huy chương bạc; else hội cựu chiến binh
            return "huy chương bạc" if re.search(r"[0-9] $", text[max(0, m.start() - 3):m.start()]) else None
        if s == "ĐH":
            return "đại hội" if nxt in data.CONTEXT_CONGRESS_AFTER else None
        if s == "HS":
            if before and (before[-1] in data.CONTEXT_FILE_BEFORE or " ".join(before[-2:]) in data.CONTEXT_FILE_BEFORE):
                return "hồ sơ"
            return None
        return None

    def h_acro(self, m, text):
        s = m.group()
        day = self.weekday(s, text, m)
        if day is not None:
            return day, "abbreviation"
        if s in data.CONTEXT_KEYS:
            ctx = self.context_reading(s, text, m)
            if ctx is not None:
                return ctx, "abbreviation"
        return _word_token(s)

    def h_tz(self, m, text):
        return spell(m.group()), "acronym"

    def h_unitword(self, m, text):
        if m.group("uwc"):  # "2,5 tỷ USD", "3 triệu KRW"
            return data.CURRENCIES[m.group("uwc")] + self.per(m.group("uwp"), money=True), "currency"
        return data.UNITS[m.group("uwu")] + self.per(m.group("uwp"), money=False), "unit"

    def h_perunit(self, m, text):
        """word/word: "đồng/hộ", "buổi/tuần" -> "một"; "tấn/ha" -> "trên"; "và/hoặc" -> a space."""
        unit = m.group("puw")
        before = text[max(0, m.start() - 12):m.start()].split()
        # in a chain ("đồng/ha/năm") the first word decides
        prev = before[-1].split("/")[0].lower() if before else ""
        if unit in data.CURRENCIES and before and before[-1].split("/")[0] in data.CURRENCIES:
            return data.ABBREVIATIONS.get(unit) or data.CURRENCIES[unit], "currency"  # a pair: "USD/VND"
        if prev in data.PER_MONEY_WORDS or (prev in data.PER_COUNT_WORDS and unit not in _UNITS_ALL):
            return self.per("/" + unit, True).lstrip(), "unit"
        if unit in _PER_ALL:
            return self.per("/" + unit, False).lstrip(), "unit"
        return unit, "word"

    def h_sym(self, m, text):
        return data.SYMBOLS[m.group()], "symbol"

    # -- driver ------------------------------------------------------------------------------------
    def run(self, text: str) -> list[tuple[int, int, str, str]]:
        """The changes to make to ``text``: ``(start, end, spoken, kind)`` in order, not
        overlapping; everything between them is kept as written."""
        changes: list[tuple[int, int, str, str]] = []
        pos = 0  # end of the last token written
        scan = 0  # where to look for the next token
        prev_kind: str | None = None
        seen_token = False
        last = ""
        gate = _GATE.search
        length = len(text)
        local = self.local_re
        while scan < length:
            g = gate(text, scan)
            if g is None:
                break
            start = g.start()
            m = local.match(text, start) if local is not None else None
            if m is not None:
                res = (self.local[m.group()], "local")
            else:
                m, res = self.read_at(text, start)
            if m is None:
                scan = start + 1
                continue
            scan = m.end()
            if res is _SKIP:
                continue
            out, kind = res
            gap = text[pos:start]
            new_gap, gap_kind = self.connect(gap, prev_kind, kind, first=not seen_token)
            if new_gap != gap:
                changes.append((pos, start, new_gap, gap_kind))
            if new_gap:
                last = new_gap[-1]
            if out and last.isalnum() and out[0].isalnum():
                out = " " + out
            nxt = text[m.end():m.end() + 1]
            if out and nxt.isalnum() and out[-1].isalnum():
                out += " "
            if out != text[start:m.end()]:
                changes.append((start, m.end(), out, kind))
            if out:
                last = out[-1]
            pos = m.end()
            prev_kind = kind
            seen_token = True
        return changes

    def read_at(self, text: str, start: int):
        """The token starting at ``start`` and its reading.  When a handler rejects its match
        (returns None: 31/02, 25:70, a 12-digit "phone"…), the next alternative that matches at
        the same place is tried, with the full text still available for context."""
        master, names = _CLASS_MASTERS[_class_of(text[start])]
        m = master.match(text, start)
        if m is None:
            return None, None
        candidates = iter(names[names.index(m.lastgroup) + 1:])
        while True:
            name = m.lastgroup
            try:
                res = getattr(self, "h_" + name)(m, text)
            except Exception:  # noqa: BLE001 - never raise: try the next reading
                if STRICT:
                    raise
                res = None
            if res is not None:
                return m, res
            # the alternatives before this one did not match here; try the later ones in order
            for nxt in candidates:
                m = _single(nxt).match(text, start)
                if m is not None:
                    break
            else:
                return None, None

    @staticmethod
    def connect(gap: str, prev_kind: str | None, kind: str, first: bool) -> tuple[str, str]:
        """Rewrite the text between two tokens: ranges, "x", signs, hyphens.  Returns the new gap
        and the rule that changed it."""
        if not gap:
            return gap, ""
        prev_numeric = prev_kind in _NUMERIC
        core = gap.strip()
        if prev_numeric and kind in _NUMERIC:
            if core in _RANGE_DASHES:
                return " đến ", "range"
            if core in ("x", "X", "×"):
                return " nhân ", "operator"
            if core == "+":
                return " cộng ", "operator"
            if core == "=":
                return " bằng ", "operator"
            if core == "^":
                return " mũ ", "operator"
            if gap == ":":
                return " ", "number"  # "25:99" is not a time: two numbers
        if gap == "/" and prev_kind in ("roman", "num") and kind == "num":
            return " năm ", "year"  # Quý IV/2025
        if gap == "+" and kind in _NUMERIC and prev_kind is not None:
            return " cộng ", "operator"  # "GMT+7", "Km 15+200"
        if kind in _NEGATABLE and gap[-1] in "-−+":
            if (len(gap) == 1 and first) or (len(gap) >= 2 and gap[-2] in _SIGN_LEAD):
                return gap[:-1] + ("cộng " if gap[-1] == "+" else "âm "), "sign"
        if gap[-1] == "/" and len(gap) >= 2 and gap[-2].isalpha() and kind in _NUMERIC:
            return gap[:-1] + " trên ", "range"  # "112 bé trai/100 bé gái"
        if gap == "-" and prev_kind is not None and not prev_numeric:
            return " ", "hyphen"  # QĐ-UBND, COVID-19
        if gap == "." and prev_kind == "abbr" and kind in _NUMERIC:
            return " ", "abbreviation"  # QL.5
        return gap, ""


class _FakeMatch:
    def __init__(self, s: str):
        self._s = s

    def group(self, *args):
        return self._s


def _local_regex(local: dict[str, str]) -> re.Pattern:
    """Whole-token regex for local abbreviations (case-sensitive, as written)."""
    parts = []
    for key in sorted(local, key=lambda k: (-len(k), k)):
        pat = re.escape(key)
        if key[:1].isalnum():
            pat = r"(?<![\w&])" + pat
        if key[-1:].isalnum():
            pat += r"(?![\w&])"
        parts.append(pat)
    return re.compile("|".join(parts))


_NORMALIZERS: dict = {}


def _get_normalizer(region, abbreviations) -> _Normalizer:
    key = region.strip().lower() if isinstance(region, str) else None
    if key is None:
        region_config(region)  # raises a clear ValueError
    local = None
    if abbreviations:
        local = {}
        for k, v in dict(abbreviations).items():
            k = unicodedata.normalize("NFKC", str(k)).strip() if k is not None else ""
            if k:
                local[k] = _clean_text(str(v if v is not None else "")).strip()
        cache_key = (key, tuple(sorted(local.items())))
    else:
        cache_key = key
    normalizer = _NORMALIZERS.get(cache_key)
    if normalizer is None:
        if len(_NORMALIZERS) > 64:
            _NORMALIZERS.clear()
        normalizer = _NORMALIZERS[cache_key] = _Normalizer(key, local)  # ValueError for an unknown region
    return normalizer


# ------------------------------------------------------------------------------------------------
# Cleaning: characters that must never reach espeak-ng (a NUL ends its input: the rest of a
# bulletin would be silently lost), lone surrogates (cannot be encoded), format characters.
#   C0/C1 controls other than tab and newline -> a space (a line/page separator -> a newline);
#   lone surrogates, private-use characters and non-characters -> a space;
#   format characters (soft hyphen, zero-width joiners, BOM, bidi marks, tags) -> nothing;
#   U+200B zero-width space -> a space.
_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u08e2\u180e\u200c-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_SPACE_LIKE = (
    "\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b\ud800-\udfff\ue000-\uf8ff\ufdd0-\ufdef\ufffe\uffff"
    "\U000f0000-\U0010ffff"
)
_UNSAFE = re.compile(f"[\r\u2044{_LINE_BREAKS}{_FORMAT}{_SPACE_LIKE}]")
_SPACE_LIKE_RE = re.compile(f"[{_SPACE_LIKE}]")
_FORMAT_RE = re.compile(f"[{_FORMAT}]")


def _clean_char(ch: str, nxt: str) -> str:
    """Replacement of one unsafe character (see above)."""
    if ch == "\r":
        return "" if nxt == "\n" else "\n"
    if ch == "\u2044":
        return "/"
    if ch in _LINE_BREAKS:
        return "\n\n" if ch == "\u2029" else "\n"
    if _FORMAT_RE.match(ch):
        return ""
    return " "


_SUPERSCRIPTS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_ASCII_DIGITS = frozenset("0123456789")


def _clusters(text: str) -> list[tuple[int, int, str]]:
    """``text`` cut into clusters (a character and the combining marks after it; an unsafe
    character alone), each with its cleaned, NFKC-normalised replacement."""
    out: list[tuple[int, int, str]] = []
    n = len(text)
    i = 0
    combining = unicodedata.combining
    while i < n:
        ch = text[i]
        if _UNSAFE.match(ch):
            out.append((i, i + 1, _clean_char(ch, text[i + 1:i + 2])))
            i += 1
            continue
        j = i + 1
        while j < n and combining(text[j]) and not _UNSAFE.match(text[j]):
            j += 1
        piece = text[i:j]
        rep = unicodedata.normalize("NFKC", piece)
        if ch in _SUPERSCRIPTS and text[i - 1:i] in _ASCII_DIGITS:
            rep = "^" + rep  # "10²", "10⁻⁷", "12²": a power (NFKC alone would make "102")
        if ch == "⁻":
            rep = rep.replace("\u2212", "-")
        if "\u2044" in rep:
            rep = rep.replace("\u2044", "/")
        out.append((i, j, rep))
        i = j
    return out


def _prepare(text: str):
    """(prepared text, clusters or None).  None: the text is already clean and NFKC, offsets in
    the prepared text are offsets in ``text``."""
    if unicodedata.is_normalized("NFKC", text) and not _UNSAFE.search(text):
        return text, None
    clusters = _clusters(text)
    return "".join(c[2] for c in clusters), clusters


def _clean_text(text: str) -> str:
    return _prepare(text)[0]


def clean(text: str) -> str:
    """``text`` made safe for a speech engine, without reading anything: NUL and other control
    characters become spaces (line and page separators newlines), lone surrogates, private-use
    characters and non-characters spaces, invisible format characters (soft hyphen, zero-width
    joiners, BOM, bidi marks) are removed, and the text is NFKC-normalised.  ``normalize`` does
    this first; ``ngoso.speech.synthesize`` also does it to text it is asked not to normalise."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return _prepare(text)[0]


def _apply(text: str, changes) -> str:
    if not changes:
        return text
    out = []
    pos = 0
    for a, b, spoken, _kind in changes:
        out.append(text[pos:a])
        out.append(spoken)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _read_leftover_digits(text: str, changes) -> list:
    """Digits left in the kept text (or in a handler's reading) are read one by one, so that no
    ASCII digit ever reaches the speech engine."""
    starts = [c[0] for c in changes]
    extra = []
    for mm in _DIGIT_RUN.finditer(text):
        a, b = mm.span()
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and changes[i][1] > a:
            a = changes[i][1]  # the run starts inside a change
            i += 1
        while a < b:
            if i < len(changes) and changes[i][0] < b:
                end = changes[i][0]
                if a < end:
                    extra.append((a, end, " " + read_digits(text[a:end]) + " ", "digits"))
                a = max(a, changes[i][1])
                i += 1
            else:
                extra.append((a, b, " " + read_digits(text[a:b]) + " ", "digits"))
                break
    result = []
    for a, b, spoken, kind in changes:
        if _DIGIT_RUN.search(spoken):
            spoken = _DIGIT_RUN.sub(lambda m2: " " + read_digits(m2.group()) + " ", spoken)
        result.append((a, b, spoken, kind))
    if extra:
        result = sorted(result + extra)
    return result


def _changes(text, region, abbreviations):
    """(prepared text, clusters, changes) — the single source of both normalize and explain."""
    normalizer = _get_normalizer(region, abbreviations)
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    prepared, clusters = _prepare(text)
    try:
        changes = normalizer.run(prepared)
    except Exception:  # noqa: BLE001 - last resort: keep the text, read the digits
        if STRICT:
            raise
        changes = []
    if _has_ascii_digit(prepared):
        changes = _read_leftover_digits(prepared, changes)
    return text, prepared, clusters, changes


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = _SPACE_AROUND_NL.sub("\n", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return text.strip(" ")


def normalize(text: str, *, region: str = "north", abbreviations=None) -> str:
    """Return ``text`` as it should be spoken (see :mod:`ngoso.vntext` for the conventions).

    ``region`` is "north" (default), "central" (northern readings) or "south".
    ``abbreviations``: extra local abbreviations ``{written: reading}`` (case-sensitive keys, as
    written) that win over the built-in dictionary.  Never raises for any ``text``; an unknown
    ``region`` raises ``ValueError``.
    """
    _text, prepared, _clusters_, changes = _changes(text, region, abbreviations)
    return _tidy(_apply(prepared, changes))


def _has_ascii_digit(s: str) -> bool:
    return _DIGIT_RUN.search(s) is not None
