"""The dashboard figures in the JSON API (``/api/v1/places/<code>/indicators``): the same structure as the page
and the XLSX export (``dashboard.dashboard``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from ngoso.accounts.scope import can_see_place
from ngoso.api import errors
from ngoso.places.models import Place

from .dashboard import dashboard

router = Router()


class GroupFigures(Schema):
    residents: int
    residents_pct: float | None
    basic5_residents: int
    basic5_residents_pct: float | None


class HouseholdGroupFigures(Schema):
    households: int
    basic5: int
    basic5_pct: float | None


class Basic5Figures(Schema):
    households: int
    households_pct: float | None
    residents: int
    residents_pct: float | None
    by_household_group: dict[str, HouseholdGroupFigures]


class SkillGroupFigures(Schema):
    residents: int
    alone: int
    alone_pct: float | None
    with_help: int


class SkillFigures(Schema):
    code: str
    name_vi: str
    name_en: str
    basic5: str | None
    alone: int
    alone_pct: float | None
    with_help: int
    with_help_pct: float | None
    by_group: dict[str, SkillGroupFigures]


class WeekFigures(Schema):
    week: str
    visits: int


class VisitFigures(Schema):
    total: int
    weeks: list[WeekFigures]


class VillageRef(Schema):
    code: str
    name: str


class VillageVisitRef(Schema):
    code: str
    name: str
    last_visit: str | None


class ChildFigures(Schema):
    code: str
    name: str
    households: int
    residents: int
    basic5_households: int
    basic5_pct: float | None
    visits_4_weeks: int
    villages: int
    villages_with_team: int
    villages_recently_visited: int


class PlaceRef(Schema):
    code: str
    name: str
    level: str
    current: bool


class IndicatorsOut(Schema):
    place: PlaceRef
    as_of: str
    villages: int
    villages_with_team: int
    households: int
    residents: int
    groups: dict[str, GroupFigures]
    basic5: Basic5Figures
    skills: list[SkillFigures]
    visits: VisitFigures
    villages_without_team_count: int
    villages_without_team: list[VillageRef]
    villages_without_recent_visit_count: int
    villages_without_recent_visit: list[VillageVisitRef]
    children: list[ChildFigures]
    poverty: dict | None = None
    livelihoods: dict | None = None


@router.get("/places/{code}/indicators", response=IndicatorsOut, summary="The dashboard figures of a place",
         description="The same figures as the place's dashboard page and its Excel export: households, residents, "
                     "skills (alone / with help) overall and by target group (elderly, poor or near-poor, ethnic "
                     "minority, disability, women), households with someone doing all 5 basic skills alone, "
                     "visits per week, villages without a team or a visit in 30 days, and the places below; "
                     "the figures other apps provide: poverty (households reviewed, poor and near-poor by year "
                     "and group, lacking information, access; only for whom may see the poverty pages) and "
                     "digital livelihoods.")
def place_indicators(request, code: str):
    place = get_object_or_404(Place, code=code)
    if not can_see_place(request.user, place):
        raise errors.ApiError(403, _("place outside your area"))
    return dashboard(place, user=request.user)
