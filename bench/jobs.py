"""Jobs on the durable queue: 1,000 small jobs (``ping``) queued one at a time by another process, run by one
``ngoso worker`` (2 threads): throughput and end-to-end latency (queued -> finished) p50/p99, on the embedded
default (SQLite storage in the data directory) and on Redis (a ``redis-server`` started here on a free port, if
installed). Then 1,000 more with the worker killed (-9) in the middle and started again: none lost.

Two ways in, measured in the same run: through the web API (``POST /api/v1/jobs/ping`` over HTTP to
``ngoso serve --no-worker``, by a client process that logged in as a user would: what a monitor or a script
calls) and, as the baseline, through Python (``jobs.submit``, the call a web view makes, no HTTP).

    python bench/jobs.py            # both queues, both ways in
    BENCH_VIA=http python bench/jobs.py
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


HTTP_SUBMIT = r"""
import http.cookiejar, json, re, sys, time, urllib.parse, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = web.open(base + "/login/").read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
web.open(urllib.request.Request(base + "/login/", data=urllib.parse.urlencode(
    {"username": "bench", "password": "bench-jobs-pw-1", "csrfmiddlewaretoken": token}).encode(),
    headers={"Referer": base + "/login/"}))
csrf = next(c.value for c in jar if c.name == "csrftoken")
assert any(c.name == "sessionid" for c in jar), "login failed"
lat = []
for _ in range(n):
    t = time.perf_counter()
    with web.open(urllib.request.Request(base + "/api/v1/jobs/ping", data=b"", method="POST",
                                         headers={"X-CSRFToken": csrf, "Referer": base + "/"})) as r:
        assert r.status == 202, r.status
        json.loads(r.read())
    lat.append(time.perf_counter() - t)
print(json.dumps(lat))
"""

USER = """
from ngoso.cli import setup_django
setup_django()
from ngoso.accounts.models import User
User.objects.filter(username="bench").exists() or User.objects.create_superuser("bench", "", "bench-jobs-pw-1")
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
    # --periodic, as ``ngoso serve`` starts it: its minutely recovery also finds a job whose queue message the
    # killed worker had taken but not yet claimed (Redis hands a message out once)
    return subprocess.Popen([sys.executable, "-m", "ngoso", "worker", "--threads", "2", "--periodic"], env=env(data, **extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def wait_done(data: Path, since: int, n: int, timeout: float = 900) -> list:
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


class Submitter:
    """Queues ``n`` pings through Python (``jobs.submit``) or through the web API (HTTP to a web server started
    here without its own worker, so that the worker measured is the one this bench starts and kills)."""

    def __init__(self, data: Path, via: str, extra: dict):
        self.data, self.via, self.extra, self.web = data, via, extra, None
        if via == "http":
            subprocess.run([sys.executable, "-c", USER], env=env(data, **extra), check=True, cwd=ROOT)
            self.port = int(os.environ.get("BENCH_PORT", "18310"))
            self.web = subprocess.Popen([sys.executable, "-m", "ngoso", "serve", "--demo", "--no-worker", "--port",
                                         str(self.port), "--push-port", "0"], env=env(data, **extra),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 60:
                try:
                    socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                    break
                except OSError:
                    time.sleep(0.2)

    def start(self, n: int):
        if self.via == "http":
            return subprocess.Popen([sys.executable, "-c", HTTP_SUBMIT, f"http://127.0.0.1:{self.port}", str(n)],
                                    env=env(self.data, **self.extra), cwd=ROOT, stdout=subprocess.PIPE, text=True)
        return subprocess.Popen([sys.executable, "-c", SUBMIT, str(n)], env=env(self.data, **self.extra), cwd=ROOT)

    def run(self, n: int) -> list[float]:
        p = self.start(n)
        out, _ = p.communicate()
        assert p.returncode == 0, f"submitter failed ({p.returncode})"
        return json.loads(out.strip().splitlines()[-1]) if self.via == "http" else []

    def stop(self):
        if self.web is not None:
            self.web.terminate()
            self.web.wait(30)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[int(q * (len(xs) - 1))]


def run(name: str, via: str = "python", **extra) -> dict:
    data = OUT / f"jobs-{name}-{via}"
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "ngoso", "worker", "--list"], env=env(data, **extra), check=True,
                   stdout=subprocess.DEVNULL, cwd=ROOT)  # migrates
    if "NGOSO_REDIS_URL" in extra:  # a clean queue for each run
        import redis as _redis

        _redis.Redis.from_url(extra["NGOSO_REDIS_URL"]).flushdb()
    sub = Submitter(data, via, extra)
    w = worker(data, **extra)
    try:
        t0 = time.monotonic()
        http_lat = sub.run(N)
        r = wait_done(data, 0, N)
        wall = time.monotonic() - t0
        lat = sorted(parse(f) - parse(c) for _, _, _, c, f in r)
        span = max(parse(f) for *_, f in r) - min(parse(c) for *_, c, _ in r)
        out = {"queue": name, "via": via, "jobs": N, "done": sum(x[1] == "done" for x in r),
               "throughput_per_s": round(N / span, 1),
               "p50_ms": round(1000 * statistics.median(lat), 1), "p99_ms": round(1000 * lat[int(0.99 * (N - 1))], 1),
               "wall_s": round(wall, 1)}
        if http_lat:
            out.update({"request_p50_ms": round(1000 * pct(http_lat, 0.5), 1),
                        "request_p99_ms": round(1000 * pct(http_lat, 0.99), 1)})
        # kill -9 in the middle of the next 1,000
        last = max(x[0] for x in r)
        p = sub.start(N)
        while sum(x[1] == "done" for x in rows(data, last)) < N // 3:
            time.sleep(0.05)
        w.send_signal(signal.SIGKILL)
        w.wait()
        running = sum(x[1] == "running" for x in rows(data, last))
        time.sleep(3.5)  # the dead worker's leases run out
        w = worker(data, **extra)
        p.communicate()
        assert p.returncode == 0, "submitter failed"
        r2 = wait_done(data, last, N)
        out.update({"kill9_in_flight": running, "kill9_done": sum(x[1] == "done" for x in r2),
                    "kill9_failed": sum(x[1] == "failed" for x in r2),
                    "kill9_run_twice": sum(x[2] > 1 for x in r2)})
        return out
    finally:
        w.terminate()
        w.wait(20)
        sub.stop()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    ways = os.environ.get("BENCH_VIA", "python,http").split(",")
    results = [run("sqlite", via) for via in ways]
    exe = shutil.which("redis-server")
    if exe:
        port = int(os.environ.get("BENCH_REDIS_PORT", "18311"))
        redis = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, cwd=OUT)
        try:
            time.sleep(0.5)
            results += [run("redis", via, NGOSO_REDIS_URL=f"redis://127.0.0.1:{port}/0") for via in ways]
        finally:
            redis.terminate()
            redis.wait(10)
    else:
        print("redis-server not installed: Redis not measured")
    for r in results:
        print(json.dumps(r))
    base = {r["queue"]: r for r in results if r["via"] == "python"}
    for r in results:
        if r["via"] == "http" and r["queue"] in base:
            b = base[r["queue"]]
            print(f"{r['queue']}: through HTTP {r['throughput_per_s']} jobs/s vs Python {b['throughput_per_s']} "
                  f"(x{r['throughput_per_s'] / b['throughput_per_s']:.2f}); p50 {r['p50_ms']} vs {b['p50_ms']} ms, "
                  f"p99 {r['p99_ms']} vs {b['p99_ms']} ms")
    return int(any(r["kill9_done"] != N for r in results))


if __name__ == "__main__":
    sys.exit(main())
