"""Smart radio at province scale: 3,000 simulated clusters against one `ngoso serve` on this machine.

    .venv/bin/python bench/radio.py [--clusters 3000] [--intervals 15 30 60] [--emergencies 3]

A fresh SQLite database in bench/out/radio gets a province, 30 communes, 300 villages and 3,000 clusters
(10 per village). `ngoso serve` runs in a subprocess (waitress for the HTTP/JSON device API, the asyncio
long-poll push server on the next port). The simulator (ngoso.radio.simulator, asyncio, this process)
runs every cluster: heartbeats every INTERVAL seconds, and a long-poll wait on the push port.

For each heartbeat interval it prints the heartbeat load (requests/s served, heartbeat latency p50/p99,
errors, the server's CPU) and the time for an emergency to reach all 3,000 clusters (p50/p99/max from the
moment `issue_emergency` is called in this process to the moment each simulated cluster has the message).

Baseline, measured in the same run: the same clusters with no push channel, so an emergency arrives
with the next heartbeat answer (what a polling design gives). The ratio baseline p99 / push p99 is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "out" / "radio"
sys.path.insert(0, str(ROOT / "src"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(n_clusters: int) -> list[tuple[str, str]]:
    if DATA.exists():
        shutil.rmtree(DATA)
    DATA.mkdir(parents=True)
    os.environ["NGOSO_DATA_DIR"] = str(DATA)
    os.environ.pop("NGOSO_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
    import django

    django.setup()
    from ngoso.core.db import ensure_migrated

    ensure_migrated()
    from django.db import transaction

    from ngoso.accounts.models import Role, User
    from ngoso.places.models import Place, PlaceType
    from ngoso.places.services import REFORM_DATE, add_village
    from ngoso.radio.models import SpeakerCluster, hash_token

    t = {x.code: x for x in PlaceType.objects.all()}
    with transaction.atomic():
        province = Place.objects.create(code="24", official_code="24", name="Tỉnh Bắc Ninh", short_name="Bắc Ninh",
                                        type=t["tinh"], valid_from=REFORM_DATE)
        villages = []
        for i in range(30):
            commune = Place.objects.create(code=f"9{i:04d}", official_code=f"9{i:04d}", name=f"Xã Số {i + 1}",
                                           short_name=f"Số {i + 1}", type=t["xa"], parent=province,
                                           valid_from=REFORM_DATE)
            villages += [add_village(commune, f"Thôn {j + 1}") for j in range(10)]
        User.objects.create_user("tinh", password="bench-password", role=Role.PROVINCE_ADMIN, place=province,
                                 is_superuser=True)
        clusters, tokens = [], []
        for n in range(n_clusters):
            token = f"spk_bench_{n:05d}_{os.urandom(8).hex()}"
            clusters.append(SpeakerCluster(code=f"L{n:05d}", name=f"Cụm {n}", place=villages[n % len(villages)],
                                           token_hash=hash_token(token), heartbeat_interval=30))
            tokens.append((f"L{n:05d}", token))
        SpeakerCluster.objects.bulk_create(clusters, batch_size=500)
    return tokens


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def issue(title: str) -> tuple[str, float]:
    from ngoso.accounts.models import User
    from ngoso.places.models import Place
    from ngoso.radio import services

    user = User.objects.get(username="tinh")
    province = Place.objects.get(code="24")
    b = services.create_bulletin(title=title, text="Bão số năm đổ bộ. Bà con không ra đồng.", category="emergency",
                                 place=province, author=user, priority="emergency")
    services.render_audio(b)  # done before the clock starts: the speech is not what is measured
    t0 = time.time()
    em = services.issue_emergency(b, [province], user, repeat=1)
    return em.item_key, t0


async def phase(tokens, port, push_port, interval, seconds, n_emergencies, push, server_pid, warmup):
    from ngoso.radio.simulator import Simulation, percentile

    sim = Simulation("127.0.0.1", port, push_port, tokens, interval=interval, push=push, hold=50.0)
    loop = asyncio.get_running_loop()
    runner = asyncio.ensure_future(sim.run(seconds))
    await asyncio.sleep(warmup)
    sim.heartbeat_latency.clear()  # steady state: the connection storm of the start is not counted
    hb0, cpu0, t0 = sim.heartbeats, cpu_seconds(server_pid), time.monotonic()
    issued = []
    gap = (seconds - warmup - (interval + 5 if not push else 8)) / max(1, n_emergencies)
    for k in range(n_emergencies):
        issued.append(await loop.run_in_executor(None, issue, f"Khẩn cấp {interval}s #{k + 1} push={push}"))
        await asyncio.sleep(max(3.0, gap))
    await asyncio.sleep(max(0.0, seconds - warmup - (time.monotonic() - t0) - 1.0))
    hb1, cpu1, t1 = sim.heartbeats, cpu_seconds(server_pid), time.monotonic()
    await runner
    lat, missing = [], 0
    for key, t_issue in issued:
        got = sim.received.get(key, {})
        missing += len(tokens) - len(got)
        lat += [t - t_issue for t in got.values()]
    span = t1 - t0
    return {"interval": interval, "push": push, "hb_rate": (hb1 - hb0) / span, "hb_p50": percentile(sim.heartbeat_latency, 50),
            "hb_p99": percentile(sim.heartbeat_latency, 99), "hb_errors": sim.heartbeat_errors,
            "cpu": 100 * (cpu1 - cpu0) / span, "p50": percentile(lat, 50), "p99": percentile(lat, 99),
            "max": max(lat) if lat else float("nan"), "missing": missing, "emergencies": len(issued),
            "push_errors": sim.push_errors}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clusters", type=int, default=3000)
    ap.add_argument("--intervals", type=float, nargs="+", default=[15, 30, 60])
    ap.add_argument("--emergencies", type=int, default=3)
    ap.add_argument("--baseline-interval", type=float, default=30)
    args = ap.parse_args()

    print(f"setting up {args.clusters} clusters …", flush=True)
    tokens = setup(args.clusters)
    port, push_port = free_port(), free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = ([sys.executable, os.environ["RADIO_BENCH_SERVER"], str(port), str(push_port)]
           if os.environ.get("RADIO_BENCH_SERVER") else
           [sys.executable, "-m", "ngoso", "serve", "--demo", "--port", str(port), "--push-port", str(push_port), "--threads", "8"])
    server = subprocess.Popen(cmd, env=env, stdout=open(DATA / "server.log", "w"),
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", push_port), 1).close()
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        results = []
        for interval in args.intervals:
            seconds = max(30.0, interval + 10)
            print(f"push channel, heartbeat every {interval:g} s: {seconds:g} s run …", flush=True)
            results.append(asyncio.run(phase(tokens, port, push_port, interval, seconds, args.emergencies, True,
                                             server.pid, warmup=6.0)))
        bi = args.baseline_interval
        print(f"baseline: no push channel, heartbeat every {bi:g} s …", flush=True)
        base = asyncio.run(phase(tokens, port, push_port, bi, 2 * bi + 10, 1, False, server.pid, warmup=bi))
    finally:
        server.terminate()
        server.wait(20)

    n = args.clusters
    print(f"\n{n} clusters, one server (waitress 8 threads + asyncio push), SQLite WAL, {os.cpu_count()} cores\n")
    print(f"{'heartbeat':>10} {'hb req/s':>9} {'hb p50':>8} {'hb p99':>8} {'hb err':>7} {'server CPU':>11} "
          f"{'emerg p50':>10} {'emerg p99':>10} {'max':>7} {'missed':>7}")
    for r in [*results, base]:
        label = f"{r['interval']:g} s" + ("" if r["push"] else " (poll)")
        print(f"{label:>10} {r['hb_rate']:9.1f} {r['hb_p50'] * 1000:6.0f}ms {r['hb_p99'] * 1000:6.0f}ms "
              f"{r['hb_errors']:7d} {r['cpu']:10.0f}% {r['p50']:9.2f}s {r['p99']:9.2f}s {r['max']:6.2f}s "
              f"{r['missing']:7d}")
    ref = next((r for r in results if r["interval"] == bi), results[0])
    print(f"\nemergency p99 to all {n} clusters: push {ref['p99']:.2f} s vs heartbeat polling every {bi:g} s "
          f"{base['p99']:.2f} s -> {base['p99'] / ref['p99']:.0f}x faster (target p99 < 2 s: "
          f"{'met' if all(r['p99'] < 2 for r in results) else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
