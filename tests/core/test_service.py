"""Running Ngõ Số as a service (issue 17): the durable queue with real worker processes (SQLite storage and a
real Redis), retries with back-off, the schedule, backup and restore while visits are synced."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.radio import radio_live as live

# ----------------------------------------------------------------------------- real workers


def _env(data, **extra):
    e = live.env(data)
    e.update({k: str(v) for k, v in extra.items()})
    return e


def _run(data, *args, **extra) -> str:
    p = subprocess.run([sys.executable, *args], env=_env(data, **extra), capture_output=True, text=True,
                       timeout=300, cwd=live.ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def _worker(data, log, **extra):
    return subprocess.Popen([sys.executable, "-m", "ngoso", "worker", "--threads", "2"], env=_env(data, **extra),
                            stdout=open(log, "a"), stderr=subprocess.STDOUT, cwd=live.ROOT)


def _jobs(data, **extra) -> dict[int, dict]:
    """The job rows, read straight from the data directory's SQLite file (no Django start-up per poll)."""
    import sqlite3

    con = sqlite3.connect(f"file:{data / 'ngoso.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute("SELECT id, kind, status, attempts, error, result, file, done FROM core_job").fetchall()
    finally:
        con.close()
    return {r[0]: {"id": r[0], "kind": r[1], "status": r[2], "attempts": r[3], "error": r[4],
                   "result": json.loads(r[5] or "{}"), "file": r[6], "done": r[7]} for r in rows}


def _submit(data, kind, n, **extra) -> list[int]:
    return json.loads(_run(data, "-m", "tests.core.service_live", "submit", kind, str(n), **extra).splitlines()[-1])


def _wait_running(data, pk, **extra):
    return live.wait_for(lambda: (lambda j: j if j["status"] == "running" and j["done"] > 0 else None)(
        _jobs(data, **extra)[pk]), 60, f"job {pk} running", interval=0.05)


def _queue_roundtrip(data, tmp_path, **queue_env):
    """Jobs queued by another process (as the web server does) run exactly once on two workers; a worker
    stopped with SIGTERM mid-export gives the job back (the attempt not counted); a worker killed with -9 loses
    nothing: the job's lease runs out and it runs again."""
    lease = {"NGOSO_JOB_LEASE_SECONDS": 2, **queue_env}
    _run(data, "-m", "tests.core.service_live", "setup", "12000", **lease)
    pings = _submit(data, "ping", 40, **lease)
    w1, w2 = _worker(data, tmp_path / "w1.log", **lease), _worker(data, tmp_path / "w2.log", **lease)
    workers = [w1, w2]
    try:
        live.wait_for(lambda: all(_jobs(data, **lease)[p]["status"] == "done" for p in pings), 60, "pings done")
        jobs = _jobs(data, **lease)
        assert [jobs[p]["attempts"] for p in pings] == [1] * 40  # each run once, though two workers took from the queue
        pids = {jobs[p]["result"]["pid"] for p in pings}
        assert pids <= {w1.pid, w2.pid}

        # a clean stop (SIGTERM, as ngoso serve sends on Ctrl+C) in the middle of an export
        w2.terminate()
        w2.wait(10)
        (export1,) = _submit(data, "export", 1, **lease)
        _wait_running(data, export1, **lease)
        w1.send_signal(signal.SIGTERM)
        assert w1.wait(15) == 0
        j = _jobs(data, **lease)[export1]
        assert j["status"] == "queued" and j["attempts"] == 0, j

        # kill -9 in the middle of the same export (now on a new worker)
        w3 = _worker(data, tmp_path / "w3.log", **lease)
        workers.append(w3)
        _wait_running(data, export1, **lease)
        w3.kill()
        w3.wait(10)
        assert _jobs(data, **lease)[export1]["status"] == "running"  # left behind by the dead worker
        time.sleep(2.5)  # its lease runs out
        w4 = _worker(data, tmp_path / "w4.log", **lease)
        workers.append(w4)
        done = live.wait_for(lambda: (lambda j: j if j["status"] in ("done", "failed") else None)(
            _jobs(data, **lease)[export1]), 120, "export after the kill")
        assert done["status"] == "done" and done["attempts"] == 2, done
        assert done["result"]["rows"] == 12000 and (data / "exports" / done["file"]).exists()  # storage "exports"
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()
                w.wait(15)


@pytest.mark.slow
def test_queue_with_sqlite_storage_survives_kill_9_and_runs_each_job_once(tmp_path):
    _queue_roundtrip(tmp_path / "d", tmp_path)
    assert (tmp_path / "d" / "queue.sqlite3").exists()  # the embedded default: in the data directory


@pytest.fixture
def redis_server(tmp_path):
    exe = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)
    if exe is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; make test installs it)")
    port = live.free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        live.wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.slow
