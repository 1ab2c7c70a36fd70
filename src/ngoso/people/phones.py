"""Phone numbers: which are valid and how they are stored, defined once.

Every path that takes a phone number — the spreadsheet import (``people.io``), the field app's edits
(``sync.services``), producers (``livelihoods.services`` and its form) — calls ``normalize_phone``, so a
number one of them accepts is never refused by another, and all store it the same way.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import UserError
from ngoso.core.text import phone_digits


class PhoneError(UserError, ValueError):
    """A number that is not a Vietnamese phone number (``raw``); ``str()`` is the Vietnamese message."""

    message = _("Phone '%(raw)s' is not valid (10 digits starting with 0)")

    def __init__(self, raw: str):
        self.raw = raw
        super().__init__(raw=raw)

    def __str__(self) -> str:
        return self.vi


def normalize_phone(text) -> str:
    """A Vietnamese phone number in national form, digits only: "+84 912 345 678" -> "0912345678";
    "" for an empty value. 10 digits starting with 0 (11 for the old landline and mobile numbering still
    found in records); a 9-digit number not written with a 0 is one whose leading zero a spreadsheet
    dropped. Anything else raises ``PhoneError`` (a ``ValueError``) naming the number."""
    raw = ("" if text is None else str(text)).strip()
    if not raw:
        return ""
    digits = phone_digits(raw)
    if len(digits) == 9 and not raw.startswith("0") and not digits.startswith("0"):
        digits = "0" + digits  # Excel dropped the leading zero of a number typed as a number
    if not (digits.startswith("0") and 10 <= len(digits) <= 11):
        raise PhoneError(raw)
    return digits
