"""Pages about households and residents. Views parse and render; services decide."""

import json
import secrets
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _, ngettext
from django.views.decorators.http import require_POST

from ngoso.accounts.scope import can_see_place, get_scoped_or_404, require, scoped
from ngoso.core import files, jobs
from ngoso.core.text import fold
from ngoso.places.models import Place
from ngoso.teams.models import Member
from ngoso.visits.views import household_context, resident_context

from . import privacy, search as people_search, services, targets
from .io import file_type_refusal, template_workbook
from .models import Household, Resident


@login_required
def household_detail(request, code):
    if not privacy.may_open_people(request.user):
        raise PermissionDenied
    hh = get_scoped_or_404(Household.objects.select_related("village__parent"), request.user, code=code)
    fields = privacy.visible_fields(request.user, hh)
    # the head first, then the others by age; who moved away or died after them, with what happened
    residents = sorted(hh.residents.select_related("ethnicity"),
                       key=lambda r: (r.status != "", r.relation != "head", r.birth_year, r.pk))
    for r in residents:
        r.groups = targets.group_labels(privacy.visible_groups(targets.groups_of(r), fields))
    access = [(Household._meta.get_field(f).verbose_name, getattr(hh, f)) for f in Household.ACCESS_FIELDS]

    return render(request, "people/household.html", {"hh": hh, "residents": residents, "access": access,
                                                     "see": {f: True for f in fields},
                                                     **household_context(request.user, hh)})


@login_required
def resident_detail(request, uuid):
    if not privacy.may_open_people(request.user):
        raise PermissionDenied
    r = get_scoped_or_404(Resident.objects.select_related("household__village", "ethnicity"), request.user, uuid=uuid)
    fields = privacy.visible_fields(request.user, r.household)
    return render(request, "people/resident.html", {
        "r": r, "groups": targets.group_labels(privacy.visible_groups(targets.groups_of(r), fields)),
        "see": {f: True for f in fields}, "consent": services.current_consent(r),
        "can_erase": request.user.can("erase"), **resident_context(request.user, r),
    })


@login_required
def resident_data(request, uuid):
    """The person's own copy of their data (JSON), on their request."""
    r = get_scoped_or_404(Resident.objects.select_related("household__village", "ethnicity"), request.user, uuid=uuid)
    require(request.user, "edit_people")
    if privacy.visible_fields(request.user, r.household) != privacy.SENSITIVE:
        raise PermissionDenied  # the person's copy holds every field: only someone who may see them all hands it over
    data = services.subject_data(r)
    resp = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="du-lieu-ca-nhan-{r.uuid}.json"'
    return resp


@login_required
@require_POST
def resident_erase(request, uuid):
    r = get_scoped_or_404(Resident.objects.select_related("household__village"), request.user, uuid=uuid)
    require(request.user, "erase")
    if fold(request.POST.get("confirm_name", "")) != r.search_name:
        messages.error(request, _("To erase, type the person's full name exactly."))
        return redirect("resident", uuid=uuid)
    village = r.household.village
    erasure = services.erase_resident(r, done_by=request.user, reason=request.POST.get("reason", "")[:200])
    messages.success(request, _("The person's data has been erased.")
                     + (" " + _("The household had nobody left and was removed.") if erasure.household_removed else "")
                     + (" " + ngettext("%(n)d earlier export file that held the person was deleted.",
                                       "%(n)d earlier export files that held the person were deleted.",
                                       erasure.exports_deleted) % {"n": erasure.exports_deleted}
                        if erasure.exports_deleted else ""))
    return redirect("place", code=village.code)


@login_required
def search(request):
    q = request.GET.get("q", "").strip()
    results = {"residents": [], "households": [], "members": []}
    if len(q) >= 2:
        residents, households = people_search.restrict(
            request.user, scoped(Resident.objects.select_related("household__village"), request.user),
            scoped(Household.objects.select_related("village"), request.user), q)
        try:
            results = people_search.find_all(residents, households,
                                             scoped(Member.objects.select_related("place"), request.user), q)
        except people_search.SearchError:
            pass
    return render(request, "people/search.html", {"q": q, "results": results,
                                                  "empty": q and not any(results.values())})


@login_required
def import_page(request):
    require(request.user, "import")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file to import."))
            return redirect("import")
        refused = file_type_refusal(upload.name)
        if refused:
            messages.error(request, refused)
            return redirect("import")
        # kept in the storage "uploads" only while the job runs (core.jobs.discard_upload, clean_up)
        name = files.save("uploads", f"{secrets.token_hex(12)}{Path(upload.name).suffix.lower()}", upload)
        job = jobs.submit("import_people", {"path": name, "filename": upload.name, "user_id": request.user.pk},
                          user=request.user, place_path=request.user.place.path if request.user.place_id else "")
        return redirect(job)
    return render(request, "people/import.html")


@login_required
def import_template(request):
    resp = HttpResponse(template_workbook(request.user),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="mau-nhap-ho-gia-dinh.xlsx"'
    return resp


@login_required
@require_POST
def export_place(request, code):
    place = get_object_or_404(Place, code=code)
    require(request.user, "export")
    if not can_see_place(request.user, place):
        raise PermissionDenied
    job = services.export_area(place, request.user)
    return redirect(job)
