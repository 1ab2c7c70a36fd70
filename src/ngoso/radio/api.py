"""JSON API for the smart radio (``/api/v1/radio``; web session auth): cluster status, bulletins."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from ninja import Router, Schema, Status

from ngoso.accounts.scope import can_see_place, scoped
from ngoso.api import errors
from ngoso.core import clean
from ngoso.places.models import Place

from . import services
from .models import Alert, Bulletin, SpeakerCluster

router = Router(tags=["radio"])


def _require(request):
    if not request.user.can("radio"):
        raise errors.ApiError(403, _("not allowed to use the radio"))


class BulletinIn(Schema):
    title: str
    text: str = ""
    category: str
    place: str
    priority: str = "normal"
    source: str = ""


@router.get("/clusters")
def clusters(request):
    """Live status of every cluster in the user's area."""
    _require(request)
    now = timezone.now()
    qs = scoped(SpeakerCluster.objects.select_related("place"), request.user)
    open_alerts = {}
    for cid in scoped(Alert.objects.filter(resolved_at__isnull=True), request.user).values_list("cluster_id", flat=True):
        open_alerts[cid] = open_alerts.get(cid, 0) + 1
    return [{"code": c.code, "name": c.name, "place": c.place.code, "active": c.active, "online": c.online(now),
             "last_seen_at": c.last_seen_at.isoformat() if c.last_seen_at else None, "volume": c.volume,
             "now_playing": c.now_playing, "faults": c.faults, "open_alerts": open_alerts.get(c.pk, 0)} for c in qs]


@router.get("/bulletins")
def bulletins(request, status: str | None = None):
    _require(request)
    qs = scoped(Bulletin.objects.select_related("place"), request.user)
    if status:
        qs = qs.filter(status=status)
    return [{"id": b.pk, "title": b.title, "category": b.category, "priority": b.priority, "status": b.status,
             "place": b.place.code, "audio": b.audio_status, "duration": b.audio_duration, "source": b.source}
            for b in qs[:500]]


@router.post("/bulletins")
def create(request, data: BulletinIn):
    """A draft bulletin awaiting approval (the same service the lessons module calls)."""
    _require(request)
    place = Place.objects.filter(code=data.place).first()
    if place is None or not can_see_place(request.user, place):
        raise errors.ApiError(400, _("place '%(place)s' is not in your area"), place=data.place)
    try:
        b = services.create_bulletin(title=clean.model_text(Bulletin, "title", data.title),
                                     text=clean.model_text(Bulletin, "text", data.text), category=data.category,
                                     place=place, author=request.user, priority=data.priority,
                                     source=clean.model_text(Bulletin, "source", data.source))
    except services.RadioError as exc:
        raise errors.ApiError(400, exc) from None
    return {"id": b.pk, "status": b.status}


class PreviewIn(Schema):
    text: str
    voice: str = "north"
    place: str = ""


def _api_place(request, code: str):
    if not code:
        return request.user.place
    place = Place.objects.filter(code=code).first()
    if place is None or not can_see_place(request.user, place):
        raise errors.ApiError(400, _("place '%(place)s' is not in your area"), place=code)
    return place


@router.post("/preview")
def preview(request, data: PreviewIn):
    """The explaining preview of a text at a place (the editor's): the reading cut into kept text and changed
    spans, each with its source, reading, rule and note (``services.explain_preview``)."""
    _require(request)
    return services.explain_preview(data.text[:20000], data.voice, _api_place(request, data.place))


@router.get("/abbreviations")
def abbreviations(request, place: str = ""):
    """The local abbreviations a bulletin at ``place`` (default: the user's) is read with, nearest place last."""
    from .abbreviations import entries_for

    _require(request)
    rows = sorted(entries_for(_api_place(request, place)), key=lambda e: (len(e.place.path), e.abbreviation))
    return [{"abbreviation": e.abbreviation, "reading": e.reading, "note": e.note, "place": e.place.code}
            for e in rows]


class ReportIn(Schema):
    place: str = ""
    year: int
    month: int | None = None


@router.post("/reports", response={202: dict}, summary="Queue a radio report as a PDF (a background job)")
def report_pdf(request, data: ReportIn):
    """The month's (or, without ``month``, the year's) radio report for ``place`` (default: the user's) as a PDF,
    made by the queue: answers 202 at once with the job (``GET /api/v1/jobs/{token}`` for its progress, then its
    ``download``). The permission ``radio`` and the area, as the report page."""
    from django.core.exceptions import PermissionDenied

    from ngoso.api.v1 import job_out

    from . import tasks

    _require(request)
    place = _api_place(request, data.place)
    if place is None:
        raise errors.ApiError(400, _("your account has no area: give 'place'"))
    try:
        job = tasks.queue_report(place, data.year, data.month, request.user)
    except services.RadioError as exc:
        raise errors.ApiError(400, exc) from None
    except PermissionDenied:
        raise errors.ApiError(403, pgettext_lazy("radio api", "not allowed")) from None
    return Status(202, job_out(job))
