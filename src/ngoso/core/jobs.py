"""One way to run background work: a ``Job`` row plus a durable task queue (huey).

``submit(kind, params, user)`` records the job and, once that is committed, puts ``run_job(job_id)`` on the
queue: huey with SQLite storage in the data directory (``queue.sqlite3``) by default, Redis when
``NGOSO_REDIS_URL`` is set. A worker process (``ngoso worker``; ``ngoso serve`` starts one) takes it,
*claims* the row (one atomic UPDATE: so a task delivered twice runs once), runs the registered handler with
a lease it renews every few seconds, and records the result. The handler reports progress through
``progress(done, total, message)``, which the job page polls. Handlers are plain functions registered with
``@handler("kind")`` (in modules an app imports at ``AppConfig.ready()``), and can be run synchronously by
the CLI and the tests with ``run_now``.

Durability: a job whose worker died (kill -9, a restart) keeps status "running" with a lease that runs out;
``recover()`` (at worker start and every minute on the schedule) puts it on the queue again, and it runs
again from the start (imports are all-or-nothing, exports write a ``.part`` file): never silently lost.
An unexpected failure is retried with back-off (``MAX_ATTEMPTS``, ``retry_delay``); a ``JobError`` or a
refusal is final at once. The last failure shows a clear Vietnamese/English message.
See docs/decisions/0003-background-jobs.md and 0013-durable-task-queue.md.

A job is addressed by its random ``token``; ``may_open`` decides who sees it and its file; a failure
shows the user ``user_message`` (a ``JobError``'s own words, or a generic one), the traceback goes to the
log and ``Job.error_detail``; export files expire (``export_ttl``) and ``clean_up`` deletes them and any
left-over upload. See docs/decisions/0006-export-files-are-personal-data.md.

Periodic work is registered with ``@periodic(name, crontab, label)``: a huey periodic task whose runs are
recorded in ``TaskRun`` (one row per name and minute, so two schedulers never run it twice) and shown to
province staff on the schedule page (``schedule()``).
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from django.utils.translation import gettext_lazy as _

from . import snapshot
from .messages import Message, UserError, both, render
from .models import Job, TaskRun

log = logging.getLogger("ngoso.jobs")

_HANDLERS: dict[str, Callable] = {}
# The permission a job's kind needs (accounts.models.ROLE_PERMISSIONS), declared by the app that handles the
# kind (``handler(kind, permission=...)``): an export file is personal data, so opening or downloading it
# needs the permission to export, not only the area.
KIND_PERMISSION: dict[str, str] = {}
# What a download of the job's file is recorded as (``core.views.job_download``); an export of people by default.
KIND_AUDIT: dict[str, str] = {"export_people": "people.Resident"}
KIND_LABEL: dict[str, str] = {}

def handler(kind: str, permission: str | None = None, audit_model: str | None = None, label: str = ""):
    """Register ``fn(job, progress)`` as the handler of jobs of ``kind``. ``permission`` (``User.can``) is what
    opening the job's page and downloading its file needs besides the area (``may_open``); without it nobody
    opens the job (work for the server's own cache). ``audit_model`` is what a download is recorded as in the
    audit log; ``label`` (a lazy msgid) heads the job page."""
    def register(fn):
        _HANDLERS[kind] = fn
        if permission:
            KIND_PERMISSION[kind] = permission
        if audit_model:
            KIND_AUDIT[kind] = audit_model
        if label:
            KIND_LABEL[kind] = label
        return fn

    return register


class Progress:
    """Callable progress reporter that writes to the job row at most every 0.5 s."""

    def __init__(self, job: Job | None, echo: Callable[[str], None] | None = None):
        self.job, self.echo, self._last = job, echo, 0.0

    def __call__(self, done: int, total: int, message="") -> None:
        """``message``: a msgid (lazy or a ``Message``), said on the job page in the reader's language, or plain
        text (a place's name) said as it is."""
        now = time.monotonic()
        final = total and done >= total
        if now - self._last < 0.5 and not final:
            return
        self._last = now
        words = worded("message", message)
        if self.job is not None:
            if snapshot.active():  # the reads hold a snapshot: write beside it (core/snapshot.py says why)
                _side_update(self.job.pk, done=done, total=total, **words)
            else:
                Job.objects.filter(pk=self.job.pk).update(done=done, total=total, **words)
        if self.echo is not None:
            pct = f"{100 * done // total:3d}%" if total else "   "
            self.echo(f"{pct} {done}/{total} {words['message']}")


def worded(field: str, *parts, limit: int = 300) -> dict:
    """The fields to write for a job's ``message`` or ``error`` made of ``parts`` (msgids, ``Message``s or plain
    text, joined by a space): the column in both languages as ever (the admin, the CLI, a reader of the row)
    and ``said``, each language apart, which the job page, its status and the API show in the reader's
    language (``Job.text``). Plain text alone is said as it is in both."""
    from django.utils.functional import Promise

    if not any(isinstance(p, (Message, Promise)) for p in parts):
        return {field: " ".join(str(p) for p in parts if p != "")[:limit], "said": {}}
    texts = {lang: " ".join(render(p, lang) if isinstance(p, (Message, Promise)) else str(p)
                            for p in parts if p != "")[:limit] for lang in ("vi", "en")}
    column = " ".join(both(p) if isinstance(p, (Message, Promise)) else str(p) for p in parts if p != "")
    return {field: column[:limit], "said": {field: texts}}


def _side_update(pk: int, **values) -> None:
    """Update a job row through this thread's side connection. Progress is advice: a failure is logged."""
    conn = snapshot.side_connection()
    q = conn.ops.quote_name
    import json

    values = {k: json.dumps(v) if k == "said" else v for k, v in values.items()}
    cast = "::jsonb" if conn.vendor == "postgresql" else ""
    cols = ", ".join(f"{q(k)} = %s{cast if k == 'said' else ''}" for k in values)
    try:
        with conn.cursor() as c:
            c.execute(f"UPDATE {q(Job._meta.db_table)} SET {cols} WHERE {q('id')} = %s", [*values.values(), pk])
    except DatabaseError:
        log.warning("job %s: progress not recorded", pk, exc_info=True)


class JobError(UserError):
    """A failure the user can act on (a msgid; stored on the job in Vietnamese and English, shown as is)."""


_UNEXPECTED = _("The job stopped on an unexpected error; the details were logged for the administrator. Try "
                "again in a few minutes.")
_NOT_ALLOWED = _("You are not allowed to do this for that area.")


def __getattr__(name: str) -> str:
    """``UNEXPECTED`` and ``NOT_ALLOWED``: the stored texts (both languages from the one msgid), made when read
    (translations cannot load while this module is imported)."""
    if name in ("UNEXPECTED", "NOT_ALLOWED"):
        return both(globals()["_" + name])
    raise AttributeError(name)


def user_words(exc: BaseException):
    """What the job page says about a failure (a ``Message`` or msgid, said in each language): never a
    traceback, never a raw database message."""
    from django.core.exceptions import PermissionDenied

    if isinstance(exc, UserError):  # a JobError, or any error meant for users
        return exc.message
    if isinstance(exc, PermissionDenied):
        return _NOT_ALLOWED
    return _UNEXPECTED


def user_message(exc: BaseException) -> str:
    """``user_words`` in Vietnamese and English, as one text (the schedule's task runs)."""
    return both(user_words(exc))


def _set(job: Job, **fields) -> None:
    # In a transaction, so that on SQLite it takes its turn in the writer queue (core/sqlite) instead of
    # polling SQLite's busy handler against a stream of sync batches.
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(**fields)


# ------------------------------------------------------------------------------ the queue (huey)

def _setting(name: str, default):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    return type(default)(value) if value not in (None, "") else default


def lease_seconds() -> float:
    """How long a running job's claim lasts without renewal (``NGOSO_JOB_LEASE_SECONDS``, 60 s)."""
    return _setting("NGOSO_JOB_LEASE_SECONDS", 60.0)


def max_attempts() -> int:
    """How many times a job is tried before it fails for good (``NGOSO_JOB_ATTEMPTS``, 3)."""
    return _setting("NGOSO_JOB_ATTEMPTS", 3)


def retry_delay(attempt: int) -> float:
    """Back-off after failed attempt ``attempt`` (1, 2, ...): base × 4^(attempt-1); base
    ``NGOSO_JOB_RETRY_SECONDS`` (30 s): 30 s, 2 min, 8 min, ..."""
    return _setting("NGOSO_JOB_RETRY_SECONDS", 30.0) * 4 ** (attempt - 1)


def redis_url() -> str:
    return (getattr(settings, "NGOSO_REDIS_URL", None) or os.environ.get("NGOSO_REDIS_URL") or "").strip()


def _make_huey():
    """The queue: Redis when ``NGOSO_REDIS_URL`` is set, else SQLite in the data directory. ``NGOSO_JOBS_IMMEDIATE=1``
    (the test suite's unit tests) runs each task at once in the submitting thread, huey's own test mode.
    Local time (``utc=False``; Django set the process's zone to ``TIME_ZONE``): crontabs read as in Vietnam."""
    from .queue import ReliableRedisHuey, ReliableSqliteHuey

    immediate = os.environ.get("NGOSO_JOBS_IMMEDIATE") == "1"
    name = os.environ.get("NGOSO_QUEUE_NAME") or "ngoso"
    # both: a message taken by a worker that dies before claiming its job is given back (core/queue.py)
    if redis_url():
        return ReliableRedisHuey(name, url=redis_url(), results=False, immediate=immediate, utc=False)
    path = settings.DATA_DIR / "queue.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)  # with PostgreSQL nothing else has made the data directory yet
    return ReliableSqliteHuey(name, filename=str(path), results=False, immediate=immediate, utc=False, timeout=30)


HUEY = _make_huey()

# When several wait, higher runs first (huey priorities): speech is short and awaited, exports can wait.
PRIORITY = {"radio_render": 20, "import_people": 10, "export_people": 5, "export_people_part": 5}


@HUEY.task(name="ngoso.run_job")
def run_job(job_id: int) -> None:
    """The one queue task: claim the job and run its handler (a second delivery finds it claimed)."""
    close_old_connections()
    try:
        execute(job_id)
    finally:
        snapshot.close_side_connection()
        close_old_connections()


def enqueue(job_id: int, kind: str = "", delay: float = 0) -> None:
    if delay > 0:
        run_job.schedule(args=(job_id,), delay=delay, priority=PRIORITY.get(kind, 0))
    else:
        HUEY.enqueue(run_job.s(job_id, priority=PRIORITY.get(kind, 0)))


def _claim(job_id: int) -> bool:
    """Take the job for this worker: queued and due, or running with its lease run out (its worker died).
    One UPDATE, so two workers given the same job never both run it."""
    now = timezone.now()
    due = Q(status=Job.Status.QUEUED) & (Q(lease_until__isnull=True) | Q(lease_until__lte=now))
    stale = Q(status=Job.Status.RUNNING, lease_until__lt=now)
    with transaction.atomic():
        return bool(Job.objects.filter(due | stale, pk=job_id).update(
            status=Job.Status.RUNNING, attempts=F("attempts") + 1,
            lease_until=now + datetime.timedelta(seconds=lease_seconds())))


class _Lease(threading.Thread):
    """Renews a running job's lease every third of its length, on this thread's own connection."""

    def __init__(self, job_id: int):
        super().__init__(name=f"ngoso-lease-{job_id}", daemon=True)
        self.job_id, self.stopping = job_id, threading.Event()

    def run(self) -> None:
        every = max(0.5, lease_seconds() / 3)
        try:
            while not self.stopping.wait(every):
                try:
                    with transaction.atomic():
                        Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
                            lease_until=timezone.now() + datetime.timedelta(seconds=lease_seconds()))
                except DatabaseError:
                    log.warning("job %s: lease not renewed", self.job_id, exc_info=True)
        finally:
            connection.close()


INTERRUPTED = _("The job was interrupted %(n)s times (the server or worker stopped mid-way) and was given up; run "
                "it again or tell the administrator.")
RETRYING = _("Attempt %(n)s failed; it will be retried at %(at)s.")
GAVE_UP = _("Tried %(n)s times.")


def _final(exc: BaseException) -> bool:
    """Failures that another try cannot mend: the user's own (bad file, no permission, missing data)."""
    from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

    if isinstance(exc, UserError):  # told to the user in their words (user_message)
        return True
    return isinstance(exc, (JobError, PermissionDenied, ValidationError, ObjectDoesNotExist, KeyError))


def execute(job_id: int, echo=None) -> Job | None:
    """Claim and run one job from the queue (retry and recovery included). None if another worker has it."""
    if not _claim(job_id):
        return None
    job = Job.objects.get(pk=job_id)
    if job.attempts > max_attempts():
        _set(job, status=Job.Status.FAILED, **worded("error", Message(INTERRUPTED, n=job.attempts - 1), limit=10_000),
             lease_until=None,
             finished_at=timezone.now())
        discard_upload(job)
        return job
    lease = _Lease(job.pk)
    lease.start()
    _RUNNING.add(job.pk)
    try:
        return _run(job, echo, retry=True)
    finally:
        _RUNNING.discard(job.pk)
        lease.stopping.set()
        lease.join(5)
        # a parent waiting for its children holds no lease (a last renewal may have raced the wait)
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, result__has_key="waiting").update(lease_until=None)


