"""Jobs on the durable queue: 1,000 small jobs (``ping``) queued one request at a time by another process,
run by one ``ngoso worker`` (2 threads): throughput and end-to-end latency (queued -> finished) p50/p99, on the
embedded default (SQLite storage in the data directory) and on Redis (a ``redis-server`` started here on a free
port, if installed). Then 1,000 more with the worker killed (-9) in the middle and started again: none lost.

    python bench/jobs.py            # both queues
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
N = int(os.environ.get("BENCH_JOBS", "1000"))

SUBMIT = """
import sys, time
from ngoso.cli import setup_django
setup_django()
from ngoso.core import jobs
for _ in range(int(sys.argv[1])):
    jobs.submit("ping", {})   # what a web view does: one row, committed, then queued
"""


def env(data: Path, **extra) -> dict:
    e = dict(os.environ)
    e.update({"NGOSO_DATA_DIR": str(data), "PYTHONPATH": str(ROOT / "src"), "NGOSO_JOB_LEASE_SECONDS": "3"})
    e.pop("NGOSO_DATABASE_URL", None)
    e.pop("NGOSO_JOBS_IMMEDIATE", None)
    e.update(extra)
    return e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows(data: Path, since_id: int = 0):
    con = sqlite3.connect(f"file:{data / 'ngoso.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute("SELECT id, status, attempts, created_at, finished_at FROM core_job WHERE id > ? "
                           "AND kind = 'ping'", (since_id,)).fetchall()
    finally:
        con.close()


def worker(data: Path, **extra):
    return subprocess.Popen([sys.executable, "-m", "ngoso", "worker", "--threads", "2"], env=env(data, **extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def wait_done(data: Path, since: int, n: int, timeout: float = 600) -> list:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        r = rows(data, since)
        if len(r) >= n and all(x[1] in ("done", "failed") for x in r):
            return r
        time.sleep(0.2)
    raise SystemExit(f"timed out: {sum(x[1] == 'done' for x in rows(data, since))}/{n} done")


def parse(ts: str) -> float:
    import datetime

    return datetime.datetime.fromisoformat(ts.replace(" ", "T")).timestamp()


def run(name: str, **extra) -> dict:
    data = OUT / f"jobs-{name}"
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "ngoso", "worker", "--list"], env=env(data, **extra), check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)  # migrates
    w = worker(data, **extra)
    try:
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-c", SUBMIT, str(N)], env=env(data, **extra), check=True, cwd=ROOT)
        r = wait_done(data, 0, N)
        wall = time.monotonic() - t0
        lat = sorted(parse(f) - parse(c) for _, _, _, c, f in r)
        span = max(parse(f) for *_, f in r) - min(parse(c) for *_, c, _ in r)
        out = {"queue": name, "jobs": N, "done": sum(x[1] == "done" for x in r), "throughput_per_s": round(N / span, 1),
               "p50_ms": round(1000 * statistics.median(lat), 1), "p99_ms": round(1000 * lat[int(0.99 * (N - 1))], 1),
               "wall_s": round(wall, 1)}
        # kill -9 in the middle of the next 1,000
        last = max(x[0] for x in r)
        sub = subprocess.Popen([sys.executable, "-c", SUBMIT, str(N)], env=env(data, **extra), cwd=ROOT)
        while sum(x[1] == "done" for x in rows(data, last)) < N // 3:
            time.sleep(0.05)
        w.send_signal(signal.SIGKILL)
        w.wait()
        running = sum(x[1] == "running" for x in rows(data, last))
        time.sleep(3.5)  # the dead worker's leases run out
        w = worker(data, **extra)
        sub.wait()
        r2 = wait_done(data, last, N)
        out.update({"kill9_in_flight": running, "kill9_done": sum(x[1] == "done" for x in r2),
                    "kill9_failed": sum(x[1] == "failed" for x in r2),
                    "kill9_run_twice": sum(x[2] > 1 for x in r2)})
        return out
    finally:
        w.terminate()
        w.wait(20)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    results = [run("sqlite")]
    exe = shutil.which("redis-server")
    if exe:
        port = free_port()
        redis = subprocess.Popen([exe, "--port", str(port), "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, cwd=OUT)
        try:
            time.sleep(0.5)
            results.append(run("redis", NGOSO_REDIS_URL=f"redis://127.0.0.1:{port}/0"))
        finally:
            redis.terminate()
            redis.wait(10)
    else:
        print("redis-server not installed: Redis not measured")
    for r in results:
        print(json.dumps(r))
    return int(any(r["kill9_done"] != N for r in results))


if __name__ == "__main__":
    sys.exit(main())
