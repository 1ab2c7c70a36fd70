"""The dashboard of a place: the page and its report as XLSX and PDF (``report``; the API is ``api.py``), all from
``dashboard.dashboard``; the PDF is rendered by the queue (``tasks.queue_dashboard_pdf``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language

from ngoso.accounts.scope import can_see_place
from ngoso.core.charts import bar_chart
from ngoso.places.models import Place

from . import dashboard as dash
from . import providers, report


@login_required
def place_dashboard(request, code):
    place = get_object_or_404(Place, code=code)
    if not can_see_place(request.user, place):
        raise PermissionDenied
    data = dash.dashboard(place, user=request.user)
    weeks = data["visits"]["weeks"]
    chart = bar_chart([(w["week"], _day_month(w["week"]), w["visits"]) for w in weeks])
    return render(request, "insights/dashboard.html", {
        "place": place, "d": data, "chart": chart, "en": get_language() == "en",
        "group_labels": dash.GROUP_LABELS, "sections": providers.sections(data),
    })


def _day_month(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}"


def _report(request, code) -> dict:
    place = get_object_or_404(Place, code=code)
    if not can_see_place(request.user, place):
        raise PermissionDenied
    return report.build(dash.dashboard(place, user=request.user), user=request.user, language=get_language())


@login_required
def place_dashboard_xlsx(request, code):
    """The dashboard as a report to send up: first sheet like the page, a sheet per table, the keys last."""
    body = report.to_xlsx(_report(request, code))
    resp = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{_file_name(code)}.xlsx"'
    return resp


@login_required
def place_dashboard_pdf(request, code):
    """The same report as a PDF for printing (A4), the weekly chart drawn: made by the queue (``tasks``), never
    in this request; the answer is the job page (progress, then the download). A second click while it waits
    gives the same job."""
    from . import tasks

    place = get_object_or_404(Place, code=code)
    job = tasks.queue_dashboard_pdf(place, request.user, "en" if get_language() == "en" else "vi")
    return redirect(job.get_absolute_url())


def _file_name(code: str) -> str:
    return f"bao-cao-chi-so-{code}-{timezone.localdate():%Y%m%d}"
