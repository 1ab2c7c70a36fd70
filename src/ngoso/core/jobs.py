"""One way to run background work: a ``Job`` row plus a worker thread (the embedded default).

``submit(kind, params, user)`` records the job and runs the registered handler in a daemon thread of the
serving process; the handler reports progress through ``progress(done, total, message)``, which the
job page polls. Handlers are plain functions registered with ``@handler("kind")`` and can be run
synchronously by the CLI and the tests with ``run_now``. A job found "running" when the server
starts again was interrupted: it is marked failed with a clear message, never silently lost.
See docs/decisions/0003-background-jobs.md.

A job is addressed by its random ``token``; ``may_open`` decides who sees it and its file; a failure
shows the user ``user_message`` (a ``JobError``'s own words, or a generic one), the traceback goes to the
log and ``Job.error_detail``; export files expire (``export_ttl``) and ``clean_up`` deletes them and any
left-over upload. See docs/decisions/0006-export-files-are-personal-data.md.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from . import snapshot
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
            if snapshot.active():  # the reads hold a snapshot: write beside it (core/snapshot.py says why)
                _side_update(self.job.pk, done=done, total=total, message=message[:300])
            else:
                Job.objects.filter(pk=self.job.pk).update(done=done, total=total, message=message[:300])
        if self.echo is not None:
            pct = f"{100 * done // total:3d}%" if total else "   "
            self.echo(f"{pct} {done}/{total} {message}")


def _side_update(pk: int, **values) -> None:
    """Update a job row through this thread's side connection. Progress is advice: a failure is logged."""
    conn = snapshot.side_connection()
    q = conn.ops.quote_name
    cols = ", ".join(f"{q(k)} = %s" for k in values)
    try:
        with conn.cursor() as c:
            c.execute(f"UPDATE {q(Job._meta.db_table)} SET {cols} WHERE {q('id')} = %s", [*values.values(), pk])
    except DatabaseError:
        log.warning("job %s: progress not recorded", pk, exc_info=True)


def _load_handlers() -> None:
    # Importing the modules registers their handlers.
    import ngoso.people.io  # noqa: F401
    import ngoso.radio.services  # noqa: F401


class JobError(Exception):
    """A failure the user can act on, told in Vietnamese and English (shown on the job page as is)."""

    def __init__(self, vi: str, en: str):
        super().__init__(f"{vi} / {en}")
        self.vi, self.en = vi, en


UNEXPECTED = ("Công việc gặp lỗi ngoài dự kiến và đã dừng; chi tiết đã được ghi lại cho quản trị viên. Hãy thử "
              "lại sau ít phút. / The job stopped on an unexpected error; the details were logged for the "
              "administrator. Try again in a few minutes.")
NOT_ALLOWED = ("Bạn không có quyền làm việc này cho địa bàn đó. / You are not allowed to do this for that area.")


def user_message(exc: BaseException) -> str:
    """What the job page says about a failure: never a traceback, never a raw database message."""
    from django.core.exceptions import PermissionDenied

    if getattr(exc, "vi", None) and getattr(exc, "en", None):  # a JobError, or any error meant for users
        return f"{exc.vi} / {exc.en}"
    if isinstance(exc, PermissionDenied):
        return NOT_ALLOWED
    return UNEXPECTED


def _set(job: Job, **fields) -> None:
    # In a transaction, so that on SQLite it takes its turn in the writer queue (core/sqlite) instead of
    # polling SQLite's busy handler against a stream of sync batches.
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(**fields)


def run_now(job: Job, echo=None) -> Job:
    _load_handlers()
    fn = _HANDLERS[job.kind]
    _set(job, status=Job.Status.RUNNING)
    try:
        result = fn(job, Progress(job, echo)) or {}
    except Exception as exc:  # noqa: BLE001 - the user gets a clear message, staff the traceback (admin, log)
        log.exception("job %s (%s) failed", job.pk, job.kind)
        _set(job, status=Job.Status.FAILED, error=user_message(exc), error_detail=traceback.format_exc()[-20000:],
             finished_at=timezone.now())
    else:
        _set(job, status=Job.Status.DONE, result=result, finished_at=timezone.now())
    finally:
        snapshot.close_side_connection()
        discard_upload(job)  # an import's upload never outlives its job, whatever happened
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


# ------------------------------------------------------------------------------ who may open a job, files

# The permission a job's kind needs (accounts.models.ROLE_PERMISSIONS): an export file is personal data,
# so opening or downloading it needs the permission to export, not only the area.
KIND_PERMISSION = {"export_people": "export", "import_people": "import", "radio_render": "radio"}


