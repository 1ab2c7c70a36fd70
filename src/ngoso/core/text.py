"""Small text helpers shared by every app: accent-insensitive search keys and phone digits."""

from __future__ import annotations

import functools
import re
import unicodedata

_NON_DIGIT = re.compile(r"\D+")
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Return a lower-case, accent-free, single-spaced key: "Nguyễn Thị Lý" -> "nguyen thi ly".

    Vietnamese "đ"/"Đ" is not a combining mark, so it is mapped to "d" by hand.
    """
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped.lower()).strip()


def phone_digits(phone: str | None) -> str:
    """Digits of a Vietnamese phone number in national form: "+84 912 345 678" -> "0912345678"."""
    if not phone:
        return ""
    digits = _NON_DIGIT.sub("", phone)
    if digits.startswith("84") and len(digits) in (11, 12) and not phone.strip().startswith("0"):
        digits = "0" + digits[2:]
    return digits


def nfc(text: str | None) -> str:
    """Unicode NFC with collapsed whitespace: spreadsheets mix composed and decomposed Vietnamese."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(text))).strip()


# --- Vietnamese order ----------------------------------------------------------------------------------------
# The alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, plus f j w z for foreign names);
# tones break ties only (ngang, huyền, hỏi, ngã, sắc, nặng), as dictionaries and the civil registry order;
# runs of digits compare as numbers ("Số 2" < "Số 10"; house numbers 10, 11, 100, 103). SQL orders the same way
# through the collation ``vi_natural`` (SQLite: ``vi_compare`` registered on every connection by
# ``core/sqlite``; PostgreSQL: the ICU collation made by core migration 0004), used through ``vi_order``.

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
_MODIFIER = {"\u0306": "ă", "\u0302": {"a": "â", "e": "ê", "o": "ô"}, "\u031b": {"o": "ơ", "u": "ư"}}
_TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_DIGITS = re.compile(r"(\d+)")
COLLATION = "vi_natural"


def _letters(word: str) -> tuple[list, list]:
    """Primary (alphabet ranks) and secondary (tones) keys of a run of non-digits."""
    primary, tones = [], []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _TONE:
            if tones:
                tones[-1] = _TONE[ch]
            continue
        if ch in _MODIFIER and primary and primary[-1][0] == 1:
            mod = _MODIFIER[ch]
            base = _ALPHABET[primary[-1][1]]
            new = mod if isinstance(mod, str) and base == "a" else (mod.get(base) if isinstance(mod, dict) else None)
            if new:
                primary[-1] = (1, _RANK[new])
            continue
        if unicodedata.category(ch) == "Mn":
            continue
        if ch in _RANK:
            primary.append((1, _RANK[ch]))
        elif ch.isspace():
            primary.append((0, 0))  # "Đình Tổ" before "Đìnhx": a space sorts before every letter
        else:
            primary.append((0, ord(ch) + 1))
        tones.append(0)
    return primary, tones


@functools.lru_cache(maxsize=None)
def _char(ch: str):
    """One composed character's (primary, tone) keys, or None for a lone combining mark; a few hundred exist."""
    p, t = _letters(ch)
    return ((1, p[0][0], p[0][1], 0), t[0]) if p else None


@functools.lru_cache(maxsize=65536)  # SQLite's collation compares pairs: each name is keyed once, not per pair
def vi_key(text: str | None) -> tuple:
    """Sort key for Vietnamese text with natural numbers: ``sorted(names, key=vi_key)``.

    "An" < "Ăn" < "Ân" < "Bình" < "Đình" < "Đông" < "Yên Bình"; "nhà 2" < "nhà 10"; case and tones only break
    ties (then the text itself, so that the order is total).
    """
    text = unicodedata.normalize("NFC", text or "").strip()
    primary, secondary = [], []
    for i, part in enumerate(_DIGITS.split(text)):
        if not part:
            continue
        if i % 2:  # digits: by value, shorter zero-padding first
            primary.append((0, -1, int(part), len(part)))  # numbers before letters, as in a phone book
            secondary.append(0)
        else:
            for ch in part.lower():
                key = _char(ch)
                if key is not None:
                    primary.append(key[0])
                    secondary.append(key[1])
    return tuple(primary), tuple(secondary), text.lower() != text, text


def vi_compare(a: str | None, b: str | None) -> int:
    """-1, 0 or 1 by ``vi_key``: the SQLite collation ``vi_natural``."""
    ka, kb = vi_key(a), vi_key(b)
    return (ka > kb) - (ka < kb)


def vi_sorted(items, key=lambda x: x):
    """``items`` in Vietnamese order of ``key(item)`` (a string)."""
    return sorted(items, key=lambda item: vi_key(key(item)))


def vi_order(field: str, descending: bool = False):
    """An ``order_by`` expression sorting ``field`` in Vietnamese order with natural numbers, in SQL."""
    from django.db.models import F
    from django.db.models.functions import Collate

    expr = Collate(F(field), COLLATION)
    return expr.desc() if descending else expr.asc()


def street_order(prefix: str = "") -> tuple:
    """How households are listed on the ground: by alley, then house number (10, 11, 100, 103), then code."""
    return vi_order(f"{prefix}alley"), vi_order(f"{prefix}house_number"), f"{prefix}code"


def in_language(vi: str, en: str) -> str:
    """A catalogue's name in the reader's language: the English name when English is chosen and it has one."""
    from django.utils.translation import get_language

    return en if en and (get_language() or "vi").startswith("en") else vi