_RUNNING: set[int] = set()  # jobs this process is running (released when its worker stops cleanly)


def release_running() -> int:
    """A worker stopping cleanly (Ctrl+C, SIGTERM) gives its running jobs back, without counting the attempt:
    queued and due now, so the next worker's ``recover()`` starts them at once instead of waiting for the lease
    to run out. (Not queued from here: this worker's other threads may still be taking work.)"""
    ids = list(_RUNNING)
    if not ids:
        return 0
    close_old_connections()
    with transaction.atomic():
        return Job.objects.filter(pk__in=ids, status=Job.Status.RUNNING).update(
            status=Job.Status.QUEUED, lease_until=timezone.now(), attempts=F("attempts") - 1)


def _run(job: Job, echo=None, retry: bool = False) -> Job:
    fn = _HANDLERS[job.kind]
    if job.status != Job.Status.RUNNING:
        _set(job, status=Job.Status.RUNNING, attempts=F("attempts") + 1)
        job.refresh_from_db()
    final = True
    result = None
    try:
        result = fn(job, Progress(job, echo)) or {}
    except _Waiting:  # a parent whose children run now (fan_out); the last of them queues it again
        final = False
    except Exception as exc:  # noqa: BLE001 - the user gets a clear message, staff the traceback (admin, log)
        log.exception("job %s (%s) failed (attempt %s)", job.pk, job.kind, job.attempts)
        detail = traceback.format_exc()[-20000:]
        if retry and not _final(exc) and job.attempts < max_attempts():
            final = False
            delay = retry_delay(job.attempts)
            at = timezone.localtime(timezone.now() + datetime.timedelta(seconds=delay))
            _set(job, status=Job.Status.QUEUED, **worded("message", Message(RETRYING, n=job.attempts,
                                                                         at=f"{at:%H:%M:%S}")),
                 error_detail=detail, lease_until=timezone.now() + datetime.timedelta(seconds=delay))
            enqueue(job.pk, job.kind, delay=delay)
        else:
            parts = [user_words(exc)]
            if retry and job.attempts > 1 and not _final(exc):
                parts.insert(0, Message(GAVE_UP, n=job.attempts))
            _set(job, status=Job.Status.FAILED, **worded("error", *parts, limit=10_000), error_detail=detail,
                 lease_until=None,
                 finished_at=timezone.now())
    else:
        _set(job, status=Job.Status.DONE, result=result, error="", lease_until=None, finished_at=timezone.now())
    finally:
        snapshot.close_side_connection()
        if final and not waits_for_choice(result):
            discard_upload(job)  # an import's upload never outlives its job, whatever happened
    if final and (job.params or {}).get("parent"):
        _child_finished(job.params["parent"])
    job.refresh_from_db()
    return job


