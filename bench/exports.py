"""Export of an area larger than a commune: the old single XLSX vs one XLSX per commune made by the queue's
child jobs (``core.jobs.fan_out``) and zipped, with 1 and 2 worker processes. Time (submit -> file ready) and
peak memory (the largest resident set of the process doing the work: the exporting process, or the worker
processes), on a synthetic province built here (SQLite, the data directory under ``bench/out/exports``).

    python bench/exports.py [--communes 10] [--households 4000]     # 4 residents per household

Prints one JSON line per variant and the ratios new / old.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DATA = OUT / "exports"

BUILD = """
import sys
from ngoso.cli import setup_django
setup_django()
from ngoso.accounts.models import Role, User
from ngoso.people.models import Ethnicity, Household, Resident
from ngoso.places.models import Place, PlaceType
from ngoso.places.services import REFORM_DATE, add_village
communes, households = int(sys.argv[1]), int(sys.argv[2])
t = {x.code: x for x in PlaceType.objects.all()}
province = Place.objects.create(code="99", official_code="99", name="Tỉnh Thử", short_name="Thử", type=t["tinh"],
                                valid_from=REFORM_DATE)
kinh = Ethnicity.objects.get(code="01")
for c in range(communes):
    commune = Place.objects.create(code=f"99{c:03d}", official_code=f"99{c:03d}", name=f"Xã Thử {c}",
                                   short_name=f"Thử {c}", type=t["xa"], parent=province, valid_from=REFORM_DATE)
    village = add_village(commune, "Thôn Một")
    hh = Household.objects.bulk_create([Household(code=f"C{c}H{i}", village=village, house_number=str(i),
                                                   address=f"Số {i}, Thôn Một") for i in range(households)],
                                       batch_size=2000)
    Resident.objects.bulk_create([Resident(household=h, full_name=f"Nguyễn Văn {h.code} {k}", birth_year=1950 + k * 9,
                                           sex="male" if k % 2 else "female", ethnicity=kinh,
                                           relation="head" if k == 0 else "child") for h in hh for k in range(4)],
                                 batch_size=5000)
u = User(username="tinh", role=Role.PROVINCE_ADMIN, place=province, is_staff=True)
u.set_password("bench-password-123")
u.save()
print(Resident.objects.count())
"""

OLD = """
import resource, sys, time
from pathlib import Path
from ngoso.cli import setup_django
setup_django()
from ngoso.accounts.models import User
from ngoso.people.io import export_people
from ngoso.places.models import Place
user = User.objects.get(username="tinh")
t0 = time.monotonic()
n = export_people(Place.objects.get(code="99"), user, Path(sys.argv[1]))
print(n, round(time.monotonic() - t0, 2), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

SUBMIT = """
from ngoso.cli import setup_django
setup_django()
from ngoso.accounts.models import User
from ngoso.core import jobs
user = User.objects.get(username="tinh")
job = jobs.submit("export_people", {"place": "99", "user_id": user.pk}, user=user, place_path=user.place.path)
print(job.pk)
"""


def env(**extra) -> dict:
    e = dict(os.environ)
    e.update({"NGOSO_DATA_DIR": str(DATA), "PYTHONPATH": str(ROOT / "src")})
    for k in ("NGOSO_DATABASE_URL", "NGOSO_JOBS_IMMEDIATE", "NGOSO_S3_BUCKET", "NGOSO_STORAGE_URL"):
        e.pop(k, None)
    e.update(extra)
    return e


def py(code: str, *args) -> str:
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env(), check=True, cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()


def job_row(pk: int):
    con = sqlite3.connect(f"file:{DATA / 'ngoso.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute("SELECT status, file, result, error FROM core_job WHERE id = ?", (pk,)).fetchone()
    finally:
        con.close()


def peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def queued_export(workers: int) -> dict:
    procs = [subprocess.Popen([sys.executable, "-m", "ngoso", "worker", "--threads", "1"], env=env(), cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        time.sleep(2)  # the workers are up
        t0 = time.monotonic()
        pk = int(py(SUBMIT))
        peaks = [0] * workers
        while True:
            peaks = [max(p, peak_kb(w.pid)) for p, w in zip(peaks, procs)]
            row = job_row(pk)
            if row[0] in ("done", "failed"):
                break
            time.sleep(0.1)
        wall = time.monotonic() - t0
        if row[0] != "done":
            raise SystemExit(f"export failed: {row[3]}")
        result = json.loads(row[2])
        size = (DATA / "exports" / row[1]).stat().st_size
        return {"variant": f"per commune, queue, {workers} worker(s)", "seconds": round(wall, 2),
                "peak_mb_per_process": round(max(peaks) / 1024, 1), "rows": result["rows"],
                "files": result["communes"], "mb": round(size / 1e6, 1)}
    finally:
        for w in procs:
            w.terminate()
        for w in procs:
            w.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--communes", type=int, default=10)
    ap.add_argument("--households", type=int, default=4000, help="per commune (4 residents each)")
    a = ap.parse_args()
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    subprocess.run([sys.executable, "-m", "ngoso", "worker", "--list"], env=env(), check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # migrates
    t0 = time.monotonic()
    residents = int(py(BUILD, a.communes, a.households).splitlines()[-1])
    print(json.dumps({"built": {"communes": a.communes, "residents": residents,
                                "seconds": round(time.monotonic() - t0, 1)}}))
    out = DATA / "old.xlsx"
    n, secs, rss = py(OLD, out).split()
    old = {"variant": "single XLSX (before)", "seconds": float(secs), "peak_mb_per_process": round(int(rss) / 1024, 1),
           "rows": int(n), "files": 1, "mb": round(out.stat().st_size / 1e6, 1)}
    print(json.dumps(old))
    for workers in (1, 2):
        new = queued_export(workers)
        new["time_ratio_vs_single"] = round(new["seconds"] / old["seconds"], 2)
        new["memory_ratio_vs_single"] = round(new["peak_mb_per_process"] / old["peak_mb_per_process"], 2)
        print(json.dumps(new))
        if new["rows"] != old["rows"]:
            print("rows differ!", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
