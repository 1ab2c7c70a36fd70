from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from ngoso.accounts.scope import scoped

from .models import Job


@login_required
def home(request):
    if request.user.role in ("member", "team_leader"):
        return redirect("today")
    if request.user.place_id:
        return redirect("place", code=request.user.place.code)
    return render(request, "core/no_area.html")


def _job_for(request, pk) -> Job:
    job = get_object_or_404(Job, pk=pk)
    if job.created_by_id != request.user.pk and not scoped(Job.objects.filter(pk=pk), request.user).exists():
        raise Http404
    return job


@login_required
def job_detail(request, pk):
    return render(request, "core/job.html", {"job": _job_for(request, pk)})


@login_required
def job_status(request, pk):
    job = _job_for(request, pk)
    return JsonResponse({"status": job.status, "done": job.done, "total": job.total, "percent": job.percent,
                         "message": job.message, "result": job.result})


@login_required
def job_download(request, pk):
    job = _job_for(request, pk)
    if job.status != Job.Status.DONE or not job.file:
        raise Http404
    from pathlib import Path

    path = Path(job.file)
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
