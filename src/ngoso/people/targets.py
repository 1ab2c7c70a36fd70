"""Target groups (nhóm yếu thế), derived from what is recorded — never typed twice.

- elderly: 60 or older in the reference year (Luật Người cao tuổi 2009);
- poor / near-poor: the household's status from the latest poverty review;
- ethnic minority: any of the 53 groups other than Kinh;
- disability: recorded on the resident;
- women: for indicators broken down by sex.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ELDERLY_AGE = 60

GROUPS = {
    "elderly": _("Elderly (60+)"),
    "poor": _("Poor or near-poor household"),
    "minority": _("Ethnic minority"),
    "disability": _("Person with disability"),
    "women": _("Women"),
}


def year_now() -> int:
    return timezone.localdate().year


def resident_q(group: str, prefix: str = "", year: int | None = None) -> Q:
    """A filter on residents (``prefix`` lets other models reach them, e.g. ``"resident__"``)."""
    year = year or year_now()
    p = prefix
    if group == "elderly":
        return Q(**{f"{p}birth_year__lte": year - ELDERLY_AGE})
    if group == "poor":
        return Q(**{f"{p}household__poverty_status__in": ["poor", "near_poor"]})
    if group == "minority":
        return Q(**{f"{p}ethnicity__is_minority": True})
    if group == "disability":
        return Q(**{f"{p}disability": True})
    if group == "women":
        return Q(**{f"{p}sex": "female"})
    raise ValueError(f"unknown target group {group!r}")


def groups_of(resident, year: int | None = None) -> list[str]:
    year = year or year_now()
    out = []
    if resident.birth_year <= year - ELDERLY_AGE:
        out.append("elderly")
    if resident.household.poverty_status in ("poor", "near_poor"):
        out.append("poor")
    if resident.ethnicity.is_minority:
        out.append("minority")
    if resident.disability:
        out.append("disability")
    return out


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
