"""The dashboard of a place: the page and its XLSX export (the API is ``api.py``), all from ``dashboard.dashboard``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from ngoso.accounts.scope import can_see_place
from ngoso.core.charts import bar_chart
from ngoso.places.models import Place

from . import dashboard as dash


@login_required
def place_dashboard(request, code):
    place = get_object_or_404(Place, code=code)
    if not can_see_place(request.user, place):
        raise PermissionDenied
    data = dash.dashboard(place)
    weeks = data["visits"]["weeks"]
    chart = bar_chart([(w["week"], _day_month(w["week"]), w["visits"]) for w in weeks])
    return render(request, "insights/dashboard.html", {
        "place": place, "d": data, "chart": chart, "en": get_language() == "en",
        "group_labels": dash.GROUP_LABELS,
    })


def _day_month(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}"


@login_required
def place_dashboard_xlsx(request, code):
    place = get_object_or_404(Place, code=code)
    if not can_see_place(request.user, place):
        raise PermissionDenied
    body = dash.to_xlsx(dash.dashboard(place))
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="chi-so-{place.code}.xlsx"'
    return resp