def test_queue_on_a_real_redis_survives_kill_9_and_runs_each_job_once(tmp_path, redis_server):
    _queue_roundtrip(tmp_path / "d", tmp_path, NGOSO_REDIS_URL=redis_server)
    assert not (tmp_path / "d" / "queue.sqlite3").exists()  # the queue was Redis


@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_a_job_whose_message_a_killed_worker_took_but_had_not_claimed_runs_again_within_a_lease(
        tmp_path, request, queue):
    """A real worker takes a job's message from the queue and is killed with -9 before it claims the job (its
    claim waits for the database, which the test holds): the job is still queued, its message gone from the
    queue. A second worker runs it within about a lease length (as a job whose lease ran out), not after the
    database side's 10 lease lengths; and once: the message given back and the job claimed by one worker only."""
    import sqlite3

    data = tmp_path / "d"
    lease = 3
    env = {"NGOSO_JOB_LEASE_SECONDS": lease}
    if queue == "redis":
        import redis

        env["NGOSO_REDIS_URL"] = request.getfixturevalue("redis_server")
        r = redis.Redis.from_url(env["NGOSO_REDIS_URL"])

        def waiting() -> int:  # messages in the queue
            return sum(r.zcard(k) for k in r.keys("*") if r.type(k) == b"zset")

        def noted() -> int:  # messages noted as taken by some worker
            return sum(r.hlen(k) for k in r.keys("*.taken.*"))

        def drop_waiting() -> None:
            for k in r.keys("*"):
                if r.type(k) == b"zset":
                    r.delete(k)
    else:
        def _count(sql) -> int:
            con = sqlite3.connect(str(data / "queue.sqlite3"), timeout=30)
            try:
                return con.execute(sql).fetchone()[0]
            finally:
                con.close()

        def waiting() -> int:
            return _count("SELECT count(*) FROM task")

        def noted() -> int:
            return _count("SELECT count(*) FROM taken")

        def drop_waiting() -> None:
            con = sqlite3.connect(str(data / "queue.sqlite3"), timeout=30)
            with con:
                con.execute("DELETE FROM task")
            con.close()
    _run(data, "-m", "tests.core.service_live", "setup", "10", **env)
    drop_waiting()  # the setup's own messages (its counters' roll-up): the queue holds the ping's alone
    (ping,) = _submit(data, "ping", 1, **env)
    assert waiting() == 1  # the ping's message waits in the queue
    db = sqlite3.connect(str(data / "ngoso.sqlite3"), timeout=30, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")  # the database's writer is ours: the worker's claim waits
    w1 = _worker(data, tmp_path / "w1.log", **env)
    w2 = None
    try:
        live.wait_for(lambda: waiting() == 0, 60, "the worker takes the message", interval=0.02)
        time.sleep(0.3)
        w1.kill()  # -9, its claim still waiting
        w1.wait(10)
    finally:
        db.execute("ROLLBACK")
        db.close()
    j = _jobs(data, **env)[ping]
    assert j["status"] == "queued" and j["attempts"] == 0, j  # taken, not claimed: only the queue knew of it
    assert waiting() == 0
    t0 = time.monotonic()
    try:
        w2 = _worker(data, tmp_path / "w2.log", **env)
        done = live.wait_for(lambda: (lambda j: j if j["status"] == "done" else None)(_jobs(data, **env)[ping]),
                             120, "the ping after the kill", interval=0.1)
        took = time.monotonic() - t0
        print(f"{queue}: ran again {took:.1f} s after the second worker started")
    finally:
        if w2 is not None and w2.poll() is None:
            w2.terminate()
            w2.wait(15)
    assert done["attempts"] == 1 and done["result"]["pid"] == w2.pid, done  # run once, by the live worker
    # the dead worker's mark lasts one lease; live workers look every third of one (the database side alone
    # would wait 10 leases = 30 s, then the next minutely recovery)
    assert took < 8 * lease, took
    assert noted() == 0 and waiting() == 0  # nothing left noted or waiting


# ----------------------------------------------------------------------------- retries, messages (in process)

@pytest.mark.django_db(transaction=True)
def test_unexpected_failures_retry_with_back_off_then_end_in_a_clear_message(settings):
    from django.utils import timezone

    from ngoso.core import jobs
    from ngoso.core.models import Job

    settings.NGOSO_JOB_ATTEMPTS = 3
    settings.NGOSO_JOB_RETRY_SECONDS = 30
    calls = []

    @jobs.handler("test_flaky")
    def flaky(job, progress):
        calls.append(job.attempts)
        raise OSError("disk hiccup")

    try:
        job = jobs.submit("test_flaky", {})  # immediate mode: the first attempt runs at once
        job.refresh_from_db()
        assert job.status == "queued" and job.attempts == 1 and calls == [1]
        assert "Lần thử 1 gặp lỗi; sẽ tự thử lại lúc" in job.message and "disk hiccup" in job.error_detail
        wait = (job.lease_until - timezone.now()).total_seconds()
        assert 25 < wait <= 30  # back-off: 30 s, then 2 min
        assert jobs.execute(job.pk) is None and calls == [1]  # not before its time, even if delivered early
        Job.objects.filter(pk=job.pk).update(lease_until=timezone.now())
        jobs.execute(job.pk)
        job.refresh_from_db()
        assert job.attempts == 2 and 110 < (job.lease_until - timezone.now()).total_seconds() <= 120
        Job.objects.filter(pk=job.pk).update(lease_until=timezone.now())
        job = jobs.execute(job.pk)
        assert job.status == "failed" and calls == [1, 2, 3]
        assert job.error.startswith("Đã thử 3 lần. / Tried 3 times. ") and jobs.UNEXPECTED in job.error
        assert "Traceback" not in job.error
        assert jobs.execute(job.pk) is None  # a late duplicate delivery does nothing
    finally:
        jobs._HANDLERS.pop("test_flaky", None)


@pytest.mark.django_db(transaction=True)
def test_a_users_error_is_not_retried(users, area):
    from ngoso.core import jobs

    @jobs.handler("test_bad_file")
    def bad(job, progress):
        from django.utils.translation import gettext_lazy

        raise jobs.JobError(gettext_lazy("The file has no name column"))  # one msgid, stored in vi and en

    try:
        job = jobs.submit("test_bad_file", {})
        job.refresh_from_db()
        assert job.status == "failed" and job.attempts == 1 and job.error.startswith("Tệp thiếu cột Họ tên")
    finally:
        jobs._HANDLERS.pop("test_bad_file", None)


@pytest.mark.django_db(transaction=True)
def test_a_jobs_words_are_said_in_the_readers_language(users, area, client):
    """The job page, its status and the API say a job's progress and its failure in the reader's language
    only (they said "Đang kiểm tra / validating" to everyone); the stored column keeps both for the admin."""
    from django.utils.translation import gettext_lazy

    from ngoso.api.v1 import job_out
    from ngoso.core import jobs, snapshot
    from ngoso.core.models import Job

    job = Job.objects.create(kind="import_people", status="running", created_by=users.commune_a,
                             place_path=area.a.path)
    with snapshot.read_snapshot():  # an import's progress is written beside its reads' snapshot
        jobs.Progress(job)(3, 10, gettext_lazy("validating"))
    job.refresh_from_db()
    assert job.message == "Đang kiểm tra / validating"
    client.force_login(users.commune_a)

    def seen(lang: str) -> tuple[str, dict]:
        client.cookies["django_language"] = lang
        page = client.get(job.get_absolute_url()).content.decode()
        return page, client.get(f"/jobs/{job.token}/status.json").json()

    page, status = seen("vi")
    assert "Đang kiểm tra" in page and "validating" not in page and status["message"] == "Đang kiểm tra"
    page, status = seen("en")
    assert "validating" in page and "Đang kiểm tra" not in page and status["message"] == "validating"
    jobs.Progress(job)(10, 10, "Thôn Đồng Bụt")  # plain text (a place's name) is said as it is
    job.refresh_from_db()
    assert job.said == {} and seen("en")[1]["message"] == "Thôn Đồng Bụt"

    @jobs.handler("test_words", permission="import")
    def bad(job, progress):
        progress(1, 2, gettext_lazy("writing"))
        raise jobs.JobError(gettext_lazy("The file has no name column"))

    try:
        job = jobs.submit("test_words", {}, user=users.commune_a, place_path=area.a.path)
        job.refresh_from_db()
        assert job.status == "failed" and job.error.startswith("Tệp thiếu cột Họ tên") and " / " in job.error
        vi, en = seen("vi")[0], seen("en")[0]
        assert "Tệp thiếu cột Họ tên" in vi and job.text("error", "en") not in vi
        assert job.text("error", "en") in en and "Tệp thiếu cột Họ tên" not in en
        from django.utils import translation

        with translation.override("en"):
            assert job_out(job)["error"] == job.text("error", "en")
    finally:
        jobs._HANDLERS.pop("test_words", None)
        jobs.KIND_PERMISSION.pop("test_words", None)


@pytest.mark.django_db(transaction=True)
def test_a_job_left_running_by_a_dead_worker_is_requeued_and_given_up_after_the_attempts(settings):
    from django.utils import timezone

    from ngoso.core import jobs
    from ngoso.core.models import Job

    settings.NGOSO_JOB_ATTEMPTS = 2
    past = timezone.now() - datetime.timedelta(seconds=5)
    alive = Job.objects.create(kind="ping", status="running", attempts=1,
                               lease_until=timezone.now() + datetime.timedelta(seconds=60))
    dead = Job.objects.create(kind="ping", status="running", attempts=1, lease_until=past)
    hopeless = Job.objects.create(kind="ping", status="running", attempts=2, lease_until=past)
    assert jobs.recover() == 2  # immediate mode: requeued and run now
    for j in (alive, dead, hopeless):
        j.refresh_from_db()
    assert alive.status == "running"  # its worker is alive: never taken from it
    assert dead.status == "done" and dead.attempts == 2 and dead.result["pid"] == os.getpid()
    assert hopeless.status == "failed" and "bị gián đoạn 2 lần" in hopeless.error


# ----------------------------------------------------------------------------- the schedule

@pytest.mark.django_db(transaction=True)
def test_a_periodic_task_runs_once_per_slot_and_records_its_result():
    from django.utils import timezone

    from ngoso.core import jobs
    from ngoso.core.models import TaskRun

    now = timezone.now().replace(second=0, microsecond=0)  # + 1 s stays in this minute (not so at :59)
    first = jobs.run_periodic("recover_jobs", now)
    assert first.status == "done" and first.result == {"requeued": 0}
    assert jobs.run_periodic("recover_jobs", now + datetime.timedelta(seconds=1)) is None  # same minute: a 2nd scheduler
    assert TaskRun.objects.filter(name="recover_jobs").count() == 1
    names = {r["name"] for r in jobs.schedule()}
    assert {"radio_check", "backup", "clean_up", "recover_jobs"} <= names


def test_next_run_follows_the_crontab_in_local_time():
    import zoneinfo

    from ngoso.core import jobs

    tz = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    eve = datetime.datetime(2026, 12, 31, 23, 59, 10, tzinfo=tz)
    assert jobs.next_run({"minute": "30", "hour": "2", "day": "*", "month": "*", "day_of_week": "*"}, eve) == \
        datetime.datetime(2027, 1, 1, 2, 30, tzinfo=tz)
    assert jobs.next_run({"minute": "0", "hour": "0", "day": "1", "month": "1", "day_of_week": "*"}, eve) == \
        datetime.datetime(2027, 1, 1, 0, 0, tzinfo=tz)
    assert jobs.next_run({"minute": "*", "hour": "*", "day": "*", "month": "*", "day_of_week": "*"}, eve) == \
        datetime.datetime(2027, 1, 1, 0, 0, tzinfo=tz)
    # Sunday is 0 (huey's crontab); 6 December 2026 is a Sunday
    assert jobs.next_run({"minute": "0", "hour": "3", "day": "*", "month": "*", "day_of_week": "0"},
                         datetime.datetime(2026, 12, 5, 12, 0, tzinfo=tz)) == datetime.datetime(2026, 12, 6, 3, 0, tzinfo=tz)


def test_schedule_page_is_for_province_staff(users, login, client):
    from ngoso.core import jobs

    jobs.run_periodic("recover_jobs")
    page = login(users.province).get("/schedule/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Lịch chạy định kỳ" in html and "Sao lưu hằng đêm" in html and "Đưa lại vào hàng đợi" in html
    for u in (users.commune_a, users.radio, users.viewer):
        client.logout()
        assert login(u).get("/schedule/").status_code == 403


# ----------------------------------------------------------------------------- backup and restore

@pytest.mark.django_db(transaction=True)
def test_backup_while_visits_sync_restores_every_visit_acknowledged_before_it(people, users, team, area, tmp_path,  # noqa: F811
                                                                               settings):
    from django.db import connection

    from ngoso.core import backup
    from ngoso.sync import services as sync
    from ngoso.sync.models import DeviceToken

    if connection.vendor != "sqlite":
        pytest.skip("restores into a fresh SQLite data directory; the PostgreSQL dump is the same command's other path")
    photo = settings.MEDIA_ROOT / "test-backup" / "anh.jpg"
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(os.urandom(5000))
    dev, _ = DeviceToken.issue(users.member, "Redmi 9A")
    stop, acked, errors = threading.Event(), [], []

    def phone():
        try:
            while not stop.is_set():
                rec = {"type": "visit", "uuid": str(uuid.uuid4()), "household": "H1",
                       "visited_on": datetime.date.today().isoformat(), "present": [str(people.r1.uuid)],
                       "results": [{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 2}]}
                out = sync.push(dev, {"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                      "records": [rec]})
                if out["counts"]["created"] == 1:
                    acked.append((time.monotonic(), rec["uuid"]))
                time.sleep(0.002)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    t = threading.Thread(target=phone)
    t.start()
    def wait_for(n):  # counts, not sleeps: a loaded machine syncs slowly, never too few
        deadline = time.monotonic() + 120
        while len(acked) < n and not errors and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)

    try:
        wait_for(6)
        started = time.monotonic()
        out = backup.make_backup(tmp_path / "backups")
        wait_for(len(acked) + 2)  # syncs go on after the backup started
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors
    before = {u for at, u in acked if at < started}
    assert len(before) > 5 and len(acked) > len(before)  # syncs went on during the backup
    backup.verify(out["file"])

    fresh = tmp_path / "fresh"
    _run(fresh, "-m", "ngoso", "restore", out["file"])
    got = json.loads(_run(fresh, "-c", "import json; from ngoso.cli import setup_django; setup_django(); "
                                       "from ngoso.visits.models import Visit; "
                                       "print(json.dumps([str(u) for u in Visit.objects.values_list('uuid', flat=True)]))"
                          ).splitlines()[-1])
    assert before <= set(got)
    assert (fresh / "media" / "test-backup" / "anh.jpg").read_bytes() == photo.read_bytes()
    # a second restore is refused: the target is no longer empty
    p = subprocess.run([sys.executable, "-m", "ngoso", "restore", out["file"]], env=_env(fresh), capture_output=True,
                       text=True, cwd=live.ROOT)
    assert p.returncode == 2 and "không trống" in p.stderr + p.stdout


def test_a_damaged_backup_is_refused_before_anything_is_written(tmp_path):
    import tarfile

    from ngoso.core import backup

    good = tmp_path / "ngoso-20261205-020000.tar"
    with tarfile.open(good, "w") as tar:
        for name, data in (("db.sqlite3", b"x" * 10), ("data/media/a.jpg", b"photo")):
            p = tmp_path / "src" / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            tar.add(p, arcname=name)
        import hashlib
        import io

        m = {"format": 1, "created_at": "2026-12-05T02:00:00+07:00", "database": "sqlite", "db_file": "db.sqlite3",
             "files": {"db.sqlite3": {"sha256": hashlib.sha256(b"x" * 10).hexdigest(), "size": 10},
                       "data/media/a.jpg": {"sha256": hashlib.sha256(b"PHOTO").hexdigest(), "size": 5}}}
        raw = json.dumps(m).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    with pytest.raises(backup.BackupError, match="data/media/a.jpg bị hỏng"):
        backup.verify(good)


def test_rotation_keeps_seven_daily_and_four_weekly(tmp_path):
    from ngoso.core import backup

    start = datetime.datetime(2026, 10, 1, 2, 30)
    names = []
    for d in range(60):  # two months of nightly backups, and a manual one on the last day
        t = start + datetime.timedelta(days=d)
        names.append(f"ngoso-{t:%Y%m%d-%H%M%S}.tar")
    names.append("ngoso-20261129-150000.tar")
    for n in names:
        (tmp_path / n).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("keep me")
    deleted = backup.rotate(tmp_path)
    left = sorted(p.name for p in tmp_path.glob("ngoso-*.tar"))
    assert len(left) == len(names) - len(deleted)
    # the newest of each of the last 7 days, plus the newest of each of 4 weeks (some are the same file)
    assert "ngoso-20261129-150000.tar" in left and "ngoso-20261129-023000.tar" not in left
    assert {n[6:14] for n in left} >= {"20261123", "20261124", "20261125", "20261126", "20261127", "20261128",
                                        "20261129"}
    assert "ngoso-20261108-023000.tar" in left  # Sunday of an older week: the newest of its week
    assert len(left) == 7 + 3 and (tmp_path / "notes.txt").exists()


# ----------------------------------------------------------------------------- the new year (frozen clock)

@pytest.mark.django_db(transaction=True)
def test_new_year_counters_are_rebuilt_by_the_schedule_not_by_a_request(people, area, monkeypatch):
    """31 December 23:59 -> 1 January 00:01 on a frozen clock: the schedule's midnight run rebuilds the
    counters with the new ages, the first dashboard read of the year rebuilds nothing, and its figures equal a
    full recount (insights.counters: the schedule runs prepare_year, reading never writes)."""
    import zoneinfo

    from django.utils import timezone

    from ngoso.core import jobs
    from ngoso.people.models import Resident
    from ngoso.insights import counters as indicators

    tz = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    clock = {"now": datetime.datetime(2026, 12, 31, 23, 59, tzinfo=tz)}
    monkeypatch.setattr(timezone, "now", lambda: clock["now"].astimezone(datetime.timezone.utc))
    Resident.objects.filter(pk=people.r4.pk).update(birth_year=1967)  # 59 in 2026, 60 (elderly) in 2027
    indicators.rebuild()
    old = indicators.counters(area.b)
    assert jobs.next_run(jobs._PERIODIC["counters_new_year"]["cron"], clock["now"]) == \
        datetime.datetime(2027, 1, 1, 0, 0, tzinfo=tz)

    clock["now"] = datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=tz)
    run = jobs.run_periodic("counters_new_year")
    assert run.status == "done" and run.result["year"] == 2027, run.error

    clock["now"] = datetime.datetime(2027, 1, 1, 0, 1, tzinfo=tz)
    rebuilt = []
    real = indicators.rebuild
    monkeypatch.setattr(indicators, "rebuild", lambda *a, **k: rebuilt.append(1) or real(*a, **k))
    new = indicators.counters(area.b)
    assert rebuilt == []  # the first read of the year rebuilt nothing
    assert new != old  # the new ages are in
    monkeypatch.setattr(indicators, "rebuild", real)
    indicators.rebuild()
    assert indicators.counters(area.b) == new  # equals a full recount


# ----------------------------------------------------------------------------- two servers, one PostgreSQL

@pytest.fixture
def live_postgres_url(db):
    """A database of its own for server processes (the suite's test database stays the suite's)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("two server processes share one PostgreSQL: this runs in `make test-postgres`")
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_live{os.getpid()}"
    params = {"host": s.get("HOST") or "127.0.0.1", "port": s.get("PORT") or 5432, "user": s["USER"],
              "password": s.get("PASSWORD") or "", "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**params) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{params['user']}:{params['password']}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(**params) as c:
            _drop_database(c, name)


def _drop_database(conn, name):
    """Drop a database the test made, even while autovacuum works in it (a restore's ANALYZE wakes it up).
    WITH (FORCE) needs pg_signal_backend for a worker that is not our role's (.ci/postgres.sh grants it); without
    it, a plain DROP stops autovacuum itself and waits for the test's own connections, which are closing."""
    import psycopg

    try:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    except psycopg.errors.InsufficientPrivilege:
        pass
    for attempt in range(20):
        try:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            if attempt == 19:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_two_servers_share_jobs_emergencies_and_sync(tmp_path, redis_server, live_postgres_url):
    """Two `ngoso serve --workers 2` (gunicorn) against one PostgreSQL and one Redis: jobs queued through one
    server's web API run once each (whichever server's worker takes them); an emergency sent from one server's
    emergency page reaches a loudspeaker waiting on the other server; four devices syncing through both servers
    (each batch sent again to the other one, as a phone retrying after a timeout) store every visit exactly once."""
    import urllib.request

    from tests.core.service_live import WebSession

    data = tmp_path / "d"
    env = {"NGOSO_DATABASE_URL": live_postgres_url, "NGOSO_REDIS_URL": redis_server}
    info = json.loads(_run(data, "-m", "tests.core.service_live", "setup", "5", **env).splitlines()[-1])
    sync_info = json.loads(_run(data, "-m", "tests.core.service_live", "sync-setup", "4", **env).splitlines()[-1])
    ports = [(live.free_port(), live.free_port()) for _ in range(2)]
    servers = [subprocess.Popen([sys.executable, "-m", "ngoso", "serve", "--demo", "--port", str(p), "--push-port",
                                 str(q), "--workers", "2", "--threads", "4"], env=_env(data, **env),
                                stdout=open(tmp_path / f"server{i}.log", "w"), stderr=subprocess.STDOUT, cwd=live.ROOT)
               for i, (p, q) in enumerate(ports)]
    cache = tmp_path / "cache-A1"
    speaker = None
    try:
        for p, q in ports:
            live.wait_port(p, 60)
            live.wait_port(q, 60)
        speaker = subprocess.Popen([sys.executable, "-m", "ngoso", "speaker", "--server", f"http://127.0.0.1:{ports[1][0]}",
                                    "--token", info["tokens"]["A1"], "--cache", str(cache), "--quiet"],
                                   env=_env(data, **env), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                   cwd=live.ROOT)
        log = cache / "speaker.log"
        live.wait_for(lambda: log.exists() and "PROGRAMME" in log.read_text("utf-8"), 30, "speaker on server 2")
        time.sleep(1.0)  # its long poll is waiting on server 2's push channel
        officer = WebSession(f"http://127.0.0.1:{ports[0][0]}", "xa_a")  # at server 1's emergency page
        where, page = officer.post_form("/radio/emergency/", {"title": "Cháy rừng", "text": "Cháy rừng ở đồi thông.",
                                                              "targets": "07351", "repeat": "1", "confirm": "1"})
        sent = time.monotonic()
        assert "/radio/emergency/" in where and where.rstrip("/").split("/")[-1].isdigit(), (where, page[-2000:])
        live.wait_for(lambda: "EMERGENCY RECEIVED" in log.read_text("utf-8"), 10, "emergency on the other server")
        assert time.monotonic() - sent < 5

        province = WebSession(f"http://127.0.0.1:{ports[0][0]}", "tinh")  # jobs queued through server 1's API
        tokens = []
        for _ in range(40):
            status, body = province.post_json("/api/v1/jobs/ping")
            assert status == 202 and body["status"] == "queued", body
            tokens.append(body["token"])

        def push(port, token, records):
            body = json.dumps({"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                               "records": records}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/sync/push", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {token}",
                                                  "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read())

        sent_uuids, errors = [], []

        def device(i, token):
            try:
                for b in range(10):
                    recs = [{"type": "visit", "uuid": str(uuid.uuid4()), "household": sync_info["household"],
                             "visited_on": datetime.date.today().isoformat(), "present": [sync_info["resident"]],
                             "results": [{"resident": sync_info["resident"], "skill": "zalo-messaging", "level": 2}]}
                            for _ in range(4)]
                    push(ports[(i + b) % 2][0], token, recs)
                    push(ports[(i + b + 1) % 2][0], token, recs)  # the same batch again, to the other server
                    sent_uuids.extend(r["uuid"] for r in recs)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))

        threads = [threading.Thread(target=device, args=(i, t)) for i, t in enumerate(sync_info["tokens"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert not errors, errors
        stored = json.loads(_run(data, "-m", "tests.core.service_live", "visits", **env).splitlines()[-1])
        assert len(sent_uuids) == 160 and sorted(stored) == sorted(sent_uuids)  # every visit exactly once

        def all_done():
            out = json.loads(_run(data, "-m", "tests.core.service_live", "jobs", **env).splitlines()[-1])
            rows = [j for j in out if j["kind"] == "ping"]
            return rows if len(rows) == 40 and all(j["status"] == "done" for j in rows) else None

        rows = live.wait_for(all_done, 60, "pings on two servers' workers")
        assert [j["attempts"] for j in rows] == [1] * 40  # each run once
        other = WebSession(f"http://127.0.0.1:{ports[1][0]}", "tinh")  # the job's page answers on either server
        assert all(json.loads(other.web.open(f"{other.base}/api/v1/jobs/{t}", timeout=60).read())["status"] == "done"
                   for t in tokens[:5])
    finally:
        if speaker is not None:
            speaker.terminate()
            speaker.wait(10)
        for s in servers:
            s.terminate()
        for s in servers:
            assert s.wait(30) == 0  # a clean stop of every child


@pytest.mark.slow
def test_postgresql_backup_restores_onto_a_fresh_database(tmp_path, live_postgres_url):
    """pg_dump (custom format) plus the files, restored by `ngoso restore` into an empty database and data
    directory; a second restore is refused."""
    import psycopg

    src = tmp_path / "src"
    env = {"NGOSO_DATABASE_URL": live_postgres_url}
    _run(src, "-m", "tests.core.service_live", "setup", "50", **env)
    (src / "media" / "p").mkdir(parents=True)
    (src / "media" / "p" / "anh.jpg").write_bytes(b"\xff\xd8 photo")
    out = _run(src, "-m", "ngoso", "backup", "--to", str(tmp_path / "b"), **env)
    assert "Đã sao lưu" in out
    (file,) = (tmp_path / "b").glob("ngoso-*.tar")
    base, name = live_postgres_url.rsplit("/", 1)
    target = f"{name}_restore"
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    try:
        admin.execute(f'CREATE DATABASE "{target}"')
        fresh, env2 = tmp_path / "fresh", {"NGOSO_DATABASE_URL": f"{base}/{target}"}
        _run(fresh, "-m", "ngoso", "restore", str(file), **env2)
        n = _run(fresh, "-c", "from ngoso.cli import setup_django; setup_django(); "
                              "from ngoso.people.models import Household; print(Household.objects.count())", **env2)
        assert n.strip().splitlines()[-1] == "50"
        assert (fresh / "media" / "p" / "anh.jpg").read_bytes() == b"\xff\xd8 photo"
        p = subprocess.run([sys.executable, "-m", "ngoso", "restore", str(file)], env=_env(fresh, **env2),
                           capture_output=True, text=True, cwd=live.ROOT)
        assert p.returncode == 2 and "không trống" in p.stderr + p.stdout
    finally:
        _drop_database(admin, target)
        admin.close()


# ----------------------------------------------------------------------------- files made by the queue (handouts,
# read-aloud, radio reports): queued through the API, recovered after a dead worker

def test_api_queues_a_radio_report_and_shows_its_job(login, users, area, settings, tmp_path,
                                                     django_capture_on_commit_callbacks):
    from ngoso.core import jobs
    from ngoso.core.models import Job

    settings.EXPORT_ROOT = tmp_path
    c = login(users.commune_a)
    with django_capture_on_commit_callbacks() as queued:
        r = c.post("/api/v1/radio/reports", {"place": area.a.code, "year": 2026, "month": 11},
                   content_type="application/json")
    assert r.status_code == 202 and len(queued) == 1, r.content
    body = r.json()
    job = Job.objects.get(token=body["token"])
    assert body["status"] == "queued" and body["page"] == f"/jobs/{job.token}/" and body["download"] is None
    jobs.run_now(job)  # as a worker runs it
    done = c.get(f"/api/v1/jobs/{job.token}").json()
    assert done["status"] == "done" and done["percent"] == 100 and done["download"] == f"/jobs/{job.token}/download/"
    assert b"".join(c.get(done["download"]).streaming_content).startswith(b"%PDF")
    # another commune's staff: neither queues for A nor sees A's job; bad input is told and queues nothing
    b = login(users.commune_b)
    assert b.get(f"/api/v1/jobs/{job.token}").status_code == 404
    r = b.post("/api/v1/radio/reports", {"place": area.a.code, "year": 2026, "month": 11},
               content_type="application/json")
    assert r.status_code == 400 and area.a.code in r.json()["message"]
    a = login(users.commune_a)
    r = a.post("/api/v1/radio/reports", {"place": area.a.code, "year": 2026, "month": 13},
               content_type="application/json")
    assert r.status_code == 400 and "1 đến 12" in r.json()["message"]
    assert login(users.viewer).post("/api/v1/radio/reports", {"year": 2026}, content_type="application/json"
                                    ).status_code == 403
    assert Job.objects.filter(kind="radio_report").count() == 1
    schema = a.get("/api/v1/openapi.json").json()
    assert {"/api/v1/radio/reports", "/api/v1/jobs/{token}", "/api/v1/jobs/ping"} <= set(schema["paths"])


def test_api_ping_checks_the_queue_for_province_staff(login, users, django_capture_on_commit_callbacks):
    from ngoso.core import jobs
    from ngoso.core.models import Job

    c = login(users.province)
    with django_capture_on_commit_callbacks():
        r = c.post("/api/v1/jobs/ping")
    assert r.status_code == 202
    job = jobs.run_now(Job.objects.get(token=r.json()["token"]))
    answer = c.get(f"/api/v1/jobs/{job.token}").json()
    assert answer["status"] == "done" and answer["kind"] == "ping"
    assert login(users.commune_a).post("/api/v1/jobs/ping").status_code == 403
    assert login(users.commune_a).get(f"/api/v1/jobs/{job.token}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_handout_or_report_left_by_a_dead_worker_is_made_again(users, area, settings, tmp_path, monkeypatch):
    """A worker killed mid-render leaves the job running with a lease that runs out and a half-written file: the
    next worker's recovery renders it again from the start, and the page then serves it."""
    from django.test import Client
    from django.utils import timezone

    from ngoso.core import files, jobs
    from ngoso.core.models import Job
    from ngoso.lessons import services as L

    settings.DATA_DIR, settings.EXPORT_ROOT = tmp_path, tmp_path / "exports"
    base = "http://testserver"
    c, staff = Client(), Client()
    staff.force_login(users.commune_a)
    taken = []
    monkeypatch.setattr(jobs, "enqueue", lambda pk, kind="", delay=0: taken.append(pk))  # a worker takes each...
    assert c.get("/lessons/online-shopping/handout.pdf").status_code == 202
    assert c.get("/lessons/maps-directions/audio/standard/2.ogg").status_code == 202
    assert staff.get(f"/radio/reports/download/?place={area.a.code}&year=2026&month=11&format=pdf").status_code == 302
    assert len(taken) == 3
    # ...and is killed mid-render: each job left running, its lease run out, a half-written file beside the cache
    Job.objects.filter(pk__in=taken).update(status="running", attempts=1,
                                            lease_until=timezone.now() - datetime.timedelta(seconds=5))
    handout, audio, report = (Job.objects.get(pk=pk) for pk in taken)
    name, _shown, _url = L.handout_target("online-shopping", "standard", "vi", "A5", base)
    target = files.root("cache") / name
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / f".{target.name}.x.part").write_bytes(b"%PDF-half")  # what the dead worker left
    assert c.get("/lessons/online-shopping/handout.pdf").status_code == 202  # not made yet: the same job waits
    assert Job.objects.filter(kind="lesson_handout").count() == 1 and len(taken) == 3
    monkeypatch.undo()
    assert jobs.recover() == 3  # immediate mode: requeued and run now
    for j in (handout, audio, report):
        j.refresh_from_db()
        assert j.status == "done" and j.attempts == 2, (j.kind, j.error)
    assert target.read_bytes().startswith(b"%PDF") and target.stat().st_size > 1000
    r = c.get("/lessons/online-shopping/handout.pdf")
    assert r.status_code == 200 and r.content == target.read_bytes()
    assert files.read("cache", L.audio_target("maps-directions", "standard", "2")[0])[:4] == b"OggS"
    assert report.file.endswith(".pdf") and files.read("exports", report.file)[:4] == b"%PDF"


def test_schedule_page_is_in_the_province_staffs_menu(users, login, client):
    """Before: /schedule/ was linked from nowhere (province staff had to know the address; the sweeps never
    reached it)."""
    page = login(users.province).get("/", follow=True).content.decode()
    assert 'href="/schedule/"' in page and "Lịch chạy định kỳ" in page
    for u in (users.commune_a, users.radio, users.viewer):
        client.logout()
        assert 'href="/schedule/"' not in login(u).get("/", follow=True).content.decode()


def test_schedule_page_says_a_task_never_run_in_words_of_a_task(users, login):
    """Before: a task not run yet read "chưa làm được" ("cannot do yet", the skill level's words) under "Last
    run", as on the commune demo."""
    html = login(users.province).get("/schedule/").content.decode()
    assert "chưa chạy lần nào" in html and "chưa làm được" not in html

