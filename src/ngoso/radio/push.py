"""The push side of the device protocol: an asyncio long-poll server run inside ``ngoso serve``.

Why not the WSGI server: waitress answers each request on one of a few threads, so 3,000 clusters each
holding a waiting request would need 3,000 threads. Here one asyncio loop holds every waiting
connection for the price of a socket and a future (docs/decisions/0005-radio-push-long-poll.md).

    GET /wait?after=<seq>     Authorization: Bearer <cluster token>
    -> 200 {"commands": [...], "last_seq": N}   at once if a command newer than ``after`` targets the
       cluster, else when one arrives, else after ``hold`` seconds with an empty list. HTTP/1.1 keep-alive.
    POST /heartbeat, POST /logs   the same bodies and answers as /radio/device/v1/heartbeat and /logs on
       the WSGI server, but group-committed: one database transaction every ``flush_interval`` (0.25 s)
       for every heartbeat and log batch received meanwhile. A log batch is answered after its commit.
    GET /health -> 200 {"waiting": n, "last_seq": N}

Commands are rows of ``radio.Command`` written by any process (web page, CLI); a thread of this server
polls that table every ``poll_interval`` (0.2 s: one indexed query) and wakes the matching waiters. A
thread of its own runs ``services.check()`` (offline clusters, unconfirmed items) every ``check_interval``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import Message, both

log = logging.getLogger("ngoso.radio.push")

RECENT_SECONDS = 600  # commands older than this are not replayed to a client that reconnects
MAX_BODY = 2 * 1024 * 1024
TOKEN_REFRESH = 5.0  # seconds between full reloads of the valid tokens
TOKEN_WINDOW = 10.0  # seconds: token revocations/re-issues this recent are re-applied on every poll (idempotent)
REVOKED = object()  # what a waiting long-poll of a revoked token is woken with
_SERVERS: "weakref.WeakSet[PushServer]" = weakref.WeakSet()  # the push servers of this process


def token_changed(cluster_id: int, token_hash: str) -> None:
    """A cluster's token was revoked or re-issued in this process (``services.revoke_cluster_token``): the push
    servers of this process drop the old token at once — no request with it is answered any more, and its
    waiting long-polls are closed with 401. Other processes' revocations reach them on the next poll
    (``poll_interval``, 0.2 s) through ``token_revoked_at``/``token_issued_at``."""
    for server in list(_SERVERS):
        if server.loop is not None:
            server.loop.call_soon_threadsafe(server._apply_tokens, {cluster_id: token_hash})


class Waiter:
    __slots__ = ("cluster_id", "token", "path", "after", "future")

    def __init__(self, cluster_id, token, path, after, future):
        self.cluster_id, self.token, self.path, self.after, self.future = cluster_id, token, path, after, future


def _closing(target):
    """A thread body that closes its own database connection when it ends."""
    def run():
        from django.db import connection

        try:
            target()
        finally:
            connection.close()

    return run


class PushServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8001, *, hold: float = 50.0, poll_interval: float = 0.2,
                 check_interval: float = 60.0):
        self.host, self.port, self.hold = host, port, hold
        self.poll_interval, self.check_interval = poll_interval, check_interval
        self.waiters: set[Waiter] = set()
        self.recent: list[dict] = []  # {"seq", "paths", "message", "at"}
        self.last_seq = 0
        self.valid: dict[str, tuple] = {}  # token hash -> (cluster id, path, heartbeat interval)
        self.unknown: dict[str, float] = {}  # token hash -> refused until (monotonic)
        self.flush_interval = 0.25
        self._lock = threading.Lock()
        self.hb_queue: list = []  # (cluster id, cleaned heartbeat, time)
        self.log_queue: list = []  # (cluster id, cleaned rows, future)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server = None
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.db = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ngoso-push-db")
        self.delivered = 0
        _SERVERS.add(self)

    # -- threads ---------------------------------------------------------------------------------------
    def start_in_thread(self) -> "PushServer":
        threading.Thread(target=self._run_loop, name="ngoso-push", daemon=True).start()
        if not self.ready.wait(10):
            raise RuntimeError("push server did not start")
        if self.server is None:
            raise RuntimeError(f"push server could not listen on {self.host}:{self.port}")
        self._threads = [threading.Thread(target=_closing(self._poll_db), name="ngoso-push-poll", daemon=True),
                         threading.Thread(target=_closing(self._flush_loop), name="ngoso-push-flush", daemon=True)]
        if self.check_interval:  # 0 under ``ngoso serve``: the worker's schedule runs the checks (radio/tasks.py)
            self._threads.append(threading.Thread(target=_closing(self._check_loop), name="ngoso-radio-check",
                                                  daemon=True))
        for t in self._threads:
            t.start()
        return self

    def _check_loop(self) -> None:
        """Offline clusters and unconfirmed items, every ``check_interval`` (its own thread: never delays pushes)."""
        from django.db import close_old_connections, connection

        from . import services

        self.stopping.wait(min(10.0, self.check_interval))
        while not self.stopping.is_set():
            close_old_connections()
            try:
                services.check()
            except Exception:  # noqa: BLE001
                log.exception("radio check failed")
                connection.close()
            self.stopping.wait(self.check_interval)

    def _flush_loop(self) -> None:
        from django.db import close_old_connections, connection, transaction

        from . import services
        from .models import SpeakerCluster

        close_old_connections()
        while not self.stopping.is_set():
            self.stopping.wait(self.flush_interval)
            with self._lock:
                hbs, self.hb_queue = self.hb_queue, []
                logs, self.log_queue = self.log_queue, []
            if not hbs and not logs:
                continue
            results = []
            try:
                with transaction.atomic():
                    services.record_heartbeats(hbs)
                    clusters = {c.pk: c for c in SpeakerCluster.objects.filter(
                        pk__in={cid for cid, _, _ in logs}).select_related("place")}
                    stored = services.store_logs_many([(clusters[cid], rows) for cid, rows, _ in logs])
                    results = [(fut, r) for (_, _, fut), r in zip(logs, stored)]
            except Exception as exc:  # noqa: BLE001 - the clients keep their logs and send them again
                log.exception("push server: flush failed")
                connection.close()
                for _, _, fut in logs:
                    self.loop.call_soon_threadsafe(_settle, fut, exc)
                continue
            for fut, result in results:
                self.loop.call_soon_threadsafe(_settle, fut, result)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait (up to ``timeout``) for the database threads to finish what they are doing and
        close their connections, so nothing of this server holds the database once ``stop`` returns."""
        self.stopping.set()
        if self.loop and self.server:
            self.loop.call_soon_threadsafe(self.server.close)
        deadline = time.monotonic() + timeout
        for t in getattr(self, "_threads", []):
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        self.db.shutdown(wait=False, cancel_futures=True)

    def _run_loop(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        try:
            self.server = self.loop.run_until_complete(
                asyncio.start_server(self._client, self.host, self.port, backlog=4096, limit=16384))
            self.port = self.server.sockets[0].getsockname()[1]
        except OSError as exc:
            log.error("push server: %s", exc)
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()

    def _poll_db(self) -> None:
        from django.db import close_old_connections, connection

        from . import services
        from .models import Command

        close_old_connections()
        self.last_seq = services.last_command_seq()
        self.valid = _valid_tokens()
        next_tokens = time.monotonic() + TOKEN_REFRESH
        while not self.stopping.is_set():
            if time.monotonic() >= next_tokens:
                try:
                    self.valid = _valid_tokens()  # one query; swapped whole, so readers never see half of it
                except Exception:  # noqa: BLE001
                    log.exception("push server: token reload failed")
                next_tokens = time.monotonic() + TOKEN_REFRESH
            try:
                changed = _recent_token_changes()  # revocations take effect now, not at the next full reload
                if changed:
                    self.loop.call_soon_threadsafe(self._apply_tokens, changed)
                cmds = list(Command.objects.filter(pk__gt=self.last_seq).order_by("pk")[:1000])
                if cmds:
                    self.last_seq = cmds[-1].pk
                    batch = [{"seq": c.pk, "paths": c.target_paths, "message": services.command_message(c),
                              "at": time.monotonic()} for c in cmds]
                    self.loop.call_soon_threadsafe(self._dispatch, batch)
            except Exception:  # noqa: BLE001 - a database hiccup must not stop the push side
                log.exception("push server: polling failed")
                connection.close()
            self.stopping.wait(self.poll_interval)

    # -- loop side -------------------------------------------------------------------------------------
    def _dispatch(self, batch: list[dict]) -> None:
        now = time.monotonic()
        self.recent = [r for r in self.recent if now - r["at"] < RECENT_SECONDS] + batch
        for w in list(self.waiters):
            msgs = [r["message"] for r in batch if r["seq"] > w.after and _targets(w.path, r["paths"])]
            if msgs and not w.future.done():
                w.future.set_result(msgs)

    def _apply_tokens(self, current: dict[int, str]) -> None:
        """{cluster id: its token hash now ("" when revoked)}: every other token of those clusters stops at once,
        and their waiting long-polls are answered 401. Applying the same map twice changes nothing."""
        for h, hit in list(self.valid.items()):
            if hit[0] in current and h != current[hit[0]]:
                self.valid.pop(h, None)
        for w in list(self.waiters):
            if w.cluster_id in current and w.token != current[w.cluster_id] and not w.future.done():
                w.future.set_result(REVOKED)

    def _pending(self, path: str, after: int) -> list[dict]:
        now = time.monotonic()
        return [r["message"] for r in self.recent
                if r["seq"] > after and now - r["at"] < RECENT_SECONDS and _targets(path, r["paths"])]

    async def _auth(self, token: str):
        """(cluster id, place path, heartbeat interval) for a valid token, else (None, "", 30).

        Valid tokens are a dict reloaded from the database every ``TOKEN_REFRESH`` seconds, so a revoked
        token or a deactivated cluster is refused within that time and a lookup costs no query; a token
        not in it (a cluster registered since) is looked up once, an unknown one is refused for 10 s.
        """
        from .models import hash_token

        h = hash_token(token)
        hit = self.valid.get(h)
        if hit is not None:
            return hit
        miss = self.unknown.get(h)
        if miss and miss > time.monotonic():
            return None, "", 30
        cluster = await self.loop.run_in_executor(self.db, _lookup, token)
        if cluster is None:
            self.unknown[h] = time.monotonic() + 10.0
            return None, "", 30
        self.valid[h] = cluster
        return cluster

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=120)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, _version = lines[0].split(" ", 2)
                except ValueError:
                    await self._send(writer, 400, {"error": "bad request line"}, close=True)
                    return
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                try:
                    length = int(headers.get("content-length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_BODY:
                    await self._send(writer, 400, {"error": both(_("bad Content-Length"))},
                                     close=True)
                    return
                payload = await reader.readexactly(length) if length else b""
                close = headers.get("connection", "").lower() == "close"
                status, body = await self._handle(method, target, headers, payload)
                await self._send(writer, status, body, close=close)
                if close:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def _handle(self, method: str, target: str, headers: dict, payload: bytes = b"") -> tuple[int, dict]:
        url = urlsplit(target)
        if url.path == "/health":
            return 200, {"waiting": len(self.waiters), "last_seq": self.last_seq}
        want = {"/wait": "GET", "/heartbeat": "POST", "/logs": "POST"}.get(url.path)
        if want is None:
            return 404, {"error": both(_("not found"))}
        if method != want:
            return 405, {"error": both(Message(_("use %(method)s"), method=want))}
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else ""
        cluster_id, path, interval = await self._auth(token) if token else (None, "", 30)
        if cluster_id is None:
            return 401, {"error": both(_("unknown or revoked token"))}
        if url.path != "/wait":
            return await self._ingest(url.path, cluster_id, path, interval, payload)
        try:
            after = int(parse_qs(url.query).get("after", ["0"])[0])
            hold = min(self.hold, float(parse_qs(url.query).get("hold", [self.hold])[0]))
        except ValueError:
            return 400, {"error": both(_("after and hold must be numbers"))}
        msgs = self._pending(path, after)
        if not msgs:
            from .models import hash_token

            fut = self.loop.create_future()
            w = Waiter(cluster_id, hash_token(token), path, after, fut)
            self.waiters.add(w)
            try:
                msgs = await asyncio.wait_for(fut, timeout=max(0.0, hold))
            except asyncio.TimeoutError:
                msgs = []
            finally:
                self.waiters.discard(w)
            if msgs is REVOKED:
                return 401, {"error": both(_("the token was revoked"))}
        self.delivered += bool(msgs)
        return 200, {"commands": msgs, "last_seq": max([self.last_seq] + [m["seq"] for m in msgs])}

    async def _ingest(self, what: str, cluster_id: int, path: str, interval: int, payload: bytes):
        from django.utils import timezone

        from . import services

        try:
            data = json.loads(payload.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError) as exc:
            return 400, {"error": both(Message(_("invalid JSON: %(exc)s"), exc=exc))}
        try:
            if what == "/heartbeat":
                clean = services.clean_heartbeat(data)
                with self._lock:
                    self.hb_queue.append((cluster_id, clean, timezone.now()))
                return 200, {"server_time": timezone.now().isoformat(), "heartbeat_interval": interval,
                             "commands": self._pending(path, clean["last_seq"]), "last_seq": self.last_seq}
            if not isinstance(data, dict):
                raise services.RadioError(_("the JSON body must be an object"))
            rows = services.clean_logs(data.get("logs"))
        except services.RadioError as exc:
            return 400, {"error": str(exc)}
        fut = self.loop.create_future()
        with self._lock:
            self.log_queue.append((cluster_id, rows, fut))
        result = await fut
        if isinstance(result, Exception):
            return 503, {"error": both(Message(_("not stored, send again later: %(why)s"), why=result))}
        return 200, result

    @staticmethod
    async def _send(writer, status: int, body: dict, close: bool = False) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
                  503: "Service Unavailable"}
        writer.write(f"HTTP/1.1 {status} {reason.get(status, 'OK')}\r\nContent-Type: application/json; charset=utf-8\r\n"
                     f"Content-Length: {len(data)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
                     .encode("latin-1") + data)
        await writer.drain()


def _settle(fut, value) -> None:
    if not fut.done():
        fut.set_result(value)


def _targets(path: str, paths) -> bool:
    return any(path.startswith(p) for p in paths)


def _valid_tokens() -> dict[str, tuple]:
    from .models import SpeakerCluster

    return {h: (cid, path, interval) for h, cid, path, interval in SpeakerCluster.objects.filter(
        active=True, token_revoked_at__isnull=True).exclude(token_hash="").values_list(
        "token_hash", "pk", "place__path", "heartbeat_interval")}


def _recent_token_changes() -> dict[int, str]:
    """{cluster id: current token hash} of clusters whose token was revoked or re-issued in the last
    ``TOKEN_WINDOW`` seconds (a small indexed-by-time read; the full reload stays every ``TOKEN_REFRESH``)."""
    import datetime as dt

    from django.db.models import Q
    from django.utils import timezone

    from .models import SpeakerCluster

    since = timezone.now() - dt.timedelta(seconds=TOKEN_WINDOW)
    return {pk: (h if active and revoked is None else "") for pk, h, active, revoked in SpeakerCluster.objects.filter(
        Q(token_revoked_at__gte=since) | Q(token_issued_at__gte=since)).values_list(
        "pk", "token_hash", "active", "token_revoked_at")}


def _lookup(token: str):
    from . import services

    c = services.authenticate(token)
    return (c.pk, c.place.path, c.heartbeat_interval) if c else None


def start(host: str, port: int, **kw) -> PushServer:
    return PushServer(host, port, **kw).start_in_thread()
