"""Small text helpers shared by every app: accent-insensitive search keys and phone digits."""

from __future__ import annotations

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
