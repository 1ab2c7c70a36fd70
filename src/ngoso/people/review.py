"""The duplicates review page: candidate pairs side by side with their evidence; merge (keep either side),
"not the same", and the recent merges with undo. Views parse and render; ``people.duplicates`` finds the
pairs, ``people.merge`` decides who may merge and does it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ngoso.accounts import permissions
from ngoso.accounts.scope import can_see_place, get_scoped_or_404, scoped
from ngoso.accounts.scope import require as require_capability
from ngoso.core import jobs
from ngoso.core.messages import reason
from ngoso.core.models import Job
from ngoso.places.models import Place

from . import duplicates, merge, privacy
from .models import Household, Merge, Resident

SHOWN = 100  # pairs on one page, best first


def _may_review(user) -> None:
    if not permissions.can(user, "merge", Resident):
        raise PermissionDenied(_("Only commune staff and team leaders review duplicates."))


def _place(request) -> Place:
    code = request.GET.get("place") or request.POST.get("place") or ""
    if code:
        place = get_object_or_404(Place, code=code)
        if not can_see_place(request.user, place):
            raise PermissionDenied
        return place
    if request.user.place_id is None:
        raise PermissionDenied
    return request.user.place


def _side(user, row: dict, kind: str) -> dict:
    if kind == "resident":
        r = Resident.objects.select_related("household__village").get(pk=row["id"])
        see_phone = privacy.can_see(user, "phone", r.household)
        return {"id": r.pk, "title": r.full_name, "url_name": "resident", "url_arg": r.uuid,
                "lines": [f"{r.get_sex_display()} · {r.birth_year}", f"{r.household.code} · {r.household.village.name}",
                          r.household.street_address, r.phone if see_phone else ""],
                "history": {"visits": r.visits_present.count(), "skills": r.skill_records.count(),
                            "consents": r.consents.count()}}
    h = Household.objects.select_related("village").get(pk=row["id"])
    see_phone = privacy.can_see(user, "phone", h)
    head = h.head
    return {"id": h.pk, "title": h.code, "url_name": "household", "url_arg": h.code,
            "lines": [h.village.name, h.street_address, head.full_name if head else "", h.phone if see_phone else ""],
            "history": {"residents": h.residents.count(), "visits": h.visits.count()}}


@login_required
def review(request):
    _may_review(request.user)
    place = _place(request)
    found = duplicates.stored(request.user, place, SHOWN)
    pairs = [{"kind": p.kind, "score": round(p.score * 100), "evidence": p.evidence,
              "a": _side(request.user, p.a, p.kind), "b": _side(request.user, p.b, p.kind)} for p in found]
    merges = scoped(Merge.objects.all(), request.user).filter(undone_at=None)[:20]
    return render(request, "duplicates/review.html", {
        "place": place, "pairs": pairs, "merges": merges, "scanned_at": duplicates.last_scan(place),
        "counts": {"residents": sum(p["kind"] == "resident" for p in pairs),
                   "households": sum(p["kind"] == "household" for p in pairs)}})


@login_required
@require_POST
def scan_now(request):
    """Scan the user's area now (the nightly ``ngoso duplicates`` does it for every commune)."""
    _may_review(request.user)
    place = _place(request)
    got = duplicates.scan_and_store(place)
    messages.success(request, _("Scanned: %(r)s pairs of residents and %(h)s pairs of households found.")
                     % {"r": got["residents"], "h": got["households"]})
    return _back(request)


def _pair(request):
    kind = request.POST.get("kind")
    model = {"resident": Resident, "household": Household}.get(kind)
    if model is None:
        raise PermissionDenied
    try:
        keep_id, other_id = int(request.POST.get("keep", "")), int(request.POST.get("other", ""))
    except ValueError:
        raise PermissionDenied from None
    keep = get_scoped_or_404(model.objects.all(), request.user, pk=keep_id)
    other = get_scoped_or_404(model.objects.all(), request.user, pk=other_id)
    return kind, keep, other


def _back(request):
    from urllib.parse import urlencode

    from django.urls import reverse

    place = request.POST.get("place", "")
    return redirect(reverse("duplicates") + (f"?{urlencode({'place': place})}" if place else ""))


@login_required
@require_POST
def merge_pair(request):
    _may_review(request.user)
    kind, keep, other = _pair(request)
    try:
        m = merge.merge_residents(request.user, keep, other) if kind == "resident" else \
            merge.merge_households(request.user, keep, other)
    except PermissionDenied as exc:
        messages.error(request, reason(exc))
        return _back(request)
    messages.success(request, _("Merged: %(lost)s into %(kept)s. You can undo it below.")
                     % {"lost": m.lost_repr, "kept": m.kept_repr})
    return _back(request)


@login_required
@require_POST
def not_same(request):
    _may_review(request.user)
    kind, a, b = _pair(request)
    merge.not_the_same(request.user, kind, a, b)
    messages.success(request, _("Remembered: %(a)s and %(b)s are not the same; they will not be proposed again.")
                     % {"a": str(a), "b": str(b)})
    return _back(request)


@login_required
@require_POST
def undo(request, pk):
    _may_review(request.user)
    m = get_scoped_or_404(Merge.objects.all(), request.user, pk=pk)
    merge.undo(request.user, m)
    messages.success(request, _("Merge undone: %(lost)s is back.") % {"lost": m.lost_repr})
    return _back(request)


@login_required
@require_POST
def import_choose(request, token):
    """The import preview's answer: the user's choice per likely-duplicate row; the import runs again on the
    kept file with them (a new job, the same file, checked again from the start)."""
    from django.http import Http404

    from .import_duplicates import parse_choices

    job = Job.objects.filter(token=token, kind="import_people").first()
    if job is None or not jobs.may_open(request.user, job) or not (job.result or {}).get("choose"):
        raise Http404
    require_capability(request.user, "import")
    choices, missing = parse_choices(job.result["choose"], request.POST)
    if missing:
        messages.error(request, _("Choose for every row: %(rows)s.") % {"rows": ", ".join(missing)})
        return redirect(job)
    new = jobs.submit("import_people", {**job.params, "choices": choices}, user=request.user,
                      place_path=job.place_path)
    job.result = {"ok": None, "chosen": True, "next": new.token}
    job.save(update_fields=["result"])
    return redirect(new)
