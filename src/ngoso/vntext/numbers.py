"""Reading numbers aloud in Vietnamese: cardinals, decimals, digits, ordinals, Roman numerals.

Everything here is pure and cheap; the hot functions are memoised.  See the package docstring
(:mod:`ngoso.vntext`) for the conventions.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "REGIONS",
    "DIGIT_WORDS",
    "region_config",
    "number_to_words",
    "read_digits",
    "decimal_to_words",
    "ordinal_to_words",
    "month_to_words",
    "fraction_to_words",
    "roman_to_int",
]

DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_ASCII_DIGIT = {str(i): w for i, w in enumerate(DIGIT_WORDS)}

#: Region-dependent words.  "central" follows the northern (broadcast) forms: VTV/VOV style is the
#: norm on central-region commune loudspeakers too; only the voice changes.
REGIONS: dict[str, dict[str, str]] = {
    "north": {
        "linh": "linh",  # 105 -> một trăm linh năm
        "thousand": "nghìn",
        "four_after_tens": "tư",  # 24 -> hai mươi tư
        "billion": "tỷ",
        "address_slash": "trên",  # ngõ 34/5 -> ngõ ba mươi tư trên năm
    },
    "south": {
        "linh": "lẻ",
        "thousand": "ngàn",
        "four_after_tens": "bốn",
        "billion": "tỷ",
        "address_slash": "xẹt",
    },
}
REGIONS["central"] = dict(REGIONS["north"])


def region_config(region: str) -> dict[str, str]:
    try:
        return REGIONS[region]
    except (KeyError, TypeError):
        raise ValueError(
            f"vùng không hợp lệ / unknown region {region!r}; dùng / use one of {sorted(REGIONS)}"
        ) from None


def _triple(n: int, full: bool, cfg: dict[str, str]) -> list[str]:
    """Words for 0 < n < 1000.  ``full``: the group follows a higher group, so a zero hundreds digit
    is read ("không trăm") and a lone unit gets "linh"."""
    h, rest = divmod(n, 100)
    t, u = divmod(rest, 10)
    words: list[str] = []
    if h or full:
        words += [DIGIT_WORDS[h], "trăm"]
    if t == 0:
        if u:
            if words:
                words.append(cfg["linh"])
            words.append(DIGIT_WORDS[u])
    elif t == 1:
        words.append("mười")
        if u == 5:
            words.append("lăm")
        elif u:
            words.append(DIGIT_WORDS[u])
    else:
        words += [DIGIT_WORDS[t], "mươi"]
        if u == 1:
            words.append("mốt")
        elif u == 4:
            words.append(cfg["four_after_tens"])
        elif u == 5:
            words.append("lăm")
        elif u:
            words.append(DIGIT_WORDS[u])
    return words


def _below_billion(n: int, full: bool, cfg: dict[str, str]) -> list[str]:
    millions, rest = divmod(n, 1_000_000)
    thousands, units = divmod(rest, 1000)
    words: list[str] = []
    for value, scale in ((millions, "triệu"), (thousands, cfg["thousand"]), (units, "")):
        if not value:
            continue
        words += _triple(value, full or bool(words), cfg)
        if scale:
            words.append(scale)
    return words


def _int_words(n: int, cfg: dict[str, str]) -> list[str]:
    if n < 1_000_000_000:
        return _below_billion(n, False, cfg)
    high, low = divmod(n, 1_000_000_000)
    words = _int_words(high, cfg) + [cfg["billion"]]
    if low:
        words += _below_billion(low, True, cfg)
    return words


@lru_cache(maxsize=8192)
def _cached(n: int, region: str) -> str:
    cfg = region_config(region)
    if n == 0:
        return "không"
    if n < 0:
        return "âm " + " ".join(_int_words(-n, cfg))
    return " ".join(_int_words(n, cfg))


def number_to_words(n: int, *, region: str = "north") -> str:
    """Read an integer: ``number_to_words(2023) == "hai nghìn không trăm hai mươi ba"``.

    Negative numbers start with "âm".  Above a billion the reading nests: 10**12 is
    "một nghìn tỷ", 10**18 "một tỷ tỷ".
    """
    n = int(n)
    if abs(n) < 10**15:
        return _cached(n, region)
    return _cached.__wrapped__(n, region)


def read_digits(digits: str) -> str:
    """Read every ASCII digit of ``digits`` one by one ("0912" -> "không chín một hai").

    Other characters are ignored.
    """
    return " ".join(_ASCII_DIGIT[c] for c in digits if c in _ASCII_DIGIT)


def read_integer_string(s: str, *, region: str = "north") -> str:
    """Read a string of ASCII digits as written: a cardinal, except that strings of three or more
    characters starting with 0 ("007") and very long strings (over 21 digits) are read digit by
    digit.  Two-character strings such as "05" are read as the number ("năm")."""
    if not s:
        return ""
    if (len(s) > 2 and s[0] == "0") or len(s) > 21:
        return read_digits(s)
    return number_to_words(int(s), region=region)


def decimal_to_words(int_part: str, frac_part: str, *, region: str = "north", negative: bool = False) -> str:
    """Read a decimal given as digit strings ("2", "63" -> "hai phẩy sáu mươi ba").

    The fractional part is read as a number when it has at most three digits and does not start
    with 0; otherwise digit by digit ("2,05" -> "hai phẩy không năm").
    """
    whole = number_to_words(int(int_part or "0"), region=region)
    if not frac_part:
        out = whole
    elif frac_part[0] == "0" or len(frac_part) > 3:
        out = f"{whole} phẩy {read_digits(frac_part)}"
    else:
        out = f"{whole} phẩy {number_to_words(int(frac_part), region=region)}"
    return "âm " + out if negative else out


def ordinal_to_words(n: int, *, region: str = "north") -> str:
    """The word after "thứ": 1 -> "nhất", 4 -> "tư", otherwise the cardinal (2 -> "hai")."""
    if n == 1:
        return "nhất"
    if n == 4:
        return "tư"
    return number_to_words(n, region=region)


def month_to_words(m: int, *, region: str = "north") -> str:
    """The word after "tháng": 4 -> "tư", otherwise the cardinal ("tháng một", "tháng mười hai")."""
    if m == 4:
        return "tư"
    return number_to_words(m, region=region)


def fraction_to_words(num: int, den: int, *, region: str = "north") -> str:
    """"3/4" -> "ba phần tư": denominator 4 is "tư", any other denominator is the cardinal."""
    den_words = "tư" if den == 4 else number_to_words(den, region=region)
    return f"{number_to_words(num, region=region)} phần {den_words}"


_ROMAN_RE = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})\Z")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(s: str) -> int | None:
    """Value of a well-formed Roman numeral (either case), else ``None``.  "IV" -> 4, "IIII" -> None."""
    if not s or len(s) > 15:
        return None
    up = s.upper()
    if not _ROMAN_RE.match(up):
        return None
    total = 0
    prev = 0
    for ch in reversed(up):
        v = _ROMAN_VALUES[ch]
        if v < prev:
            total -= v
        else:
            total += v
            prev = v
    return total or None
