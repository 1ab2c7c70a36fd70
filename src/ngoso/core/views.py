from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render

from ngoso.accounts import audit  # core's own pages are a face: they may name accounts (core's models may not)
from ngoso.accounts.models import AuditEntry

from . import files, jobs
from .models import Job


@login_required
def home(request):
    if request.user.role in ("member", "team_leader"):
        return redirect("today")
    if request.user.place_id:
        return redirect("place", code=request.user.place.code)
    return render(request, "core/no_area.html")


def _job_for(request, token) -> Job:
    """The job at this address, if the user may open it (``jobs.may_open``); otherwise 404, so that an
    address reveals nothing about whether a job exists."""
    job = Job.objects.select_related("created_by__place").filter(token=token).first()
    if job is None or not jobs.may_open(request.user, job):
        raise Http404
    return job


@login_required
def job_detail(request, token):
    job = _job_for(request, token)
    from .messages import render as say  # the kind's label: a msgid, said in the user's language

    return render(request, "core/job.html", {"job": job, "label": say(jobs.KIND_LABEL.get(job.kind, ""))})


@login_required
def job_status(request, token):
    job = _job_for(request, token)
    return JsonResponse({"status": job.status, "done": job.done, "total": job.total, "percent": job.percent,
                         "message": job.message_text, "result": job.result, "error": job.error_text})


@login_required
def job_download(request, token):
    """The export file: checked (``jobs.may_open``), not expired, and every download audited; streamed from
    the storage ``exports`` through this view (never a public address)."""

    job = _job_for(request, token)
    if job.status != Job.Status.DONE:
        raise Http404
    if job.expired and job.file:
        jobs.drop_file(job, "expired")  # deleted now, not only by the next clean-up
    if job.expired or not job.file:
        return render(request, "core/job_expired.html", {"job": job}, status=410)
    name = files.export_name(job.file)
    if not files.exists("exports", name):
        return render(request, "core/job_expired.html", {"job": job}, status=410)
    filename = name.rsplit("/", 1)[-1]
    audit.record_event(AuditEntry.Action.EXPORT, jobs.KIND_AUDIT.get(job.kind, "people.Resident"), job.place_path,
                       {"download": job.token[:12], "place": (job.params or {}).get("place"), "file": filename,
                        "rows": (job.result or {}).get("rows"), "residents": (job.result or {}).get("residents"),
                        "made_by": job.created_by.get_username() if job.created_by else None},
                       object_repr=filename)
    resp = files.response("exports", name, as_attachment=True, filename=filename)
    resp["Cache-Control"] = "no-store, private"
    return resp


@login_required
def schedule_page(request):
    """The periodic tasks (``core.jobs.schedule``): last run, next run, result. Province staff only."""
    from django.core.exceptions import PermissionDenied

    if not request.user.sees_schedule():
        raise PermissionDenied
    rows = jobs.schedule()
    for row in rows:
        last = row["last"]
        row["summary"] = ", ".join(f"{k}: {v}" for k, v in (last.result or {}).items()
                                   if not isinstance(v, (list, dict)))[:200] if last else ""
        row["error"] = last.error.split("\n")[0] if last and last.error else ""
    pending = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).count()
    return render(request, "core/schedule.html", {"rows": rows, "pending": pending,
                                                  "queue": "Redis" if jobs.redis_url() else "SQLite"})