def run_now(job: Job, echo=None) -> Job:
    """Run the job here and now (the CLI, ``background=False``): no queue, no retry; the caller sees the result.
    Its children (``fan_out``) run here too, one after the other."""
    token = _INLINE.set(True)
    try:
        return _run(job, echo, retry=False)
    finally:
        _INLINE.reset(token)


# ------------------------------------------------------------------------------ fan-out: a parent and its children

_INLINE = contextvars.ContextVar("ngoso_jobs_inline", default=False)

CHILDREN_FAILED = _("%(n)s of %(total)s %(noun)s failed: %(which)s. The others finished but were not put together; "
                    "run it again.")
TRIED = _("%(part)s (tried %(n)s times)")
WAITING = _("%(done)s of %(total)s %(noun)s done")
PARTS = _("parts")


def _noun_key(noun) -> str:
    """The msgid of ``noun`` (a lazy msgid), kept on the parent's row to be said again in each language."""
    with translation.override(None):
        return str(noun)


def _waiting(done: int, total: int, noun: str) -> dict:
    """The parent's progress line (``worded``); ``noun`` is a msgid (``_noun_key``)."""
    return worded("message", Message(WAITING, done=done, total=total, noun=lambda: translation.gettext(noun)))


class _Waiting(Exception):
    """Raised by ``fan_out`` in a parent job whose children are queued: the parent waits without a worker."""


