"""The page of people moving in from another village (issue 19): the requests members made at the door,
each with the residents it may be about (found within the reviewer's own area), and a form to ask on the web.
Views parse and render; ``people.registration`` decides (``request_move_in``, ``move_candidates``,
``complete_move``, ``refuse_move``)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ngoso.accounts import permissions
from ngoso.accounts.scope import get_scoped_or_404, scoped
from ngoso.core.text import vi_order
from ngoso.places.models import Level, Place

from . import registration
from .models import Household, MoveRequest, Relation, Resident


def _may_review(user) -> None:
    if not permissions.can(user, "change", MoveRequest):
        raise PermissionDenied(_("Only commune staff and team leaders move people in from another village."))


@login_required
def move_requests(request, entered: dict | None = None, errors: dict | None = None, status: int = 200):
    """The requests waiting, and the form; after a refused form, the same page with what was entered and each
    error beside its field (``entered``, ``errors``)."""
    _may_review(request.user)
    pending = scoped(MoveRequest.objects.filter(status=MoveRequest.Status.PENDING), request.user).select_related(
        "household__village", "from_village").order_by("requested_at", "id")[:100]
    rows = [{"r": r, "candidates": registration.move_candidates(request.user, r)} for r in pending]
    done = scoped(MoveRequest.objects.exclude(status=MoveRequest.Status.PENDING), request.user).select_related(
        "household", "resident")[:20]
    villages = scoped(Place.objects.filter(level=Level.VILLAGE, valid_to__isnull=True), request.user).order_by(vi_order("name"), "code")
    return render(request, "people/moves.html", {
        "rows": rows, "done": done, "villages": villages[:500], "relations": Relation.choices,
        "household": request.GET.get("household", ""),
        # the form's UUID ties it to one request: browser Back after Save, then Save again, stores nothing new
        "entered": entered or {"uuid": "", "relation": Relation.OTHER}, "errors": errors or {}},
        status=status)


@login_required
@require_POST
def move_new(request):
    """Ask on the web: the same request a member makes offline; the page then lists who it may be about."""
    _may_review(request.user)
    fields = ("uuid", "household", "full_name", "birth_year", "from_village", "from_text", "relation")
    entered = {k: request.POST.get(k, "").strip() for k in fields}
    try:
        entered["uuid"] = str(uuid.UUID(entered["uuid"]))
    except ValueError:
        entered["uuid"] = str(uuid.uuid4())  # no script on the page, or a form from before this field: a new one
    hh = scoped(Household.objects.all(), request.user).filter(code=entered["household"]).first()
    if hh is None:
        return move_requests(request, entered, {"household": _(
            "No household with code «%(code)s» in your area") % {"code": entered["household"]}}, status=400)
    from_village = Place.objects.filter(level=Level.VILLAGE, code=entered["from_village"]).first()
    year = entered["birth_year"]
    try:
        registration.request_move_in(
            request.user, uuid=entered["uuid"], household=hh, full_name=entered["full_name"],
            birth_year=int(year) if year.isdigit() else (year or None), sex=request.POST.get("sex", ""),
            from_village=from_village, from_text=entered["from_text"], relation=entered["relation"] or Relation.OTHER)
    except registration.RegistrationError as exc:
        where = exc.field if exc.field in fields else "full_name"
        return move_requests(request, entered, {where: exc.text()}, status=400)
    return redirect("move_requests")


@login_required
@require_POST
def move_complete(request, pk):
    _may_review(request.user)
    req = get_scoped_or_404(MoveRequest.objects.select_related("household__village"), request.user, pk=pk)
    if request.POST.get("action") == "refuse":
        registration.refuse_move(request.user, req)
        messages.success(request, _("Closed: nobody was moved."))
        return redirect("move_requests")
    resident = get_scoped_or_404(Resident.objects.select_related("household__village"), request.user,
                                 pk=request.POST.get("resident") or 0)
    try:
        registration.complete_move(request.user, req, resident)
    except (registration.RegistrationError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        return redirect("move_requests")
    messages.success(request, _("%(name)s now lives in household %(code)s, with their history.")
                     % {"name": resident.full_name, "code": req.household.code})
    return redirect("move_requests")
