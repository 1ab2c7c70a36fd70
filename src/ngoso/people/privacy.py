"""Who sees which sensitive field of a household or resident (decision 0007).

Area scoping (``accounts.scope``) decides WHICH households a user may open; this module decides WHAT of a
household's sensitive data they see there. The sensitive categories:

- ``ethnicity`` — a resident's ethnic group (and the "ethnic minority" target group),
- ``poverty`` — the household's poverty status and year (and the "poor or near-poor" target group),
- ``disability`` — a resident's disability (and its target group),
- ``phone`` — household and resident phone numbers (and looking people up by phone),
- ``gps`` — the household's coordinates.

One function, ``visible_fields(user, household)``, answers for every page, the resident's data JSON, the
API and the field app's pull:

- province administrators and commune staff: everything in their area (they plan, report and answer requests);
- team leaders: everything in their area (they assign households by priority, which weighs these);
- members: everything for the households they are responsible for (their own assignments; a visit uses the
  language, the disability, the phone to arrange it and the priority reasons), nothing for the others;
- viewers and radio operators: nothing personal-sensitive (viewers read aggregate figures; radio operators
  do not open households or residents at all — ``may_open_people``).
"""

from __future__ import annotations

from collections.abc import Callable

from ngoso.accounts.models import Role
from ngoso.teams.models import Membership

from .models import Household

SENSITIVE = frozenset({"ethnicity", "poverty", "disability", "phone", "gps"})
NONE: frozenset = frozenset()
FULL_ROLES = {Role.PROVINCE_ADMIN, Role.COMMUNE_STAFF, Role.TEAM_LEADER}
# target groups (people.targets.GROUPS) that reveal a sensitive category
GROUP_FIELD = {"poor": "poverty", "minority": "ethnicity", "disability": "disability"}


def may_open_people(user) -> bool:
    """Whether the user opens household and resident pages at all (radio operators hold no personal data)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.role != Role.RADIO_OPERATOR


def role_fields(user) -> frozenset:
    """The sensitive categories the user's role may see anywhere in their area, whatever the household."""
    if not getattr(user, "is_authenticated", False):
        return NONE
    if user.is_superuser or user.role in FULL_ROLES:
        return SENSITIVE
    return NONE


def responsible_member_ids(user) -> list[int]:
    """Ids of the members whose assignments the user answers for: their own and, for a team leader, those of
    every member of the teams they lead. A short list, evaluated here, so that the assignments are then found
    through their (member, ended_on) index, never by scanning them all."""
    member = getattr(user, "member", None) if getattr(user, "is_authenticated", False) else None
    if member is None:
        return []
    if user.role == Role.TEAM_LEADER:
        teams = Membership.objects.filter(member=member, ended_on__isnull=True).values("team_id")
        return sorted({member.pk, *Membership.objects.filter(team_id__in=teams, ended_on__isnull=True)
                       .values_list("member_id", flat=True)})
    return [member.pk]


# Which households members answer for is the visit plan's to say (``visits.Assignment``), and visits is built
# on people: visits registers the query in its ``AppConfig.ready()`` (``answered_for``).
_answered_for: Callable | None = None


def answered_for(query: Callable) -> Callable:
    """Register ``query(member_ids)``: the ids of the households those members answer for now (a subquery of
    ``household_id`` values, not evaluated)."""
    global _answered_for
    _answered_for = query
    return query


def responsible_household_ids(user):
    """Ids of the households the user answers for in the field: their own open assignments and, for a team
    leader, those of the teams they lead (a subquery, not evaluated). None without a visit plan."""
    if _answered_for is None:
        return Household.objects.none().values("id")
    return _answered_for(responsible_member_ids(user))


def is_responsible(user, household) -> bool:
    return Household.objects.filter(pk=household.pk, pk__in=responsible_household_ids(user)).exists()


def visible_fields(user, household=None, *, responsible: bool | None = None) -> frozenset:
    """The sensitive categories ``user`` sees for ``household`` (which the caller has already scoped).
    Without a household: what the role sees anywhere. ``responsible`` may be passed when already known."""
    fields = role_fields(user)
    if fields or household is None or not getattr(user, "is_authenticated", False):
        return fields
    if user.role == Role.MEMBER:
        if responsible is None:
            responsible = is_responsible(user, household)
        return SENSITIVE if responsible else NONE
    return NONE


def can_see(user, field: str, household=None) -> bool:
    assert field in SENSITIVE, field
    return field in visible_fields(user, household)


def visible_groups(groups, fields) -> list[str]:
    """Target-group keys with those revealing a hidden category left out."""
    return [g for g in groups if g not in GROUP_FIELD or GROUP_FIELD[g] in fields]
