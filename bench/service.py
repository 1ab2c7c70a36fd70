"""Service figures on the demo (``BENCH_SCALE``: commune by default, ``province`` for ≈450,000 households):

- the New Year as users see it: the first dashboard of 1 January after the schedule's midnight run (frozen
  clock, in process) against what the old in-request rebuild made that first user wait (the rebuild and the
  dashboard, timed together in the same run);
- ``ngoso backup`` and ``ngoso restore`` time and size.

    .venv/bin/python bench/service.py
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCALE = os.environ.get("BENCH_SCALE", "commune")
DATA = HERE / "out" / f"service-{SCALE}"


def env(data: Path) -> dict:
    e = dict(os.environ)
    e.update({"NGOSO_DATA_DIR": str(data), "PYTHONPATH": str(ROOT / "src")})
    e.pop("NGOSO_DATABASE_URL", None)
    e.pop("NGOSO_JOBS_IMMEDIATE", None)
    return e


def main() -> int:
    if not (DATA / "ngoso.sqlite3").exists():
        t = time.monotonic()
        subprocess.run([sys.executable, "-m", "ngoso", "demo", "--scale", SCALE, "--no-serve", "--reset"],
                       env=env(DATA), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"demo {SCALE} built in {time.monotonic() - t:.0f} s")
    os.environ.update(env(DATA))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    import django

    django.setup()
    from django.utils import timezone

    from ngoso.core import jobs
    from ngoso.insights import counters, dashboard
    from ngoso.insights.models import CounterState

    tz = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
    real_now = timezone.now
    clock = {"now": datetime.datetime(2026, 12, 31, 23, 59, tzinfo=tz)}
    timezone.now = lambda: clock["now"].astimezone(datetime.timezone.utc)
    from ngoso.people.models import Household

    place = Household.objects.select_related("village__parent__parent").first().village.parent.parent  # the province
    counters.rebuild(year=2026)  # 2026 counters in place
    # (a) the old way: the first request of the year rebuilt the counters inside it, then answered
    clock["now"] = datetime.datetime(2027, 1, 1, 0, 1, tzinfo=tz)
    t = time.perf_counter()
    counters.rebuild(year=2027)
    dashboard.dashboard(place)
    in_request = time.perf_counter() - t
    # (b) the schedule: back to last year's counters, the midnight run, then the first request
    CounterState.objects.all().delete()
    CounterState.objects.create(year=2026)
    clock["now"] = datetime.datetime(2027, 1, 1, 0, 0, tzinfo=tz)
    jobs.TaskRun.objects.filter(name="counters_new_year").delete()
    t = time.perf_counter()
    run = jobs.run_periodic("counters_new_year")
    scheduled_run = time.perf_counter() - t
    clock["now"] = datetime.datetime(2027, 1, 1, 0, 1, tzinfo=tz)
    t = time.perf_counter()
    dashboard.dashboard(place)
    first_after = time.perf_counter() - t
    timezone.now = real_now
    print(f"New Year, {place.name}: first dashboard with the rebuild in the request {in_request * 1000:.0f} ms; "
          f"the schedule's midnight run {scheduled_run:.1f} s ({run.status}); first dashboard after it "
          f"{first_after * 1000:.0f} ms")

    from django.db import connections

    connections.close_all()
    out = HERE / "out" / f"service-{SCALE}-backups"
    shutil.rmtree(out, ignore_errors=True)
    t = time.monotonic()
    subprocess.run([sys.executable, "-m", "ngoso", "backup", "--to", str(out)], env=env(DATA), check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    backup_s = time.monotonic() - t
    (file,) = out.glob("ngoso-*.tar")
    fresh = HERE / "out" / f"service-{SCALE}-restored"
    shutil.rmtree(fresh, ignore_errors=True)
    t = time.monotonic()
    subprocess.run([sys.executable, "-m", "ngoso", "restore", str(file)], env=env(fresh), check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    restore_s = time.monotonic() - t
    db = (DATA / "ngoso.sqlite3").stat().st_size
    print(f"backup: {backup_s:.1f} s, {file.stat().st_size / 1e6:.0f} MB (database {db / 1e6:.0f} MB); "
          f"restore: {restore_s:.1f} s (with the migrate check)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
