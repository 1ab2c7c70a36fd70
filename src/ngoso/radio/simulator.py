"""Many loudspeaker clusters in one process (asyncio), speaking the same protocol as ``ngoso speaker``.

Each simulated cluster sends heartbeats every ``interval`` seconds (spread evenly, fresh connection each
time, as the real client does) and, unless ``push=False``, holds a keep-alive long-poll on the push
port. It records when each emergency reached it: through the push channel, or through a heartbeat
answer (the fallback, and the baseline the benchmark compares with). It also confirms each emergency
with a play log (``played``), as a real cluster would after playing it.

    sim = Simulation("127.0.0.1", 8000, 8001, [(code, token), ...], interval=30)
    asyncio.run(sim.run(seconds=60))
    sim.received  # {emergency key: {cluster code: unix time received}}
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import defaultdict

API = "/radio/device/v1"


class Simulation:
    def __init__(self, host: str, port: int, push_port: int | None, clusters: list[tuple[str, str]], *,
                 interval: float = 30.0, push: bool = True, hold: float = 50.0, confirm: bool = True):
        self.host, self.port, self.push_port = host, port, push_port
        self.clusters, self.interval, self.push, self.hold, self.confirm = clusters, interval, push, hold, confirm
        self.received: dict[str, dict[str, float]] = defaultdict(dict)
        self.heartbeats = 0
        self.heartbeat_errors = 0
        self.heartbeat_latency: list[float] = []
        self.push_errors = 0
        self.logs_sent = 0
        self.last_seq: dict[str, int] = {}

    async def _request(self, method: str, path: str, token: str, body: dict | None = None, timeout: float = 30.0):
        # like ngoso speaker: heartbeats and logs go to the push server (group-committed) when there is one
        direct = self.push and self.push_port and path in ("/heartbeat", "/logs")
        port, prefix = (self.push_port, "") if direct else (self.port, API)
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, port), timeout)
        try:
            data = json.dumps(body).encode() if body is not None else b""
            writer.write((f"{method} {prefix}{path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n")
                         .encode() + data)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), timeout)
        finally:
            writer.close()
        head, _, payload = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, json.loads(payload or b"{}")

    def _got(self, code: str, commands: list[dict], via: str) -> list[dict]:
        now = time.time()
        fresh = []
        for c in commands:
            self.last_seq[code] = max(self.last_seq.get(code, 0), int(c.get("seq") or 0))
            if c.get("type") == "emergency" and code not in self.received[c["key"]]:
                self.received[c["key"]][code] = now
                self.received[c["key"] + ":via"][code] = via == "push"
                fresh.append(c)
        return fresh

    async def _confirm(self, code: str, token: str, emergencies: list[dict]) -> None:
        if not (self.confirm and emergencies):
            return
        # like a real cluster: the confirmation goes after the message has been played
        await asyncio.sleep(max(float(c.get("duration") or 0) * int(c.get("repeat") or 1) for c in emergencies)
                            + random.uniform(0, 2.0))
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        logs = [{"uuid": str(uuid.uuid4()), "key": c["key"], "status": "played", "started_at": now,
                 "scheduled_at": c.get("issued_at") or now, "duration": c.get("duration") or 0} for c in emergencies]
        try:
            await self._request("POST", "/logs", token, {"logs": logs})
            self.logs_sent += len(logs)
        except (OSError, asyncio.TimeoutError, ValueError):
            pass

    async def _heartbeats(self, code: str, token: str, deadline: float) -> None:
        await asyncio.sleep(random.uniform(0, self.interval))
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:
                status, body = await self._request("POST", "/heartbeat", token, {
                    "volume": 80, "now_playing": "", "faults": [], "version": "sim/1",
                    "last_seq": self.last_seq.get(code, 0)})
                if status != 200:
                    raise ValueError(body)
                self.heartbeats += 1
                self.heartbeat_latency.append(time.monotonic() - t0)
                fresh = self._got(code, body.get("commands") or [], "heartbeat")
                if fresh:
                    asyncio.ensure_future(self._confirm(code, token, fresh))
            except (OSError, asyncio.TimeoutError, ValueError, IndexError):
                self.heartbeat_errors += 1
            await asyncio.sleep(max(0.0, self.interval - (time.monotonic() - t0)))

    async def _push(self, code: str, token: str, deadline: float) -> None:
        await asyncio.sleep(random.uniform(0, 2.0))
        while time.monotonic() < deadline:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.push_port)
            except OSError:
                self.push_errors += 1
                await asyncio.sleep(1.0)
                continue
            try:
                while time.monotonic() < deadline:
                    writer.write((f"GET /wait?after={self.last_seq.get(code, 0)}&hold={self.hold} HTTP/1.1\r\n"
                                  f"Host: x\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
                    await writer.drain()
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.hold + 15)
                    length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0]
                                 .split(b":")[1])
                    body = json.loads(await reader.readexactly(length))
                    if not head.startswith(b"HTTP/1.1 200"):
                        raise ValueError(body)
                    fresh = self._got(code, body.get("commands") or [], "push")
                    if fresh:
                        asyncio.ensure_future(self._confirm(code, token, fresh))
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                self.push_errors += 1
                await asyncio.sleep(1.0)
            finally:
                writer.close()

    async def run(self, seconds: float, started: asyncio.Event | None = None) -> None:
        deadline = time.monotonic() + seconds
        tasks = []
        for code, token in self.clusters:
            tasks.append(asyncio.ensure_future(self._heartbeats(code, token, deadline)))
            if self.push and self.push_port:
                tasks.append(asyncio.ensure_future(self._push(code, token, deadline)))
        if started is not None:
            started.set()
        await asyncio.sleep(seconds)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * (len(s) - 1)))))]
