"""One way to run background work: a ``Job`` row plus a worker thread (the embedded default).

``submit(kind, params, user)`` records the job and runs the registered handler in a daemon thread of the
serving process; the handler reports progress through ``progress(done, total, message)``, which the
job page polls. Handlers are plain functions registered with ``@handler("kind")`` and can be run
synchronously by the CLI and the tests with ``run_now``. A job found "running" when the server
starts again was interrupted: it is marked failed with a clear message, never silently lost.
See docs/decisions/0003-background-jobs.md.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.utils import timezone

from .models import Job

log = logging.getLogger("ngoso.jobs")

_HANDLERS: dict[str, Callable] = {}


def handler(kind: str):
    def register(fn):
        _HANDLERS[kind] = fn
        return fn

    return register


class Progress:
    """Callable progress reporter that writes to the job row at most every 0.5 s."""

    def __init__(self, job: Job | None, echo: Callable[[str], None] | None = None):
        self.job, self.echo, self._last = job, echo, 0.0

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        final = total and done >= total
        if now - self._last < 0.5 and not final:
            return
        self._last = now
        if self.job is not None:
            Job.objects.filter(pk=self.job.pk).update(done=done, total=total, message=message[:300])
        if self.echo is not None:
            pct = f"{100 * done // total:3d}%" if total else "   "
            self.echo(f"{pct} {done}/{total} {message}")


def _load_handlers() -> None:
    # Importing the modules registers their handlers.
    import ngoso.people.io  # noqa: F401
    import ngoso.radio.services  # noqa: F401


def failure_message(job: Job, exc: Exception) -> str:
    """What the job page says about a failure: an error meant for users (one with Vietnamese and English
    words, ``vi``/``en``) as it is; anything else as a reference to the server log, which holds the
    traceback (a page never shows code, paths or data from a traceback)."""
    if getattr(exc, "vi", None) and getattr(exc, "en", None):
        return f"{exc.vi} / {exc.en}"
    log.error("job %s (%s) failed\n%s", job.pk, job.kind, traceback.format_exc())
    return (f"Lỗi không mong đợi; đã ghi vào nhật ký máy chủ (công việc số {job.pk}, {exc.__class__.__name__}). "
            f"/ Unexpected error; written to the server log (job {job.pk}, {exc.__class__.__name__}).")


def run_now(job: Job, echo=None) -> Job:
    _load_handlers()
    fn = _HANDLERS[job.kind]
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    try:
        result = fn(job, Progress(job, echo)) or {}
    except Exception as exc:  # noqa: BLE001 - recorded on the job for the user to read
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, error=failure_message(job, exc)[:20000],
                                             finished_at=timezone.now())
    else:
        Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE, result=result, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def submit(kind: str, params: dict, user=None, place_path: str = "", background: bool = True, **fields) -> Job:
    job = Job.objects.create(kind=kind, params=params, created_by=user, place_path=place_path, **fields)
    if not background:
        return run_now(job)

    def work():
        close_old_connections()
        try:
            run_now(job)
        finally:
            connection.close()  # this thread's own connection; never left open when the thread ends

    threading.Thread(target=work, name=f"ngoso-job-{job.pk}", daemon=True).start()
    return job


def mark_interrupted() -> int:
    """Called when the server starts: jobs left running by a killed process are failed, visibly."""
    return Job.objects.filter(status__in=[Job.Status.RUNNING, Job.Status.QUEUED]).update(
        status=Job.Status.FAILED,
        error="Bị gián đoạn do máy chủ khởi động lại; hãy chạy lại. / Interrupted by a server restart; run it again.",
        finished_at=timezone.now(),
    )
