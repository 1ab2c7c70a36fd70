"""The JSON API, version 1 (django-ninja). OpenAPI document at /api/v1/openapi.json.

Every endpoint goes through the same area scoping as the pages. Authentication: the web session
(for the pages' own scripts); device tokens for the field app come with the sync work.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from ngoso.accounts.scope import can_see_place, scoped
from ngoso.core import clean
from ngoso.core.text import vi_order
from ngoso.insights.stats import children_figures, stats
from ngoso.people import privacy
from ngoso.people.models import Resident
from ngoso.people.search import LIMIT, SearchError, find_residents, restrict
from ngoso.places.models import Place

from . import errors


class Api(NinjaAPI):
    """Every error documented on every operation (one JSON shape, ``api/errors.py``)."""

    def get_openapi_schema(self, **kwargs):
        return errors.document(super().get_openapi_schema(**kwargs))


api = Api(title="Ngõ Số API", version="1", urls_namespace="api-v1", auth=django_auth, parser=errors.StrictParser())
errors.install(api)


class PlaceOut(Schema):
    code: str
    name: str
    level: str
    type: str
    parent: str | None
    valid_from: str | None
    valid_to: str | None
    households: int | None = None
    residents: int | None = None


def _place(p: Place, counts: dict | None = None) -> dict:
    return {"code": p.code, "name": p.name, "level": p.level, "type": p.type.code,
            "parent": p.parent.code if p.parent_id else None,
            "valid_from": p.valid_from.isoformat() if p.valid_from else None,
            "valid_to": p.valid_to.isoformat() if p.valid_to else None,
            **(counts or {})}


def _visible_place(request, code: str) -> Place:
    place = get_object_or_404(Place.objects.select_related("type", "parent"), code=code)
    if not can_see_place(request.user, place):
        raise HttpError(403, "Địa bàn ngoài phạm vi của bạn / place outside your area")
    return place


@api.get("/places/{code}", response=dict, summary="A place with its counts")
def place_detail(request, code: str):
    place = _visible_place(request, code)
    return {"place": _place(place), "stats": stats(place)}


@api.get("/places/{code}/children", response=list[PlaceOut], summary="The places directly below, with counts")
def place_children(request, code: str):
    place = _visible_place(request, code)
    children = list(Place.objects.filter(parent=place).select_related("type", "parent").order_by(vi_order("name"), "code"))
    counts = children_figures(children)  # the counters, as the place page
    return [_place(child, {"households": counts[child.pk]["households"], "residents": counts[child.pk]["residents"]})
            for child in children]


class ResidentHit(Schema):
    uuid: str
    full_name: str
    birth_year: int
    household: str
    village: str


@api.get("/residents", response=list[ResidentHit], summary="Search residents in your area by name or phone")
def search_residents(request, q: str):
    q = clean.text(q, "q", max_length=100)
    if not privacy.may_open_people(request.user):
        raise HttpError(403, "Vai trò của bạn không xem dữ liệu cá nhân / your role does not see personal data")
    residents = scoped(Resident.objects.select_related("household__village"), request.user)
    residents, _households = restrict(request.user, residents, Resident.objects.none(), q)
    try:
        qs = find_residents(residents, q)
    except SearchError as exc:
        raise HttpError(400, str(exc)) from None  # a cause would read as a JSON body error (api.errors)
    return [{"uuid": str(r.uuid), "full_name": r.full_name, "birth_year": r.birth_year,
             "household": r.household.code, "village": r.household.village.code} for r in qs[:LIMIT]]


from ngoso.insights.api import router as insights_router  # noqa: E402

api.add_router("", insights_router)
from ngoso.sync.api import router as sync_router  # noqa: E402

api.add_router("/sync", sync_router)

from ngoso.livelihoods.api import router as livelihoods_router  # noqa: E402

api.add_router("/livelihoods", livelihoods_router)
from ngoso.radio.api import router as radio_router  # noqa: E402

api.add_router("/radio", radio_router)
