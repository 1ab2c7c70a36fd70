"""Finding people by name or phone, defined once for the search page and the API (``api/v1.py``).

A query that is (nearly) all digits — at least 4 — looks for phone numbers containing them; anything else
looks for names whose words start with it, accents and case ignored (``core.text.fold``). The caller
passes querysets already limited to the user's area (``accounts.scope.scoped``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import UserError
from ngoso.core.text import fold, phone_digits

from . import privacy

MIN_LENGTH = 2  # characters, after folding
MIN_PHONE_DIGITS = 4
LIMIT = 50


class SearchError(UserError, ValueError):
    """The query cannot be searched (too short)."""

    message = _("at least %(n)s characters")

    def __init__(self):
        super().__init__(n=MIN_LENGTH)


def phone_query(q: str) -> str | None:
    """The digits to look for when ``q`` is a phone number (or part of one), else None."""
    digits = phone_digits(q)
    if digits and len(digits) >= MIN_PHONE_DIGITS and len(digits) >= len(q.replace(" ", "").replace(".", "")) - 1:
        return digits
    return None


def name_filter(q: str) -> Q:
    """Names (``search_name``) with a word starting with ``q``."""
    key = fold(q)
    return Q(search_name__startswith=key) | Q(search_name__contains=" " + key)


def check(q: str) -> str:
    q = (q or "").strip()
    if phone_query(q) is None and len(fold(q)) < MIN_LENGTH:
        raise SearchError
    return q


def restrict(user, residents: QuerySet, households: QuerySet, q: str) -> tuple[QuerySet, QuerySet]:
    """Who may look people up (decision 0007): roles that open no personal data find nobody; looking someone
    up by phone number reveals the number, so a role that does not see phones in its whole area finds only the
    households it is responsible for."""
    if not privacy.may_open_people(user):
        return residents.none(), households.none()
    if phone_query((q or "").strip()) and "phone" not in privacy.role_fields(user):
        ids = privacy.responsible_household_ids(user)
        residents, households = residents.filter(household_id__in=ids), households.filter(id__in=ids)
    return residents, households


def find_residents(residents: QuerySet, q: str) -> QuerySet:
    """Residents matching ``q`` (``SearchError`` when it is too short), names in alphabetical order."""
    q = check(q)
    digits = phone_query(q)
    if digits:
        return residents.filter(phone_digits__contains=digits)
    return residents.filter(name_filter(q)).order_by("search_name")


def find_all(residents: QuerySet, households: QuerySet, members: QuerySet, q: str) -> dict[str, list]:
    """The search page: residents, households (by phone or code) and team members."""
    q = check(q)
    digits = phone_query(q)
    if digits:
        return {"residents": list(find_residents(residents, q)[:LIMIT]),
                "households": list(households.filter(phone_digits__contains=digits)[:LIMIT]),
                "members": list(members.filter(phone_digits__contains=digits)[:LIMIT])}
    return {"residents": list(find_residents(residents, q)[:LIMIT]),
            "households": list(households.filter(code__startswith=q)[:20]),
            "members": list(members.filter(name_filter(q)).order_by("search_name")[:20])}
