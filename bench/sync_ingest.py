"""Sync ingest through the real HTTP API (waitress + SQLite), against a one-record-per-request baseline.

    .venv/bin/python bench/sync_ingest.py [--records 20000] [--evening 16000]

Builds the commune-scale demo in bench/out/sync (once), gives every village-team member a login and a
device token, starts `ngoso serve` in a subprocess and then:

1. sustained ingest: batches of 500 visits (2 skill results each) from many devices, 2 client threads;
2. baseline: the same kind of visit, one per request;
3. an evening: N members (default 16,000, the province's volunteers) each push a day's work (6 visits)
   and pull their changes, 8 at a time; p50/p99 latency per sync.
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


def setup() -> list[dict]:
    """Demo data, one login and device token per village-team member; returns the devices' work lists."""
    os.environ["NGOSO_DATA_DIR"] = str(DATA)
    os.environ.pop("NGOSO_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    import django

    django.setup()
    from ngoso.core.db import ensure_migrated

    ensure_migrated()
    from ngoso.accounts.models import User
    from ngoso.demo import builder
    from ngoso.people.models import Household
    from ngoso.sync.models import DeviceToken
    from ngoso.teams.models import Member

    if not Household.objects.exists():
        print("building the commune-scale demo (once) …", flush=True)
        builder.build("commune", seed=42, progress=lambda m: None)
    DeviceToken.objects.all().delete()
    devices = []
    for m in Member.objects.filter(memberships__team__level="village", memberships__ended_on__isnull=True) \
            .select_related("place").order_by("id"):
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
    from django.db import connections

    connections.close_all()
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
    return secs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--baseline", type=int, default=500)
    ap.add_argument("--evening", type=int, default=16000)
    args = ap.parse_args()
    devices = setup()
    rng = random.Random(1)
    env = dict(os.environ, NGOSO_DATA_DIR=str(DATA))
    server = subprocess.Popen([sys.executable, "-m", "ngoso", "serve", "--port", str(PORT), "--threads", "8"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/login/")
                break
            except OSError:
                time.sleep(0.1)
        print(f"{len(devices)} devices; server: ngoso serve (waitress, 8 threads), SQLite WAL")
        # 1. sustained ingest in batches of 500
        batches = [(d["token"], make_visits(d, 500, rng)) for d in rng.choices(devices, k=args.records // 500)]
        t = time.perf_counter()
        with ThreadPoolExecutor(2) as ex:
            list(ex.map(lambda b: push(*b), batches))
        secs = time.perf_counter() - t
        n = len(batches) * 500
        batch_rate = n / secs
        print(f"batched ingest:     {n:,} visits ({2 * n:,} skill results) in {secs:.1f} s = "
              f"{batch_rate:,.0f} records/s ({3 * batch_rate:,.0f} rows/s incl. skill results)")
        # 2. baseline: one record per request
        singles = [(d["token"], make_visits(d, 1, rng)) for d in rng.choices(devices, k=args.baseline)]
        t = time.perf_counter()
        with ThreadPoolExecutor(2) as ex:
            list(ex.map(lambda b: push(*b), singles))
        secs = time.perf_counter() - t
        single_rate = len(singles) / secs
        print(f"one per request:    {len(singles):,} visits in {secs:.1f} s = {single_rate:,.0f} records/s")
        print(f"ratio:              batched is {batch_rate / single_rate:.0f}x the one-per-request baseline; "
              f"target ≥ 5,000 records/s: {'OK' if batch_rate >= 5000 else 'MISSED'}")

        # 3. the evening: every member pushes a day's work and pulls
        def evening_sync(i):
            d = devices[i % len(devices)]
            t0 = time.perf_counter()
            push(d["token"], make_visits(d, 6, random.Random(i)))
            status, _, _ = call("GET", "/api/v1/sync/pull?limit=250", d["token"])
            assert status == 200
            return time.perf_counter() - t0

        t = time.perf_counter()
        with ThreadPoolExecutor(8) as ex:
            lat = sorted(ex.map(evening_sync, range(args.evening)))
        secs = time.perf_counter() - t
        p50, p99 = statistics.median(lat) * 1000, lat[int(0.99 * (len(lat) - 1))] * 1000
        print(f"evening:            {args.evening:,} member syncs (6 visits + a pull each) in {secs:.0f} s; "
              f"latency p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    finally:
        server.terminate()
        server.wait(10)
    return 0 if batch_rate >= 5000 else 1


if __name__ == "__main__":
    sys.exit(main())
