"""The counters' place on the schedule (core.jobs.periodic) and the worker, and the dashboard PDF job.

- ``counters_roll_up``: the deltas writes appended are folded into the counters (``counters.roll_up``) a few
  seconds after a write (``nudge``, called when a writer commits) and every minute whatever happens;
- ``counters_recent``: daily, villages whose latest visit is now older than 30 days leave ``vrecent``;
- ``counters_new_year``: ages change with the year, so the counters are rebuilt for the new year by the worker
  at midnight on 1 January (``counters.switch_year``), never by a request (reading never writes, ``counters``);
- ``dashboard_pdf``: the dashboard's report as a PDF (``report.to_pdf``), queued by the page's link and handed
  out on the job page, never rendered inside the request.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections
from django.utils import timezone

from ngoso.accounts.acting import job_user_and_place
from ngoso.core.jobs import HUEY, handler, on_start, periodic

from . import counters
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)
ROLL_UP_DELAY = 2.0  # seconds from a write to the roll-up that folds it (dashboards see it at once anyway)
_nudged = {"at": float("-inf")}
_nudge_lock = threading.Lock()


@HUEY.task(name="ngoso.insights.roll_up")
def roll_up_soon() -> None:
    close_old_connections()
    try:
        counters.roll_up()
    finally:
        close_old_connections()


def nudge() -> None:
    """After a commit that appended deltas: have the worker fold them in ``ROLL_UP_DELAY`` seconds, once per
    ``ROLL_UP_DELAY`` per process however many writes come (the minute's roll-up catches any left)."""
    now = time.monotonic()
    with _nudge_lock:
        if now - _nudged["at"] < ROLL_UP_DELAY:
            return
        _nudged["at"] = now
    try:
        if HUEY.immediate:
            return  # tests and one-off commands: the roll-up runs when they call it (or the minute's one)
        roll_up_soon.schedule(delay=ROLL_UP_DELAY)
    except Exception:  # noqa: BLE001 - the write is committed; the minute's roll-up folds its deltas
        log.exception("could not queue the counters' roll-up")


@periodic("counters_roll_up", _("Fold the counters' deltas (every minute)"))
def counters_roll_up() -> dict:
    return {"folded": counters.roll_up() or 0}


@periodic("counters_recent", _("Villages without a visit in 30 days (daily)"), minute="5", hour="0")
def counters_recent() -> dict:
    return {"villages": counters.refresh_recent()}


@periodic("counters_new_year", _("Counters for the new year (midnight, 1 January)"), minute="0", hour="0", day="1",
          month="1")
def counters_new_year() -> dict:
    year = timezone.localdate().year
    return {"year": year, "rebuilt": counters.prepare_year(year)}


@on_start
def counters_ready() -> None:
    """Before ``ngoso serve`` starts its web processes: counters missing (a fresh import) or of last year are
    built here once, not by the first write of the year (several processes at once would each rebuild them)."""
    counters.switch_year()


# --- the dashboard's report as a PDF: a job, not a render inside the web request (issue 17) ---------------------

PENDING = ("queued", "running")  # core.models.Job.Status


def queue_dashboard_pdf(place, user, language: str = "vi"):
    """Queue the dashboard's PDF for ``place`` (checked here, in the request: the user sees the place), or give
    back the one already queued or running for the same user, place and language (a second click). The job page
    shows its progress and then the download (``core.jobs.may_open``: the permission ``dashboard``, which every
    role holds, and the area; the file expires like an export)."""
    from django.core.exceptions import PermissionDenied

    from ngoso.accounts.scope import can_see_place
    from ngoso.core import jobs
    from ngoso.core.models import Job

    if not user.can("dashboard") or not can_see_place(user, place):
        raise PermissionDenied
    params = {"place": place.code, "language": language, "user_id": user.pk}
    same = Job.objects.filter(kind="dashboard_pdf", created_by=user, status__in=PENDING,
                              params__place=place.code, params__language=language).order_by("-pk").first()
    return same or jobs.submit("dashboard_pdf", params, user=user, place_path=place.path)


@handler("dashboard_pdf", permission="dashboard", audit_model="insights.Dashboard",
         label=_("Dashboard report (PDF)"))
def _dashboard_pdf_job(job, progress) -> dict:
    from django.utils import timezone as tz

    from ngoso.core import files, jobs

    from . import dashboard as dash
    from . import report

    p = job.params
    user, place = job_user_and_place(job, _("The account or the area of this report no longer exists."),
                                     refused=_("This account may no longer see the area's dashboard."))
    progress(0, 2, place.name)
    rep = report.build(dash.dashboard(place, user=user), user=user, language=p.get("language") or "vi")
    progress(1, 2, place.name)
    pdf = report.to_pdf(rep)
    name = f"bao-cao-chi-so-{place.code}-{tz.localdate():%Y%m%d}"
    stored = files.save("exports", f"{name}-{job.token[:12]}.pdf", pdf)
    jobs.keep_file(job, stored)
    progress(2, 2, place.name)
    return {"file": stored}