def children(job: Job) -> list[Job]:
    return list(Job.objects.filter(params__parent=job.pk).order_by("pk"))


def fan_out(job: Job, kind: str, parts: list[dict], label: Callable[[Job], str] = lambda j: str(j.pk),
            noun=PARTS) -> list[Job]:
    """Split ``job`` into one child job of ``kind`` per entry of ``parts`` (its params; ``place_path`` in it
    sets the child's area) and return the children once every one is done; the handler then puts their
    results together. Called at the top of a parent's handler, which therefore runs twice:

    1. the first time it records the children and queues them (several workers take them at once); the parent
       stays *running* without a worker or a lease (``_Waiting``) and shows ``done/total`` as children finish;
    2. when the last child has finished (``_child_finished``) the parent is queued again; now ``fan_out``
       returns the children, all done — or raises a ``JobError`` naming the failed ones (``label``; ``noun``
       what a part is, a lazy msgid: ``_("communes")``) and how often each was tried (each is retried first as any
       job; its own error is on its row, its traceback in the admin).

    Run by ``run_now`` (the CLI, ``background=False``) the children run here one after the other."""
    noun = _noun_key(noun)
    kids = children(job)
    if not kids:
        with transaction.atomic():
            kids = [Job.objects.create(kind=kind, params={**p, "parent": job.pk}, created_by=job.created_by,
                                       place_path=p.get("place_path", job.place_path)) for p in parts]
        if _INLINE.get():
            for i, kid in enumerate(kids):
                _run(kid, retry=False)
                Job.objects.filter(pk=job.pk).update(done=i + 1, total=len(kids),
                                                     **_waiting(i + 1, len(kids), noun))
            kids = children(job)
    pending = [k for k in kids if k.status in (Job.Status.QUEUED, Job.Status.RUNNING)]
    if pending and not _INLINE.get():
        done = sum(k.status == Job.Status.DONE for k in kids)
        with transaction.atomic():
            Job.objects.filter(pk=job.pk).update(
                status=Job.Status.RUNNING, lease_until=None, done=done, total=len(kids),
                result={"waiting": len(pending), "noun": noun}, **_waiting(done, len(kids), noun))
        queued = [k.pk for k in pending if k.status == Job.Status.QUEUED and k.attempts == 0]
        transaction.on_commit(lambda: [enqueue(pk, kind) for pk in queued])
        raise _Waiting
    failed = [k for k in kids if k.status != Job.Status.DONE]
    if failed:
        def which() -> str:  # said in the message's language
            more = "; …" if len(failed) > 10 else ""
            return "; ".join(Message(TRIED, part=label(k), n=k.attempts).text() for k in failed[:10]) + more

        raise JobError(CHILDREN_FAILED, n=len(failed), total=len(kids), noun=lambda: translation.gettext(noun),
                       which=which)
    return kids


