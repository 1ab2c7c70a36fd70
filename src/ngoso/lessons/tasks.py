"""The lessons' background work on the queue (core.jobs): a web request never renders a PDF or reads a lesson
aloud. It serves what is cached, and otherwise queues the work here and answers at once:

- ``lesson_handout`` and ``lesson_audio`` fill the server's cache (national lesson content, public): nobody
  opens these jobs; the page answers 202 and asks again (``queue_handout``, ``queue_audio``), and one job per
  file is queued however many ask at once.
- ``lesson_batch``: a member's handouts for tomorrow name residents (given names, personal codes), so the file
  is personal data like an export: the job page with its progress bar, a download checked by ``core.jobs.may_open``
  (the permission ``visit`` and the area), audited, deleted when it expires (``core.jobs.export_ttl``).
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.utils.translation import gettext_lazy as _

from ngoso.accounts.acting import job_user
from ngoso.core import files, jobs
from ngoso.core.models import Job

from . import services

PENDING = (Job.Status.QUEUED, Job.Status.RUNNING)


def _fingerprint(kind: str, params: dict) -> str:
    return hashlib.sha256(json.dumps([kind, params], sort_keys=True).encode()).hexdigest()[:64]


def _queue_once(kind: str, params: dict) -> Job:
    """The job already queued or running for the same file, or a new one."""
    fp = _fingerprint(kind, params)
    job = Job.objects.filter(kind=kind, fingerprint=fp, status__in=PENDING).order_by("-pk").first()
    return job or jobs.submit(kind, params, fingerprint=fp)


def queue_handout(skill: str, audience: str, language: str, size: str, base_url: str) -> str | Job:
    """The cached handout's name in the storage ``cache``, or the job that makes it (validated first: a bad size or lesson raises
    ``LessonError`` here, in the request, not later in the job)."""
    name, _shown, _url = services.handout_target(skill, audience, language, size, base_url)
    if files.exists("cache", name):
        return name
    return _queue_once("lesson_handout", {"skill": skill, "audience": audience, "language": language,
                                          "size": size, "base_url": base_url})


def queue_audio(skill: str, audience: str, part: str, voice: str) -> str | Job:
    """The cached recording's name in the storage ``cache``, or the job that reads it aloud (validated first, as ``queue_handout``)."""
    name, _text, _rate = services.audio_target(skill, audience, part, voice)
    if files.exists("cache", name):
        return name
    return _queue_once("lesson_audio", {"skill": skill, "audience": audience, "part": part, "voice": voice})


@jobs.handler("lesson_handout")
def _handout_job(job, progress) -> dict:
    p = job.params
    progress(0, 1, p["skill"])
    pdf = services.handout_pdf(p["skill"], p["audience"], p["language"], p["size"], p["base_url"])
    progress(1, 1, p["skill"])
    return {"bytes": len(pdf)}


@jobs.handler("lesson_audio")
def _audio_job(job, progress) -> dict:
    p = job.params
    progress(0, 1, p["skill"])
    name = services.audio_file(p["skill"], p["audience"], p["part"], p["voice"])
    progress(1, 1, p["skill"])
    return {"file": name}


def queue_batch(user, day: datetime.date | None, size: str, base_url: str, per_resident: int,
                households: set[str] | None, skills: set[str] | None) -> Job:
    """Queue a member's handout batch (``services.tomorrow_batch``). Who may print is checked here, in the
    request (a refusal is told at once), and again in the job (the role may change in between)."""
    services.check_size(size)
    member, day, planned = services.batch_plan(user, day=day, per_resident=per_resident, households=households,
                                               skills=skills)
    if not planned:
        raise services.LessonError(_("No household needs a handout on %(day)s"), day=f"{day:%d/%m/%Y}")
    place = getattr(member, "place", None) or user.place
    params = {"user_id": user.pk, "day": day.isoformat(), "size": size, "base_url": base_url,
              "per": per_resident, "households": sorted(households) if households is not None else None,
              "skills": sorted(skills) if skills is not None else None}
    return jobs.submit("lesson_batch", params, user=user, place_path=place.path if place else "")


@jobs.handler("lesson_batch", permission="visit", audit_model="lessons.Handout",
              label=_("Lesson handouts"))
def _batch_job(job, progress) -> dict:
    p = job.params
    user = job_user(job, _("The account printing these handouts no longer exists."))
    progress(0, 1, "")
    try:
        batch = services.tomorrow_batch(
            user, day=datetime.date.fromisoformat(p["day"]), size=p["size"], base_url=p["base_url"],
            per_resident=p["per"], households=set(p["households"]) if p["households"] is not None else None,
            skills=set(p["skills"]) if p["skills"] is not None else None)
    except services.LessonError as exc:
        raise jobs.JobError(exc) from None
    name = files.save("exports", f"phieu-bai-hoc-{p['day']}-{job.token[:12]}.pdf", batch.pdf)
    jobs.keep_file(job, name)
    progress(1, 1, "")
    return {"households": batch.households, "lessons": batch.lessons, "file": name}
