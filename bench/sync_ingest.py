"""Sync ingest through the real HTTP API (waitress + SQLite), against a one-record-per-request baseline.

    .venv/bin/python bench/sync_ingest.py [--records 20000] [--evening 16000] [--rate 20]

Builds the commune-scale demo in bench/out/sync (once), gives every village-team member a login and a
device token, starts `ngoso serve` in a subprocess and then (a record = one visit with 2 skill results):

1. sustained ingest: batches of 500 visits from many devices, 2 client threads;
2. baseline: the same kind of visit, one per request, in the same run; 1 and 2 are repeated (median);
3. a replay check: the same batch sent twice more stores nothing;
4. an evening: N members (default 16,000, the province's volunteers) arriving at random (Poisson, open
   loop, default 20 a second), each pushing a day's work (6 visits) and pulling every page of changes
   since the device's last sync; p50/p90/p99 latency from arrival, total time;
5. a count check: visits stored = visits the server answered "created" for.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "out" / "sync"
PORT = 8765
sys.path.insert(0, str(ROOT / "src"))  # this tree's ngoso, for the setup and for the server


def setup() -> list[dict]:
    """Demo data, one login and device token per village-team member; returns the devices' work lists."""
    os.environ["NGOSO_DATA_DIR"] = str(DATA)
    os.environ.pop("NGOSO_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    import django

    django.setup()
    from ngoso.core.db import ensure_migrated

    ensure_migrated()
    from ngoso.demo import builder
    from ngoso.people.models import Household
    from ngoso.sync.models import DeviceToken

    if not Household.objects.exists():
        print("building the commune-scale demo (once) …", flush=True)
        builder.build("commune", seed=42, progress=lambda m: None)
    DeviceToken.objects.all().delete()
    devices = devices_for(village_members())
    from django.db import connections

    connections.close_all()
    return devices


def village_members():
    """The members of village teams today, in a fixed order (the devices of the simulation)."""
    from ngoso.teams.models import Member

    return Member.objects.filter(memberships__team__level="village", memberships__ended_on__isnull=True) \
        .select_related("place").order_by("id")


def devices_for(members) -> list[dict]:
    """A simulated phone for each member: a login (made when the member has none) and a device token named
    "bench", with up to 60 households of the member's village and their residents to push visits for. The one
    device simulation of the sync benches (``sync_servers.py``, ``country.py`` import it)."""
    from ngoso.accounts.models import User
    from ngoso.people.models import Household
    from ngoso.sync.models import DeviceToken

    devices = []
    for m in members:
        if m.user_id is None:
            u = User(username=f"bench{m.pk}", role="member", place=m.place)
            u.set_unusable_password()
            u.save()
            m.user = u
            m.save(update_fields=["user"])
        _, token = DeviceToken.issue(m.user, "bench")
        households = list(Household.objects.filter(village=m.place).prefetch_related("residents")[:60])
        devices.append({"token": token, "households": [
            (h.code, [str(r.uuid) for r in h.residents.all()]) for h in households if h.residents.all()]})
    return devices


SKILLS = ["zalo-messaging", "video-calls", "bank-app", "qr-payment", "online-shopping", "recognise-scams",
          "vneid-level2", "public-services-portal", "web-search", "farming-information"]


def make_visits(device: dict, n: int, rng: random.Random) -> list[dict]:
    out = []
    today = datetime.date.today()
    for _ in range(n):
        code, residents = rng.choice(device["households"])
        r = rng.choice(residents)
        a, b = rng.sample(SKILLS, 2)
        out.append({"type": "visit", "uuid": str(uuid.uuid4()), "household": code,
                    "visited_on": (today - datetime.timedelta(days=rng.randint(0, 6))).isoformat(),
                    "present": [r], "note": "", "results": [{"resident": r, "skill": a, "level": rng.randint(0, 2)},
                                                           {"resident": r, "skill": b, "level": rng.randint(0, 2)}]})
    return out


class Conn(threading.local):
    def get(self) -> http.client.HTTPConnection:
        if getattr(self, "c", None) is None:
            self.c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        return self.c


CONN = Conn()


def call(method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict, float]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Encoding": "identity"}
    t = time.perf_counter()
    for attempt in range(2):
        try:
            c = CONN.get()
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            payload = json.loads(r.read() or b"{}")
            return r.status, payload, time.perf_counter() - t
        except (ConnectionError, http.client.HTTPException):
            CONN.c = None
            if attempt:
                raise
    raise AssertionError


def push(token, records):
    status, res, secs = call("POST", "/api/v1/sync/push", token,
                             {"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "records": records})
    assert status == 200, res
    assert res["counts"]["rejected"] == 0, res["results"][:3]
    assert len(res["results"]) == len(records)
    return secs, res["counts"]


def visits_in_db() -> int:
    import sqlite3

    with sqlite3.connect(f"file:{DATA / 'ngoso.sqlite3'}?mode=ro", uri=True, timeout=60) as db:
        return db.execute("SELECT count(*) FROM visits_visit").fetchone()[0]


def ingest(devices, rng, n_records: int, per_request: int, clients: int = 2) -> tuple[float, int, int]:
    """Push ``n_records`` visits, ``per_request`` at a time; returns (records/s, created, duplicates)."""
    batches = [(d["token"], make_visits(d, per_request, rng)) for d in rng.choices(devices, k=n_records // per_request)]
    t = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        counts = list(ex.map(lambda b: push(*b)[1], batches))
    secs = time.perf_counter() - t
    return (len(batches) * per_request / secs, sum(c["created"] for c in counts),
            sum(c["duplicate"] for c in counts))


def pct(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def evening(devices, n_syncs: int, rate: float, visits_each: int = 6, seed: int = 2) -> dict:
    """``n_syncs`` member syncs arriving at random (a Poisson process of ``rate`` syncs per second: each
    member starts when they get home, independently of the others), as an open loop: a sync starts at its
    arrival time whether or not earlier ones have finished, and its latency counts from that time, so a
    server that falls behind shows it. Each sync is what the field app does: push the day's visits, then
    pull every page of changes since the device's last sync (its own cursor, the catalogue it holds)."""
    # Everyone synced this morning: one complete pull gives the cursor and catalogue version they hold.
    cursor, version = "", ""
    while True:
        status, page, _ = call("GET", f"/api/v1/sync/pull?limit=250&cursor={cursor}", devices[0]["token"])
        assert status == 200, page
        cursor = page["cursor"]
        if page["complete"]:
            version = page["catalogue"]["version"]
            break
    state = [{"cursor": cursor, "lock": threading.Lock()} for _ in devices]
    pulled = []

    def one(i, due):
        k = i % len(devices)
        d, st = devices[k], state[k]
        with st["lock"]:  # a phone runs one sync at a time
            _, counts = push(d["token"], make_visits(d, visits_each, random.Random(i)))
            n, cur = 0, st["cursor"]
            while True:
                status, page, _ = call("GET", f"/api/v1/sync/pull?limit=250&catalogue_version={version}"
                                              f"&cursor={cur}", d["token"])
                assert status == 200, page
                n += len(page["households"])
                cur = page["cursor"]
                if page["complete"]:
                    break
            st["cursor"] = cur
            pulled.append(n)
            return time.perf_counter() - due, counts["created"]

    rng = random.Random(seed)
    futures = []
    t = time.perf_counter()
    due = t
    # at most 64 syncs in flight (waitress accepts 100 connections); a sync waiting for a client thread
    # still counts its latency from its arrival
    with ThreadPoolExecutor(64) as ex:
        for i in range(n_syncs):
            due += rng.expovariate(rate)
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            futures.append(ex.submit(one, i, due))
        out = [f.result() for f in futures]
    secs = time.perf_counter() - t
    lat = sorted(x[0] * 1000 for x in out)
    return {"secs": secs, "p50": statistics.median(lat), "p90": pct(lat, 0.90), "p99": pct(lat, 0.99),
            "max": lat[-1], "created": sum(x[1] for x in out), "pulled": statistics.mean(pulled)}


def wait_port(port: int, timeout: float = 90) -> None:
    """Wait until the server on ``port`` answers a page (each process loads its code on first use)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/login/")
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20000, help="visits per batched-ingest run")
    ap.add_argument("--batch", type=int, default=500, help="visits per request in the batched runs")
    ap.add_argument("--baseline", type=int, default=500, help="visits in the one-per-request run")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each ingest measurement (median reported)")
    ap.add_argument("--evening", type=int, default=16000, help="member syncs in the simulated evening")
    ap.add_argument("--rate", type=float, default=20.0, help="evening: member syncs arriving per second (Poisson)")
    ap.add_argument("--threads", type=int, default=8, help="waitress threads of the server")
    args = ap.parse_args()
    devices = setup()
    rng = random.Random(1)
    env = dict(os.environ, NGOSO_DATA_DIR=str(DATA), PYTHONPATH=str(ROOT / "src"))
    server = subprocess.Popen([sys.executable, "-m", "ngoso", "serve", "--demo", "--port", str(PORT), "--threads",
                               str(args.threads)], env=env, stdout=subprocess.DEVNULL, stderr=open(DATA / "server.log", "w"), cwd=ROOT)
    ok = True
    try:
        wait_port(PORT)
        print(f"{len(devices)} member devices (village-team members of the commune demo); server: ngoso serve "
              f"(waitress, {args.threads} threads, one process), SQLite WAL; client and server share the machine's "
              f"{os.cpu_count()} cores")
        print(f"a record = one visit pushed with its {2} skill results (3 rows + the residents present); "
              f"median of {args.repeat} runs")
        start = visits_in_db()
        ingest(devices, rng, 2 * args.batch, args.batch)  # warm-up: the server loads its code on first use
        sent = 2 * args.batch
        batched, single = [], []
        for _ in range(args.repeat):
            rate, created, dup = ingest(devices, rng, args.records, args.batch)
            sent += created
            batched.append(rate)
            rate1, created, dup1 = ingest(devices, rng, args.baseline, 1)
            sent += created
            single.append(rate1)
            print(f"  run: batches of {args.batch}: {rate:,.0f} records/s; one per request: {rate1:,.0f} records/s",
                  flush=True)
        batch_rate, single_rate = statistics.median(batched), statistics.median(single)
        print(f"batched ingest:     {batch_rate:,.0f} records/s ({args.records:,} visits per run in batches of "
              f"{args.batch}, 2 client threads) = {3 * batch_rate:,.0f} rows/s of visits and skill results")
        print(f"one per request:    {single_rate:,.0f} records/s ({args.baseline:,} visits per run, 2 client threads)")
        ok = batch_rate >= 5000
        print(f"ratio:              batched is {batch_rate / single_rate:.0f}x the one-per-request baseline; "
              f"target ≥ 5,000 records/s: {'OK' if ok else 'MISSED'}")
        # replaying a batch stores nothing new
        d = devices[0]
        again = make_visits(d, args.batch, rng)
        first = push(d["token"], again)[1]
        replay = [push(d["token"], again)[1] for _ in range(2)]
        sent += first["created"]
        assert all(r["duplicate"] == args.batch and r["created"] == 0 for r in replay), replay

        if args.evening:
            e = evening(devices, args.evening, args.rate)
            sent += e["created"]
            print(f"evening:            {args.evening:,} member syncs arriving at random, {args.rate:g} a second on "
                  f"average (Poisson; a real evening, 16,000 members over ~3 hours, is ~1.5 a second): each pushes "
                  f"{6} visits, then pulls every page of changes since the device's last sync "
                  f"({e['pulled']:.0f} households on average)")
            print(f"                    {e['secs']:.0f} s in all; latency per sync, from its arrival: "
                  f"p50 {e['p50']:.0f} ms, p90 {e['p90']:.0f} ms, p99 {e['p99']:.0f} ms, max {e['max']:.0f} ms")
        stored = visits_in_db() - start
        print(f"check:              {sent:,} visits accepted as new, {stored:,} stored: "
              f"{'none lost, none twice' if stored == sent else 'MISMATCH'}")
        ok = ok and stored == sent
    finally:
        server.terminate()
        server.wait(10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