def _child_finished(parent_id: int) -> None:
    """A child is done or has failed for good: count it on its parent; the last one queues the parent again."""
    with transaction.atomic():
        parent = Job.objects.select_for_update().filter(pk=parent_id).first()
        if parent is None or parent.status != Job.Status.RUNNING or "waiting" not in (parent.result or {}):
            return  # run inline (run_now), or queued again already
        statuses = list(Job.objects.filter(params__parent=parent_id).values_list("status", flat=True))
        done = statuses.count(Job.Status.DONE)
        if any(st in (Job.Status.QUEUED, Job.Status.RUNNING) for st in statuses):
            noun = (parent.result or {}).get("noun")
            noun = noun if isinstance(noun, str) else _noun_key(PARTS)  # a list: queued before this version
            Job.objects.filter(pk=parent_id).update(done=done, total=len(statuses),
                                                    **_waiting(done, len(statuses), noun))
            return
        # its waiting run counted as an attempt; the putting together is the same job's next step, not a retry
        Job.objects.filter(pk=parent_id).update(status=Job.Status.QUEUED, lease_until=None, result={}, done=done,
                                                attempts=F("attempts") - 1)
        kind = parent.kind
    transaction.on_commit(lambda: enqueue(parent_id, kind))


def submit(kind: str, params: dict, user=None, place_path: str = "", background: bool = True, **fields) -> Job:
    """Record the job and queue it once the row is committed (so a worker never looks for a row it cannot see)."""
    job = Job.objects.create(kind=kind, params=params, created_by=user, place_path=place_path, **fields)
    if not background:
        return run_now(job)
    transaction.on_commit(lambda: enqueue(job.pk, kind))
    return job


