"""Pages: coverage and bottlenecks, poverty rates, the offline map, imports of sites and reviews."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import formats, timezone
from django.utils.translation import gettext

from ngoso.people.io import ImportFailed
from ngoso.places.models import Level, Place

from . import figures, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _place(request, code):
    place = get_object_or_404(Place, code=code)
    if not figures.may_see_figures(request.user, place):  # the dashboard's poverty section asks the same
        raise PermissionDenied
    return place


@login_required
def access_page(request, code):
    place = _place(request, code)
    cov = services.coverage(place)
    worst = max([c.score for c in cov] + [1])
    pts = services.map_points({c.village.pk: c.score / worst for c in cov}, [c.village for c in cov],
                              labels={c.village.pk: "; ".join(c.reasons) or gettext("4G, wifi and a loudspeaker")
                                      for c in cov})
    return render(request, "poverty/access.html", {
        "place": place, "bottlenecks": services.bottlenecks(place)[:200], "villages": len(cov), "points": pts,
        "with_4g": sum(1 for c in cov if c.mobile in ("4G", "5G")), "with_wifi": sum(1 for c in cov if c.wifi),
        "with_speaker": sum(1 for c in cov if c.loudspeaker)})


@login_required
def access_xlsx(request, code):
    place = _place(request, code)
    resp = HttpResponse(services.coverage_xlsx(services.bottlenecks(place)), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="diem-nghen-{place.code}.xlsx"'
    return resp


def _year(request) -> int:
    try:
        return int(request.GET.get("year") or figures.default_year(timezone.localdate()))
    except ValueError:
        return figures.default_year(timezone.localdate())


@login_required
def poverty_page(request, code):
    place = _place(request, code)
    year = _year(request)
    data = services.rates(place, year)
    villages = list(services._villages(place))
    per_village, labels = {}, {}
    if place.level != Level.VILLAGE:
        rates = services.village_poor_rates(place, year)
        per_village = {v.pk: (rates[v.pk] / 10.0 if rates.get(v.pk) is not None else None) for v in villages}
        labels = {v.pk: (formats.number_format(rates[v.pk], 1) + " %" if rates.get(v.pk) is not None
                         else gettext("not reviewed yet")) for v in villages}
    return render(request, "poverty/poverty.html", {
        "place": place, "d": data, "year": year, "years": range(year - 4, year + 2),
        "points": services.map_points(per_village, villages, labels=labels) if per_village else []})


@login_required
def poverty_xlsx(request, code):
    place = _place(request, code)
    year = _year(request)
    resp = HttpResponse(services.rates_xlsx(services.rates(place, year)), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="ty-le-ho-ngheo-{place.code}-{year}.xlsx"'
    return resp


@login_required
def import_page(request, kind):
    if kind not in ("access-sites", "poverty-reviews") or not request.user.can("import"):
        raise PermissionDenied
    errors, done = [], None
    if request.method == "POST" and request.FILES.get("file"):
        f = request.FILES["file"]
        fn = services.import_sites if kind == "access-sites" else services.import_reviews
        try:
            done = fn(f.read(), f.name, request.user)
        except ImportFailed as exc:
            errors = exc.errors
    return render(request, "poverty/import.html", {"kind": kind, "errors": errors, "done": done,
                                                   "indicators": services.indicator_columns()})
