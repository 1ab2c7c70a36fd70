"""The JSON API, version 1 (django-ninja). OpenAPI document at /api/v1/openapi.json.

Every endpoint goes through the same area scoping as the pages. Authentication: the web session
(for the pages' own scripts); device tokens for the field app come with the sync work.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema, Status
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
        raise errors.ApiError(403, _("place outside your area"))
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
        raise errors.ApiError(403, _("your role does not see personal data"))
    residents = scoped(Resident.objects.select_related("household__village"), request.user)
    residents, _households = restrict(request.user, residents, Resident.objects.none(), q)
    try:
        qs = find_residents(residents, q)
    except SearchError as exc:
        raise errors.ApiError(400, exc) from None
    return [{"uuid": str(r.uuid), "full_name": r.full_name, "birth_year": r.birth_year,
             "household": r.household.code, "village": r.household.village.code} for r in qs[:LIMIT]]


class JobOut(Schema):
    token: str
    kind: str
    status: str
    percent: int
    message: str
    error: str
    page: str
    download: str | None


def job_out(job) -> dict:
    """A background job as the API shows it: its page (progress bar) and, when done with a file, its download."""
    from django.urls import reverse

    return {"token": job.token, "kind": job.kind, "status": job.status, "percent": job.percent,
            "message": job.message_text, "error": job.error_text, "page": job.get_absolute_url(),
            "download": reverse("job_download", args=[job.token]) if job.status == "done" and job.file else None}


@api.post("/jobs/ping", response={202: JobOut}, summary="Check the queue: a worker answers a ping (province staff)")
def job_ping(request):
    """Queue a ping job (``core.jobs``): a monitor calls this and then ``GET /jobs/{token}`` to check that the web
    server, the queue and a worker all answer. Province staff (the permission ``admin``) only."""
    from ngoso.core import jobs

    if not request.user.can("admin"):
        raise errors.ApiError(403, _("only province staff check the queue"))
    job = jobs.submit("ping", {}, user=request.user, place_path=request.user.place.path if request.user.place_id else "")
    return Status(202, job_out(job))


@api.get("/jobs/{token}", response=JobOut, summary="A background job: status, progress, its download when done")
def job_detail(request, token: str):
    from ngoso.core import jobs
    from ngoso.core.models import Job

    job = Job.objects.select_related("created_by__place").filter(token=token).first()
    if job is None or not jobs.may_open(request.user, job):
        raise errors.ApiError(404, _("no such job"))
    return job_out(job)


from ngoso.insights.api import router as insights_router  # noqa: E402

api.add_router("", insights_router)
from ngoso.sync.api import router as sync_router  # noqa: E402

api.add_router("/sync", sync_router)

from ngoso.livelihoods.api import router as livelihoods_router  # noqa: E402

api.add_router("/livelihoods", livelihoods_router)
from ngoso.radio.api import router as radio_router  # noqa: E402

api.add_router("/radio", radio_router)