def recover(now=None) -> int:
    """Queue again the jobs a worker left: running with their lease run out (the worker died), given back by a
    worker that stopped cleanly or due for a retry (queued with a due ``lease_until``), or queued long ago and
    never taken (a crash between the commit and the queue). First the messages a dead worker had taken but
    not yet claimed go back into the queue (``core/queue.py``; each live worker also does this every
    third of a lease, so such a job runs again within about a lease length, as one whose lease ran out does).
    Called when a worker starts and every minute. A job queued twice still runs once (``_claim``). Returns how
    many were queued again."""
    now = now or timezone.now()
    give_back = getattr(HUEY.storage, "give_back_dead", None)  # messages a dead worker had taken (core/queue.py)
    n = give_back() if give_back and not HUEY.immediate else 0
    lease = datetime.timedelta(seconds=lease_seconds())
    stale = Q(status=Job.Status.RUNNING, lease_until__lt=now)
    lost = Q(status=Job.Status.QUEUED) & (Q(lease_until__lte=now)
                                          | Q(lease_until__isnull=True, created_at__lt=now - 10 * lease))
    for pk, kind in Job.objects.filter(stale | lost).values_list("pk", "kind"):
        enqueue(pk, kind)
        n += 1
    if n:
        log.warning("requeued %s interrupted job(s)", n)
    return n


@handler("ping", permission="admin")
def _ping(job, progress):
    """Health check of the queue: a worker answers with its process and host (``ngoso worker --ping``)."""
    import socket

    return {"pid": os.getpid(), "host": socket.gethostname(), "at": timezone.now().isoformat()}


def ping(timeout: float = 30.0) -> dict | None:
    """Queue a ping and wait for a worker's answer: ``{"seconds", "pid", "host"}``, or None if none came."""
    t0 = time.monotonic()
    job = submit("ping", {})
    while time.monotonic() - t0 < timeout:
        job.refresh_from_db()
        if job.status == Job.Status.DONE:
            return {**job.result, "seconds": round(time.monotonic() - t0, 3)}
        time.sleep(0.05)
    return None


# ------------------------------------------------------------------------------ the schedule

_PERIODIC: dict[str, dict] = {}


def periodic(name: str, label: str, minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """Register ``fn()`` to run on a crontab (local time), e.g. ``@periodic("backup", "...", minute="0", hour="2")``.
    Each run is recorded in ``TaskRun`` (last run, result) and shown on the schedule page."""
    from huey import crontab

    cron = {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": day_of_week}

    def register(fn):
        def fire():
            close_old_connections()
            try:
                run_periodic(name)
            finally:
                close_old_connections()

        fire.__name__ = f"periodic_{name}"
        HUEY.periodic_task(crontab(**cron), name=f"ngoso.periodic.{name}")(fire)
        _PERIODIC[name] = {"name": name, "label": label, "cron": cron, "fn": fn}
        return fn

    return register


def run_periodic(name: str, now=None) -> TaskRun | None:
    """Run a periodic task for the minute ``now`` falls in, once: a second scheduler finds the slot taken."""
    from django.db import IntegrityError

    entry = _PERIODIC[name]
    slot = (now or timezone.now()).replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            run = TaskRun.objects.create(name=name, slot=slot)
    except IntegrityError:
        return None
    try:
        result = entry["fn"]() or {}
    except Exception as exc:  # noqa: BLE001 - recorded for the schedule page, traceback in the log
        log.exception("periodic task %s failed", name)
        with transaction.atomic():
            TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.FAILED, finished_at=timezone.now(),
                                                     error=user_message(exc) + "\n" + traceback.format_exc()[-4000:])
    else:
        with transaction.atomic():
            TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.DONE, finished_at=timezone.now(),
                                                     result=result if isinstance(result, dict) else {"result": result})
    run.refresh_from_db()
    return run


