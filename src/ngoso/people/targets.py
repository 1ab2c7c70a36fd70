"""Target groups (nhóm yếu thế), derived from what is recorded — never typed twice.

- elderly: 60 or older in the reference year (Luật Người cao tuổi 2009);
- poor / near-poor: the household's status from the latest poverty review;
- ethnic minority: any of the 53 groups other than Kinh;
- disability: recorded on the resident;
- women: for indicators broken down by sex.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ELDERLY_AGE = 60
POOR_STATUSES = ("poor", "near_poor")

GROUPS = {
    "elderly": _("Elderly (60+)"),
    "poor": _("Poor or near-poor household"),
    "minority": _("Ethnic minority"),
    "disability": _("Person with disability"),
    "women": _("Women"),
}

# A household belongs to a group when one of its residents does (elderly, minority, disability), by its own
# poverty status (poor), or when its head is a woman (female_head).
HOUSEHOLD_GROUPS = ("poor", "elderly", "minority", "disability", "female_head")
_MEMBER_GROUPS = frozenset({"elderly", "minority", "disability"})  # what one member brings to the household


def year_now() -> int:
    return timezone.localdate().year


def is_elderly(birth_year: int, year: int | None = None) -> bool:
    """60 or older in ``year`` (default: this year)."""
    return birth_year <= (year or year_now()) - ELDERLY_AGE


def is_poor(poverty_status: str | None) -> bool:
    """The household is poor or near-poor (the "poor" target group)."""
    return poverty_status in POOR_STATUSES


def resident_groups(*, birth_year: int, poverty_status: str | None, is_minority: bool, disability: bool, sex: str,
                    year: int | None = None) -> tuple[str, ...]:
    """The target groups of one resident, in ``GROUPS`` order: the one definition, for rows read by any query
    (``resident_q`` is the same rule as a database filter)."""
    out = []  # plain appends: this runs once per resident when every counter is rebuilt
    if is_elderly(birth_year, year):
        out.append("elderly")
    if is_poor(poverty_status):
        out.append("poor")
    if is_minority:
        out.append("minority")
    if disability:
        out.append("disability")
    if sex == "female":
        out.append("women")
    return tuple(out)


def household_groups(members: Iterable[tuple[tuple[str, ...], str, str]], poverty_status: str | None = None
                     ) -> set[str]:
    """A household's groups from its residents, given as (their ``resident_groups``, relation, sex)."""
    out = {"poor"} if is_poor(poverty_status) else set()
    for groups, relation, sex in members:
        for g in groups:
            if g in _MEMBER_GROUPS:
                out.add(g)
        if relation == "head" and sex == "female":
            out.add("female_head")
    return out


def lived_in_q():
    """A filter on households: those someone lives in — at least one resident who has not moved away or died.
    The dashboards count households by the people living in them, not by the rows (``counted_households``): a
    household whose residents all moved away, died or moved to another household stops being counted, and
    counts again when someone moves in or comes back; one registered at the door counts from its first
    resident."""
    from django.db.models import Exists, OuterRef

    from .models import Resident, Status

    return Exists(Resident.objects.filter(household=OuterRef("pk"), status=Status.PRESENT))


def counted_households(queryset):
    """``queryset`` of households without those nobody lives in (``lived_in_q``): the one rule every figure
    that counts households applies."""
    return queryset.filter(lived_in_q())


def resident_q(group: str, prefix: str = "", year: int | None = None) -> Q:
    """A filter on residents (``prefix`` lets other models reach them, e.g. ``"resident__"``)."""
    year = year or year_now()
    p = prefix
    if group == "elderly":
        return Q(**{f"{p}birth_year__lte": year - ELDERLY_AGE})
    if group == "poor":
        return Q(**{f"{p}household__poverty_status__in": list(POOR_STATUSES)})
    if group == "minority":
        return Q(**{f"{p}ethnicity__is_minority": True})
    if group == "disability":
        return Q(**{f"{p}disability": True})
    if group == "women":
        return Q(**{f"{p}sex": "female"})
    raise ValueError(f"unknown target group {group!r}")


def groups_of(resident, year: int | None = None) -> list[str]:
    return list(resident_groups(birth_year=resident.birth_year, poverty_status=resident.household.poverty_status,
                                is_minority=resident.ethnicity.is_minority, disability=resident.disability,
                                sex=resident.sex, year=year))


def group_labels(keys) -> list[str]:
    return [str(GROUPS[k]) for k in keys]


# The information dimension of multidimensional poverty (Decree 07/2021/NĐ-CP, dimension 6):
# two indicators, each derived from the household's recorded means of access to information.
INFO_INDICATORS = {
    "telecom": (_("uses telecommunication services"), "sử dụng dịch vụ viễn thông"),
    "info_means": (_("has means of access to information"), "phương tiện phục vụ tiếp cận thông tin"),
}


def information_deprivation(household) -> list[str]:
    """The information indicators a household lacks: ``"telecom"`` (no phone or internet of any kind) and
    ``"info_means"`` (no TV, radio, computer or phone, and out of reach of the village loudspeaker)."""
    lacking = []
    if not (household.has_smartphone or household.has_feature_phone or household.has_home_internet
            or household.has_mobile_data):
        lacking.append("telecom")
    if not (household.has_tv or household.has_radio or household.has_computer or household.has_smartphone
            or household.has_feature_phone or household.hears_loudspeaker):
        lacking.append("info_means")
    return lacking
