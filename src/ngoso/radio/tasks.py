"""The radio's background work on the queue (core.jobs): the speech handler lives in ``services``; the fault
and missing-playback checks run here every minute on the schedule (no longer in a thread of the push server)."""

from __future__ import annotations

from ngoso.accounts.acting import job_user_and_place
from ngoso.core import files, jobs
from ngoso.core.jobs import periodic

from . import services
from django.utils.translation import gettext_lazy as _


@periodic("radio_check", _("Radio: offline clusters and unconfirmed playbacks"))
def radio_check() -> dict:
    return services.check()


# --- the monthly (or yearly) report as a PDF: a job, not a render inside the web request -----------------------

def queue_report(place, year: int, month: int | None, user, language: str = "vi"):
    """Queue the report's PDF for ``place`` (checked here, in the request: the period, the user's right and area).
    The job page shows its progress and then the download (``core.jobs.may_open``: the permission ``radio`` and
    the area; the file expires like an export)."""
    from django.core.exceptions import PermissionDenied

    from ngoso.accounts.scope import can_see_place

    if not user.can("radio") or not can_see_place(user, place):
        raise PermissionDenied
    services.period(year, month)  # a bad year or month is refused now (RadioError), not later in the job
    return jobs.submit("radio_report", {"place": place.code, "year": year, "month": month, "user_id": user.pk,
                                        "language": language}, user=user, place_path=place.path)


@jobs.handler("radio_report", permission="radio", audit_model="radio.Report",
              label=_("Radio report"))
def _report_job(job, progress) -> dict:
    from django.utils import translation

    p = job.params
    user, place = job_user_and_place(job, _("The account or the area of this report no longer exists."),
                                     refused=_("This account may no longer see the area's radio report."))
    progress(0, 2, place.name)
    with translation.override(p.get("language") or "vi"):
        data = services.report(place, p["year"], p["month"])
        progress(1, 2, place.name)
        pdf = services.report_pdf(data)
    name = f"truyen-thanh-{place.code}-{p['year']}" + (f"-{p['month']:02d}" if p["month"] else "")
    stored = files.save("exports", f"{name}-{job.token[:12]}.pdf", pdf)
    jobs.keep_file(job, stored)
    progress(2, 2, place.name)
    return {"file": stored, "clusters": len(data["clusters"]), "hours": data["totals"]["hours"]}