_ON_START: list[Callable] = []


def on_start(fn):
    """Register ``fn()`` to run once when ``ngoso serve`` starts, before any web process: work that must never
    fall to the first request (e.g. counters missing or of last year)."""
    _ON_START.append(fn)
    return fn


def run_on_start() -> None:
    for fn in _ON_START:
        fn()


def _values(spec: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for part in str(spec).split(","):
        step = 1
        if "/" in part:
            part, st = part.split("/")
            step = int(st)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a, b = (int(x) for x in part.split("-"))
        else:
            a = b = int(part)
        out.update(range(a, b + 1, step))
    return out


def next_run(cron: dict, after=None):
    """The next minute (aware, local zone) after ``after`` that the crontab fires (huey's semantics: day of
    week 0 = Sunday; day and day of week both must match). None if not within 400 days."""
    after = timezone.localtime(after or timezone.now()).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    minutes = sorted(_values(cron["minute"], 0, 59))
    hours = sorted(_values(cron["hour"], 0, 23))
    days, months = _values(cron["day"], 1, 31), _values(cron["month"], 1, 12)
    dows = {d % 7 for d in _values(cron["day_of_week"], 0, 6)}
    day = after.replace(hour=0, minute=0)
    for _attempt in range(400):
        if day.month in months and day.day in days and (day.isoweekday() % 7) in dows:
            for h in hours:
                for m in minutes:
                    t = day.replace(hour=h, minute=m)
                    if t >= after:
                        return t
        day = timezone.localtime(day + datetime.timedelta(days=1)).replace(hour=0, minute=0)
    return None


def schedule(now=None) -> list[dict]:
    """Every periodic task with its last run and next run, for the schedule page (and ``ngoso worker --list``)."""
    now = now or timezone.now()
    rows = []
    for name, entry in sorted(_PERIODIC.items()):
        last = TaskRun.objects.filter(name=name).order_by("-slot").first()
        rows.append({"name": name, "label": entry["label"], "cron": entry["cron"], "last": last,
                     "next": next_run(entry["cron"], now)})
    return rows


@periodic("recover_jobs", _("Requeue interrupted jobs"))
def _recover_jobs():
    return {"requeued": recover()}


@periodic("clean_up", _("Clean up expired and temporary files"), minute="17")
def _clean_up():
    return clean_up()


# ------------------------------------------------------------------------------ who may open a job, files

# Whether a user's area covers a place path: the accounts app's rule (``accounts.scope.can_see_path``),
# registered in its ``AppConfig.ready()`` (``area_check``); without it no job is opened inside an area.
_area_check: Callable | None = None


def area_check(fn: Callable) -> Callable:
    """Register ``fn(user, place_path) -> bool``: does the user's area cover the place at that path?"""
    global _area_check
    _area_check = fn
    return fn


def may_open(user, job: Job) -> bool:
    """May ``user`` see this job and download its file? The permission of its kind, still held, and the
    area (the registered ``area_check`` on the job's place); then either the user made the job, or the
    user's own area strictly contains the maker's (higher staff of that area, e.g. the province for a
    commune officer's export). A viewer, member or radio operator of the same commune never may."""
    if user is None or not user.is_authenticated:
        return False
    perm = KIND_PERMISSION.get(job.kind)
    if perm is None or not user.can(perm):
        return False
    if user.is_superuser and user.place_id is None:
        return True
    if user.place_id is None:
        return False
    if not job.place_path or _area_check is None or not _area_check(user, job.place_path):
        return False
    if job.created_by_id == user.pk:
        return True
    maker = job.created_by
    maker_area = maker.place.path if maker is not None and maker.place_id else (None if maker else job.place_path)
    mine = user.place.path  # paths end with "/": a strict prefix is a strictly larger area
    return maker_area is not None and maker_area != mine and maker_area.startswith(mine)


def keep_file(job: Job, name: str) -> None:
    """Record ``name`` (in the storage ``exports``) as the job's file, kept like an export (``export_ttl``): the
    job page offers it after ``may_open``, the clean-up deletes it when it expires."""
    with transaction.atomic():
        Job.objects.filter(pk=job.pk).update(file=name, expires_at=timezone.now() + export_ttl())


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
    from . import files

    now = now or timezone.now()
    if not job.file:
        return False
    path = job.file
    result = {**(job.result or {}), "file_dropped": reason}
    Job.objects.filter(pk=job.pk).update(file="", result=result, expires_at=min(job.expires_at or now, now))
    job.file, job.result = "", result
    if not _file_in_use(path, now):
        files.delete("exports", files.export_name(path))
    return True


def discard_upload(job: Job) -> None:
    """Delete the uploaded file an import job read (kept in the storage ``uploads`` only while it runs)."""
    from . import files

    name = upload_name((job.params or {}).get("path") or "")
    if name:
        files.delete("uploads", name)


def waits_for_choice(result) -> bool:
    """An import's preview asks the user to choose (people.import_duplicates): its upload stays for the next
    job, which runs with the choices (``people.review.import_choose``)."""
    return isinstance(result, dict) and bool(result.get("choose")) and not result.get("chosen")


def upload_name(path: str) -> str:
    """An import job's ``params["path"]`` as a name in storage ``uploads`` (older rows hold an absolute path
    under ``DATA_DIR/uploads``; anything else is not an upload of ours: "")."""
    from pathlib import Path

    if not path:
        return ""
    if os.path.isabs(path):
        p = Path(path)
        return p.name if p.resolve().parent == uploads_dir().resolve() else ""
    return path if "/" not in path and "\\" not in path and not path.startswith(".") else ""


def uploads_dir():
    from . import files

    return files.root("uploads")


def clean_up(now=None, grace_seconds: float = 600) -> dict:
    """Delete what must not stay stored: export files past their time, export files and uploads that no
    job refers to any more (a killed process, an interrupted import). Called when the server starts (with
    ``grace_seconds=0``: nothing runs yet) and by ``ngoso export --clean-up``; a schedule can call it too.
    Unreferenced files younger than ``grace_seconds`` are left: a running job may be about to record them."""
    from . import files

    now = now or timezone.now()
    out = {"expired": 0, "orphan_exports": 0, "orphan_uploads": 0}
    for job in Job.objects.filter(expires_at__lte=now).exclude(file=""):
        out["expired"] += drop_file(job, "expired", now)
    young = now - datetime.timedelta(seconds=grace_seconds)

    def stale(st, name) -> bool:
        if grace_seconds <= 0:
            return True
        try:
            return st.get_modified_time(name) < young
        except (OSError, NotImplementedError):
            return False

    st = files.storage("exports")
    kept = {files.export_name(f) for f in Job.objects.exclude(file="").values_list("file", flat=True)}
    for name in list(files.walk("exports")):
        if name not in kept and stale(st, name):
            files.delete("exports", name)
            out["orphan_exports"] += 1
    st = files.storage("uploads")
    live = {upload_name(str((j or {}).get("path") or "")) for j in Job.objects.filter(
        status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).values_list("params", flat=True)}
    # a preview waiting for the user's choice keeps its upload for a day
    live |= {upload_name(str((params or {}).get("path") or "")) for params, result in Job.objects.filter(
        kind="import_people", status=Job.Status.DONE, finished_at__gte=now - datetime.timedelta(days=1),
    ).values_list("params", "result") if waits_for_choice(result)}
    for name in list(files.walk("uploads")):
        if name not in live and stale(st, name):
            files.delete("uploads", name)
            out["orphan_uploads"] += 1
    return out


@periodic("backup", _("Nightly backup (keeps 7 daily, 4 weekly)"), minute="30", hour="2")
def _nightly_backup():
    from . import backup

    out = backup.make_backup()
    out["deleted"] = backup.rotate()
    if backup.is_offsite():
        out["deleted_stored"] = backup.rotate_stored()
    return out


@periodic("partitions", _("Make history partitions ahead, archive old play logs (PostgreSQL)"), minute="10",
          hour="1")
def _partitions():
    from . import partitions

    return {"created": partitions.ensure_all(),
            "archived": {t: [a["partition"] for a in done] for t, done in partitions.archive_all().items()}}