def may_open(user, job: Job) -> bool:
    """May ``user`` see this job and download its file? The permission of its kind, still held, and the
    area (``accounts.scope.can_see_place`` on the job's place); then either the user made the job, or the
    user's own area strictly contains the maker's (higher staff of that area, e.g. the province for a
    commune officer's export). A viewer, member or radio operator of the same commune never may."""
    from ngoso.accounts.scope import can_see_place
    from ngoso.places.models import Place

    if user is None or not user.is_authenticated:
        return False
    perm = KIND_PERMISSION.get(job.kind)
    if perm is None or not user.can(perm):
        return False
    if user.is_superuser and user.place_id is None:
        return True
    if user.place_id is None:
        return False
    place = Place.objects.filter(path=job.place_path).first() if job.place_path else None
    if place is None or not can_see_place(user, place):
        return False
    if job.created_by_id == user.pk:
        return True
    maker = job.created_by
    maker_area = maker.place.path if maker is not None and maker.place_id else (None if maker else job.place_path)
    mine = user.place.path  # paths end with "/": a strict prefix is a strictly larger area
    return maker_area is not None and maker_area != mine and maker_area.startswith(mine)


def export_ttl():
    """How long an export file is kept: ``NGOSO_EXPORT_TTL_HOURS`` (setting or environment), 24 h by default."""
    import datetime
    import os

    from django.conf import settings

    hours = getattr(settings, "NGOSO_EXPORT_TTL_HOURS", None) or os.environ.get("NGOSO_EXPORT_TTL_HOURS") or 24
    return datetime.timedelta(hours=float(hours))


def _file_in_use(path: str, now) -> bool:
    """Another job (a reused export) still hands out this file."""
    from django.db.models import Q

    return Job.objects.filter(file=path).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).exists()


def drop_file(job: Job, reason: str, now=None) -> bool:
    """Forget a job's file (expired, or holding an erased person): the row says why, the file is deleted
    unless another still-valid job hands out the same file. Returns whether a file was dropped."""
    from pathlib import Path

    now = now or timezone.now()
    if not job.file:
        return False
    path = job.file
    result = {**(job.result or {}), "file_dropped": reason}
    Job.objects.filter(pk=job.pk).update(file="", result=result, expires_at=min(job.expires_at or now, now))
    job.file, job.result = "", result
    if not _file_in_use(path, now):
        Path(path).unlink(missing_ok=True)
    return True


def discard_upload(job: Job) -> None:
    """Delete the uploaded file an import job read (kept under ``DATA_DIR/uploads`` only while it runs)."""
    path = (job.params or {}).get("path")
    if not path:
        return
    from pathlib import Path

    p = Path(path)
    if p.resolve().parent == uploads_dir().resolve():
        p.unlink(missing_ok=True)


def uploads_dir():
    from pathlib import Path

    from django.conf import settings

    return Path(settings.DATA_DIR) / "uploads"


def clean_up(now=None, grace_seconds: float = 600) -> dict:
    """Delete what must not stay on disk: export files past their time, export files and uploads that no
    job refers to any more (a killed process, an interrupted import). Called when the server starts (with
    ``grace_seconds=0``: nothing runs yet) and by ``ngoso export --clean-up``; a schedule can call it too.
    Unreferenced files younger than ``grace_seconds`` are left: a running job may be about to record them."""
    import time as _time
    from pathlib import Path

    from django.conf import settings

    now = now or timezone.now()
    out = {"expired": 0, "orphan_exports": 0, "orphan_uploads": 0}
    for job in Job.objects.filter(expires_at__lte=now).exclude(file=""):
        out["expired"] += drop_file(job, "expired", now)
    young = _time.time() - grace_seconds

    def stale(p: Path) -> bool:
        return grace_seconds <= 0 or p.stat().st_mtime < young

    root = Path(settings.EXPORT_ROOT)
    if root.is_dir():
        kept = set(Job.objects.exclude(file="").values_list("file", flat=True))
        for p in root.iterdir():
            if p.is_file() and str(p) not in kept and stale(p):
                p.unlink(missing_ok=True)
                out["orphan_exports"] += 1
    up = uploads_dir()
    if up.is_dir():
        live = {str((j or {}).get("path")) for j in Job.objects.filter(
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).values_list("params", flat=True)}
        for p in up.iterdir():
            if p.is_file() and str(p) not in live and stale(p):
                p.unlink(missing_ok=True)
                out["orphan_uploads"] += 1
    return out
