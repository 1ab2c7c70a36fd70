"""Counters without contention, and figures that do not grow with the area (issue 20, items 2 and 5), on PostgreSQL.

    .venv/bin/python bench/counters.py [--density 0.05] [--threads 1,4,8] [--batches 15] [--batch 10]

Builds the province demo (Bắc Ninh's 99 communes and their villages, ``--density`` of the households, no
year of visits) once into its own database (``NGOSO_DATABASE_URL``, default ``ngoso_counters_bench`` on the
local PostgreSQL), then, in the same run:

1. concurrent sync ingest of the province: N threads (each its own connection) send batches of visits to
   random households of the whole province, first with the old direct path (every write adds into its
   village's, commune's and province's counter rows, in the write's own order:
   ``counters.DIRECT_FOR_BENCH``), then with the deltas (appended; a roll-up every 2 s as the worker does):
   visits/s, batch p50/p99, deadlocks; after each, the counters are checked against a full recount (the
   baseline takes no village lock, so its new ``vrecent`` may count a village twice: the check is the deltas');
2. the province's place page figures: before (``stats`` + ``counts_under``: counting households and residents)
   and after (``place_figures`` + ``children_figures``: the counters), p50/p95;
3. the province dashboard: the old read of every village's counters in one ``IN`` list (what the dashboard
   did to list villages without a team or a recent visit) against the new lists (one query each, the first
   30), and the whole new dashboard, p50/p95.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out" / "counters"
DEFAULT_DB = "postgres://ngoso:ngoso@127.0.0.1:5432/ngoso_counters_bench"
sys.path.insert(0, str(ROOT / "src"))


def _create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(density: float):
    os.environ.setdefault("NGOSO_DATABASE_URL", DEFAULT_DB)
    os.environ["NGOSO_DATA_DIR"] = str(OUT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    _create_database(os.environ["NGOSO_DATABASE_URL"])
    import django

    django.setup()
    from ngoso.core.db import ensure_migrated

    ensure_migrated()
    from ngoso.accounts.models import Role, User
    from ngoso.demo import builder
    from ngoso.insights import counters
    from ngoso.people.models import Household
    from ngoso.places.models import Place

    if not Household.objects.exists():
        print(f"building the province demo at density {density} (once) …", flush=True)
        t = time.perf_counter()
        builder.build("province", seed=7, progress=lambda m: None, density=density, activity=False)
        print(f"  built in {time.perf_counter() - t:.0f} s", flush=True)
    if counters.built_for() is None:
        counters.rebuild()
    province = Place.objects.get(code=builder.PROVINCE_CODE, valid_to__isnull=True)
    user = User.objects.filter(username="bench-province").first()
    if user is None:
        user = User(username="bench-province", role=Role.PROVINCE_ADMIN, place=province, is_staff=True,
                    is_superuser=True)
        user.set_unusable_password()
        user.save()
    return province, user


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ingest(province, user, threads: int, batches: int, batch: int, roll_up: bool) -> dict:
    from django.db import OperationalError, connections

    from ngoso.insights import counters
    from ngoso.people.models import Resident
    from ngoso.visits import services
    from ngoso.visits.services import SkillResult, VisitIn

    heads = list(Resident.objects.filter(household__village__path__startswith=province.path, status="",
                                         relation="head").values_list("household__code", "id"))
    today = datetime.date.today()
    latencies, deadlocks, errors, created = [], [0], [], [0]
    lock = threading.Lock()
    stop = threading.Event()

    def worker(n):
        rng = random.Random(n * 7919 + threads)
        try:
            for _ in range(batches):
                items = [VisitIn(code, today - datetime.timedelta(days=rng.randrange(20)), present=[rid],
                                 results=[SkillResult(rid, rng.choice(["zalo-messaging", "bank-app", "video-calls"]),
                                                      rng.randrange(1, 3))], uuid=uuid.uuid4())
                         for code, rid in rng.sample(heads, batch)]
                t = time.perf_counter()
                try:
                    out = services.record_visits(user, items)
                except OperationalError as exc:
                    with lock:
                        if "deadlock" in str(exc):
                            deadlocks[0] += 1
                        else:
                            errors.append(str(exc)[:200])
                    continue
                took = time.perf_counter() - t
                with lock:
                    latencies.append(took)
                    created[0] += sum(o.status == "created" for o in out)
        finally:
            connections.close_all()

    def folder():
        try:
            while not stop.wait(2.0):
                counters.roll_up()
        finally:
            connections.close_all()

    fold = threading.Thread(target=folder) if roll_up else None
    if fold:
        fold.start()
    ts = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    stop.set()
    if fold:
        fold.join()
    counters.roll_up(wait=True)
    return {"threads": threads, "visits": created[0], "seconds": round(wall, 2),
            "visits_per_s": round(created[0] / wall, 1),
            "batch_p50_ms": round(1000 * _pct(latencies, 50), 1) if latencies else None,
            "batch_p99_ms": round(1000 * _pct(latencies, 99), 1) if latencies else None,
            "deadlocks": deadlocks[0], "errors": len(errors)}


def timed(fn, reps: int) -> dict:
    fn()  # warm
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"p50_ms": round(1000 * statistics.median(times), 1), "p95_ms": round(1000 * _pct(times, 95), 1)}


def reads(province, reps: int) -> dict:
    from ngoso.insights import dashboard
    from ngoso.insights.counters import counters_for
    from ngoso.insights.counts import counts_under
    from ngoso.insights.stats import children_figures, place_figures, stats
    from ngoso.places.models import Level, Place

    children = list(Place.objects.filter(parent=province))
    villages = list(Place.objects.under(province).filter(level=Level.VILLAGE, valid_to__isnull=True)
                    .values_list("id", flat=True))
    out = {
        "villages": len(villages), "communes": len(children),
        "place_page_before": timed(lambda: (stats(province), counts_under(province)), reps),
        "place_page_after": timed(lambda: (place_figures(province), children_figures(children)), reps),
        "village_lists_before": timed(lambda: counters_for(villages, ["vteam", "lastv"]), reps),
        "village_lists_after": timed(lambda: (dashboard.villages_lacking(province, "vteam"),
                                              dashboard.villages_lacking(province, "vrecent")), reps),
        "dashboard_after": timed(lambda: dashboard.dashboard(province), reps),
    }
    return out


def check_recount() -> bool:
    from ngoso.insights import counters
    from ngoso.insights.models import PlaceCounter

    counters.roll_up(wait=True)
    kept = set(PlaceCounter.objects.exclude(value=0).values_list("place_id", "key", "value"))
    counters.rebuild()
    again = set(PlaceCounter.objects.exclude(value=0).values_list("place_id", "key", "value"))
    if kept != again:
        print("  kept, not recounted:", sorted(kept - again)[:8])
        print("  recounted, not kept:", sorted(again - kept)[:8])
    return kept == again


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--density", type=float, default=0.05)
    ap.add_argument("--threads", default="1,4,8")
    ap.add_argument("--batches", type=int, default=15, help="batches per thread")
    ap.add_argument("--batch", type=int, default=10, help="visits per batch")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--modes", default="direct,deltas")
    args = ap.parse_args()
    province, user = setup(args.density)
    from ngoso.insights import counters
    from ngoso.people.models import Household, Resident

    result = {"households": Household.objects.count(), "residents": Resident.objects.count(), "ingest": []}
    print(f"province demo: {result['households']:,} households, {result['residents']:,} residents", flush=True)
    result["reads"] = reads(province, args.reps)
    r = result["reads"]
    print(f"{r['communes']} communes, {r['villages']:,} villages")
    for name in ("place_page", "village_lists"):
        b, a = r[f"{name}_before"], r[f"{name}_after"]
        print(f"{name:14s} before p50 {b['p50_ms']:8.1f} ms p95 {b['p95_ms']:8.1f} ms | after p50 {a['p50_ms']:7.1f} ms "
              f"p95 {a['p95_ms']:7.1f} ms | ×{b['p50_ms'] / max(a['p50_ms'], 0.01):.1f} faster", flush=True)
    print(f"dashboard      after  p50 {r['dashboard_after']['p50_ms']:.1f} ms p95 {r['dashboard_after']['p95_ms']:.1f} ms")
    modes = args.modes.split(",")
    for mode in modes:
        counters.DIRECT_FOR_BENCH = mode == "direct"
        for n in [int(x) for x in args.threads.split(",")]:
            row = {"mode": mode, **ingest(province, user, n, args.batches, args.batch, roll_up=mode == "deltas")}
            result["ingest"].append(row)
            print(f"ingest {mode:6s} {n} threads: {row['visits_per_s']:7.1f} visits/s, batch p50 "
                  f"{row['batch_p50_ms']} ms p99 {row['batch_p99_ms']} ms, deadlocks {row['deadlocks']}, "
                  f"errors {row['errors']}", flush=True)
        t = time.perf_counter()
        result[f"{mode}_equal_recount"] = check_recount()  # and rebuilt: the next mode starts from a recount
        print(f"  {mode}: counters after the ingest = a full recount: {result[f'{mode}_equal_recount']} "
              f"(recount {time.perf_counter() - t:.1f} s)", flush=True)
    counters.DIRECT_FOR_BENCH = False
    for n in [int(x) for x in args.threads.split(",")] if len(modes) == 2 else []:
        d = next(x for x in result["ingest"] if x["mode"] == "direct" and x["threads"] == n)
        e = next(x for x in result["ingest"] if x["mode"] == "deltas" and x["threads"] == n)
        print(f"  {n} threads: deltas/direct throughput ×{e['visits_per_s'] / max(d['visits_per_s'], 0.1):.2f}, "
              f"p99 ×{(e['batch_p99_ms'] or 0) / max(d['batch_p99_ms'] or 1, 0.1):.2f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "result.json").write_text(json.dumps(result, indent=1))
    return 0 if result.get("deltas_equal_recount", True) else 1


if __name__ == "__main__":
    sys.exit(main())
