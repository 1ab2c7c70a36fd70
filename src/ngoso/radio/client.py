"""The loudspeaker cluster's own program (``ngoso speaker``): no Django, only the standard library.

It registers once (a one-time code gives it a token, kept in the cache directory), caches the next
days' programme and every audio file it needs, plays each item on time from that cache whether or not
the network is up, confirms every item (played / skipped / failed / interrupted, late by N s) through
an on-disk outbox sent when the server is reachable (idempotent by UUID), sends heartbeats, and waits
on the push channel so that an emergency interrupts whatever plays within a second. Protocol:
docs/radio.md.

Threads: ``net`` (register, programme, audio, heartbeats, outbox), ``push`` (long-poll), and the
caller's thread plays. Playing goes through a pluggable player: ``LogPlayer`` (default; writes the play
to the log and takes the item's real duration), ``SystemPlayer`` (``aplay``/``play`` when asked with
``--audio``), or a test's recording player.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

VERSION = "ngoso-speaker/1"
API = "/radio/device/v1"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


def _parse(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


class ServerError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status


# --- players --------------------------------------------------------------------------------------------

class LogPlayer:
    """Plays nothing aloud: writes the play to the log and takes the item's time (a server has no speakers)."""

    name = "log"

    def play(self, item: dict, path: Path | None, seconds: float, stop: threading.Event) -> str:
        stop.wait(max(0.0, seconds))
        return "interrupted" if stop.is_set() else "played"


class SystemPlayer:
    """Plays through ``aplay`` (WAV) or sox's ``play`` (any format); a stream through ``ffplay``/``mpv``."""

    name = "system"

    def __init__(self):
        self.aplay, self.play_bin = shutil.which("aplay"), shutil.which("play")
        self.stream_bin = shutil.which("mpv") or shutil.which("ffplay")

    def missing(self) -> list[str]:
        return [] if (self.aplay or self.play_bin) else ["player_missing"]

    def play(self, item: dict, path: Path | None, seconds: float, stop: threading.Event) -> str:
        if item.get("kind") == "stream":
            if not self.stream_bin:
                raise RuntimeError("không có mpv/ffplay để tiếp sóng / no mpv or ffplay to relay the stream")
            cmd = [self.stream_bin, "--no-video", item["stream_url"]] if self.stream_bin.endswith("mpv") else \
                [self.stream_bin, "-nodisp", "-loglevel", "error", item["stream_url"]]
        elif path is not None and path.suffix == ".wav" and self.aplay:
            cmd = [self.aplay, "-q", str(path)]
        elif path is not None and self.play_bin:
            cmd = [self.play_bin, "-q", str(path)]
        else:
            raise RuntimeError("không có aplay/play / no aplay or play installed")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + seconds + 5
        while proc.poll() is None:
            if stop.is_set() or time.monotonic() > deadline:
                proc.terminate()
                proc.wait(5)
                return "interrupted" if stop.is_set() else "played"
            time.sleep(0.05)
        if proc.returncode != 0:
            raise RuntimeError((proc.stderr.read() or b"").decode("utf-8", "replace")[:200] or f"exit {proc.returncode}")
        return "played"


# --- the client -----------------------------------------------------------------------------------------

FIRST_CONTACT_WAIT = 3.0


class Speaker:
    def __init__(self, server: str, cache: str | os.PathLike, *, token: str | None = None, code: str | None = None,
                 player=None, volume: int = 80, fault_file: str | None = None, log=print, hold: float = 50.0,
                 push: bool = True):
        self.server = server.rstrip("/")
        self.cache = Path(cache)
        (self.cache / "audio").mkdir(parents=True, exist_ok=True)
        (self.cache / "outbox").mkdir(parents=True, exist_ok=True)
        self.player = player or LogPlayer()
        self.volume, self.fault_file, self._log, self.hold, self.use_push = volume, fault_file, log, hold, push
        saved = self._load("identity.json", {})
        self.token = token or saved.get("token")
        self.code = code
        self.cluster = saved.get("cluster", "")
        self.programme = self._load("programme.json", {"items": []})
        self.played: dict[str, str] = self._load("played.json", {})  # item key -> status
        self.last_seq = int(self._load("state.json", {}).get("last_seq", 0))
        self.withdrawn: set[int] = set(self._load("withdrawn.json", []))  # bulletins never to play again
        self.now_bulletin = None
        self.heartbeat_interval = 30.0
        self.push_port = None
        self.online = False
        self.now_playing = ""
        self.stop_all = threading.Event()
        self.interrupt = threading.Event()
        self.need_refresh = threading.Event()
        self.contacted = threading.Event()  # first heartbeat answered: withdrawals waiting for us are applied
        self.emergencies: queue.Queue = queue.Queue()
        self.seen_seq: set[int] = set()
        self.stopped_keys: set[str] = set()
        self.current_emergency = ""
        self._lock = threading.Lock()
        self.started = now_utc()

    # -- persistence -----------------------------------------------------------------------------------
    def _load(self, name: str, default):
        try:
            return json.loads((self.cache / name).read_text("utf-8"))
        except (OSError, ValueError):
            return default

    def _save(self, name: str, data) -> None:
        tmp = self.cache / f".{name}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.cache / name)

    def log(self, message: str) -> None:
        line = f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')} [{self.cluster or '?'}] {message}"
        with self._lock:
            with open(self.cache / "speaker.log", "a", encoding="utf-8") as f:
                f.write(line + "\n")
        self._log(line)

    # -- HTTP ------------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: dict | None = None, timeout: float = 15.0, raw: bool = False):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        url = self.server + API + path
        if self.push_port and self.use_push and path in ("/heartbeat", "/logs"):
            # the push server takes heartbeats and logs too, group-committed (docs/radio.md)
            u = urlsplit(self.server)
            url = f"{u.scheme}://{u.hostname}:{self.push_port}{path}"
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("User-Agent", VERSION)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as exc:
            try:
                msg = json.loads(exc.read().decode("utf-8")).get("error", "")
            except ValueError:
                msg = exc.reason
            raise ServerError(exc.code, msg) from None
        return payload if raw else json.loads(payload.decode("utf-8"))

    def register(self) -> None:
        if self.token:
            return
        if not self.code:
            raise SystemExit("Chưa có mã thiết bị: dùng --code (mã đăng ký) hoặc --token / no token: pass --code or --token")
        resp = self._request("POST", "/register", {"code": self.code, "version": VERSION})
        self.token, self.cluster = resp["token"], resp["cluster"]
        self._save("identity.json", {"token": self.token, "cluster": self.cluster, "server": self.server})
        self.log(f"REGISTERED as {self.cluster}")

    def hello(self) -> None:
        resp = self._request("GET", "/hello")
        self.cluster = resp["cluster"]
        self.heartbeat_interval = float(resp.get("heartbeat_interval") or 30)
        push = resp.get("push")
        self.push_port = push["port"] if push else None
        if not self.last_seq:
            self.last_seq = int(resp.get("last_seq") or 0)
        if not (self.cache / "identity.json").exists():
            self._save("identity.json", {"token": self.token, "cluster": self.cluster, "server": self.server})

    def fetch_programme(self) -> None:
        doc = self._request("GET", "/programme")
        doc["items"] = [i for i in doc["items"] if i.get("bulletin") not in self.withdrawn]
        for item in doc["items"]:
            if item.get("audio"):
                self.fetch_audio(item["audio"])
        self.programme = doc
        self._save("programme.json", doc)
        self.log(f"PROGRAMME {len(doc['items'])} items cached until {doc['valid_until']}")
        self._prune_audio()

    def fetch_audio(self, name: str) -> Path:
        dest = self.cache / "audio" / name
        if dest.exists():
            return dest
        data = self._request("GET", f"/audio/{name}", raw=True, timeout=60)
        if hashlib.sha256(data).hexdigest() != name.split(".")[0]:
            raise ServerError(0, f"audio {name} corrupted in transfer")
        tmp = dest.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, dest)
        return dest

    def _prune_audio(self) -> None:
        keep = {i["audio"] for i in self.programme.get("items", []) if i.get("audio")}
        for f in (self.cache / "audio").iterdir():
            if f.name not in keep and time.time() - f.stat().st_mtime > 3 * 86400:
                f.unlink(missing_ok=True)

    def faults(self) -> list[str]:
        out = list(getattr(self.player, "missing", lambda: [])())
        soon = now_utc() + dt.timedelta(hours=24)
        for item in self.programme.get("items", []):
            if item.get("audio") and _parse(item["start"]) < soon and not (self.cache / "audio" / item["audio"]).exists():
                out.append("audio_missing")
                break
        if self.fault_file:
            try:
                out += [x.strip() for x in Path(self.fault_file).read_text("utf-8").splitlines() if x.strip()]
            except OSError:
                pass
        return sorted(set(out))

    def send_heartbeat(self) -> None:
        outbox = len(list((self.cache / "outbox").glob("*.json")))
        resp = self._request("POST", "/heartbeat", {
            "volume": self.volume, "now_playing": self.now_playing, "faults": self.faults(),
            "cached_until": self.programme.get("valid_until"), "version": VERSION, "pending_logs": outbox,
            "last_seq": self.last_seq})
        self.heartbeat_interval = float(resp.get("heartbeat_interval") or self.heartbeat_interval)
        self.handle_commands(resp.get("commands") or [])

    def flush_outbox(self) -> int:
        files = sorted((self.cache / "outbox").glob("*.json"))[:500]
        if not files:
            return 0
        logs = []
        for f in files:
            try:
                logs.append(json.loads(f.read_text("utf-8")))
            except (OSError, ValueError):
                f.rename(f.with_suffix(".bad"))
        resp = self._request("POST", "/logs", {"logs": logs})
        for f in files:
            f.unlink(missing_ok=True)
        self.log(f"UPLOADED {resp['accepted']} logs ({resp['duplicates']} already known)")
        return len(files)

    # -- commands --------------------------------------------------------------------------------------
    def handle_commands(self, commands: list[dict]) -> None:
        for c in commands:
            seq = int(c.get("seq") or 0)
            if seq in self.seen_seq:
                continue
            self.seen_seq.add(seq)
            self.last_seq = max(self.last_seq, seq)
            self._save("state.json", {"last_seq": self.last_seq})
            if c.get("type") == "emergency":
                issued = _parse(c["issued_at"]) if c.get("issued_at") else now_utc()
                if (now_utc() - issued).total_seconds() > 600:
                    continue
                if c.get("bulletin") in self.withdrawn:
                    continue
                self.log(f"EMERGENCY RECEIVED {c['key']} «{c['title']}»")
                self.emergencies.put(c)
                self.interrupt.set()
            elif c.get("type") == "stop":
                self.log(f"EMERGENCY STOPPED {c.get('key')}")
                self.stopped_keys.add(c.get("key"))
                if self.current_emergency == c.get("key"):
                    self.interrupt.set()
            elif c.get("type") == "refresh":
                self.need_refresh.set()
            elif c.get("type") == "withdraw":
                self.withdraw(c)
                self.need_refresh.set()

    def withdraw(self, c: dict) -> None:
        """A bulletin was withdrawn (archived, consent ended, erased): out of the programme and the audio cache
        now, and stopped if it is playing; remembered, so no later programme or emergency brings it back."""
        ids = {int(x) for x in c.get("bulletins") or []}
        names = {str(x) for x in c.get("audio") or [] if "/" not in str(x) and not str(x).startswith(".")}
        with self._lock:
            self.withdrawn |= ids
            self._save("withdrawn.json", sorted(self.withdrawn))
            items = self.programme.get("items", [])
            kept = [i for i in items if i.get("bulletin") not in ids and i.get("audio") not in names]
            self.programme = {**self.programme, "items": kept}
            self._save("programme.json", self.programme)
        for name in names:
            (self.cache / "audio" / name).unlink(missing_ok=True)
        if self.now_bulletin in ids:
            self.interrupt.set()
        self.log(f"WITHDRAWN bulletins {sorted(ids)}: {len(items) - len(kept)} items dropped, "
                 f"{len(names)} audio files deleted")

    # -- threads ---------------------------------------------------------------------------------------
    def net_loop(self) -> None:
        backoff, last_hb, last_prog = 2.0, 0.0, 0.0
        while not self.stop_all.is_set():
            try:
                self.register()
                if not self.online:
                    self.hello()
                    self.fetch_programme()
                    last_prog = time.monotonic()
                    if not self.online:
                        self.log("ONLINE")
                    self.online, backoff = True, 2.0
                if self.need_refresh.is_set() or time.monotonic() - last_prog > 600:
                    self.need_refresh.clear()
                    self.fetch_programme()
                    last_prog = time.monotonic()
                if time.monotonic() - last_hb >= self.heartbeat_interval:
                    self.send_heartbeat()
                    last_hb = time.monotonic()
                    self.contacted.set()
                self.flush_outbox()
                self.stop_all.wait(min(1.0, self.heartbeat_interval))
            except ServerError as exc:
                if exc.status == 401:
                    self.log(f"TOKEN REJECTED: {exc}; cluster stays on its cached programme")
                else:
                    self.log(f"SERVER ERROR {exc}")
                self.online = False
                self.stop_all.wait(backoff)
                backoff = min(backoff * 2, 8.0)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if self.online:
                    self.log(f"OFFLINE ({exc.__class__.__name__}: {exc}); playing from cache")
                self.online = False
                self.stop_all.wait(backoff)
                backoff = min(backoff * 2, 8.0)

    def push_loop(self) -> None:
        conn = None
        while not self.stop_all.is_set():
            if not (self.online and self.push_port and self.token):
                self.stop_all.wait(0.5)
                continue
            try:
                if conn is None:
                    host = urlsplit(self.server).hostname
                    conn = http.client.HTTPConnection(host, self.push_port, timeout=self.hold + 15)
                conn.request("GET", f"/wait?after={self.last_seq}&hold={self.hold}",
                             headers={"Authorization": f"Bearer {self.token}", "User-Agent": VERSION})
                resp = conn.getresponse()
                body = json.loads(resp.read().decode("utf-8"))
                if resp.status != 200:
                    raise ServerError(resp.status, body.get("error", ""))
                self.handle_commands(body.get("commands") or [])
            except (OSError, http.client.HTTPException, ValueError, ServerError):
                if conn is not None:
                    conn.close()
                conn = None
                self.stop_all.wait(2.0)

    # -- playing ---------------------------------------------------------------------------------------
    def _confirm(self, item: dict, status: str, started: dt.datetime | None, seconds: float, reason: str = "") -> None:
        planned = _parse(item["start"]) if item.get("start") else None
        late = int((started - planned).total_seconds()) if started and planned else 0
        entry = {"uuid": str(uuid.uuid4()), "key": item["key"], "status": status,
                 "scheduled_at": item.get("scheduled_at") or (started and _iso(started)),
                 "started_at": started and _iso(started), "duration": round(seconds, 2), "late_seconds": late,
                 "reason": reason[:200]}
        # written whole then renamed: the network thread never reads half a file
        tmp = self.cache / "outbox" / f".{entry['uuid']}.tmp"
        tmp.write_text(json.dumps(entry), "utf-8")
        os.replace(tmp, self.cache / "outbox" / f"{entry['uuid']}.json")
        if not item["key"].startswith("e"):
            self.played[item["key"]] = status
            cutoff = now_utc() - dt.timedelta(days=4)
            self.played = {k: v for k, v in self.played.items() if _key_time(k) is None or _key_time(k) > cutoff}
            self._save("played.json", self.played)
        self.log(f"{status.upper()} {item['key']} «{item.get('title', '')}» {seconds:.1f} s, late {late} s"
                 + (f" ({reason})" if reason else ""))

    def _play(self, item: dict, seconds: float) -> tuple[str, float, str]:
        path = None
        if item.get("audio"):
            path = self.cache / "audio" / item["audio"]
            if not path.exists():
                try:
                    path = self.fetch_audio(item["audio"])
                except (OSError, ServerError, http.client.HTTPException) as exc:
                    return "failed", 0.0, f"audio not cached: {exc}"
        self.now_playing, self.now_bulletin = item.get("title", ""), item.get("bulletin")
        t0 = time.monotonic()
        try:
            status = self.player.play(item, path, seconds, self.interrupt)
        except Exception as exc:  # noqa: BLE001 - any player failure is reported, never silent
            return "failed", time.monotonic() - t0, str(exc)
        finally:
            self.now_playing, self.now_bulletin = "", None
        return status, time.monotonic() - t0, ""

    def play_emergency(self, c: dict) -> None:
        self.interrupt.clear()
        self.current_emergency = c["key"]
        item = {"key": c["key"], "title": c["title"], "audio": c["audio"], "kind": "audio",
                "start": _iso(now_utc()), "scheduled_at": c.get("issued_at")}
        for n in range(int(c.get("repeat") or 1)):
            if c["key"] in self.stopped_keys:
                break
            started = now_utc()
            status, secs, reason = self._play(item, float(c.get("duration") or 0))
            if status == "interrupted" and c["key"] in self.stopped_keys:
                reason = "stopped by operator"
            self._confirm(item, status, started, secs, reason)
            if status != "played":
                break
        self.current_emergency = ""
        self.interrupt.clear()

    def step(self) -> bool:
        """One pass of the player: an emergency first, else the programme item due now. True if it played."""
        try:
            c = self.emergencies.get_nowait()
        except queue.Empty:
            c = None
        if c is not None:
            self.play_emergency(c)
            return True
        self.interrupt.clear()
        now = now_utc()
        for item in self.programme.get("items", []):
            key = item["key"]
            if key in self.played:
                continue
            start, end = _parse(item["start"]), _parse(item["end"])
            if start > now:
                break
            if item.get("status") == "skipped":
                self._confirm(item, "skipped", None, 0, item.get("reason") or "conflict")
                continue
            if item.get("bulletin") in self.withdrawn:
                self._confirm(item, "skipped", None, 0, "withdrawn")
                continue
            if now >= end:
                self._confirm(item, "skipped", None, 0, "missed: the cluster was not running at that time")
                continue
            seconds = (end - now).total_seconds()
            started = now_utc()
            status, secs, reason = self._play(item, seconds)
            self._confirm(item, status, started, secs, reason or ("emergency" if status == "interrupted" else ""))
            return True
        return False

    def run(self) -> None:
        self.log(f"START server={self.server} cache={self.cache} player={getattr(self.player, 'name', '?')}")
        threading.Thread(target=self.net_loop, name="speaker-net", daemon=True).start()
        if self.use_push:
            threading.Thread(target=self.push_loop, name="speaker-push", daemon=True).start()
        # a cluster back from an outage hears of withdrawn bulletins before it plays anything from its cache
        # (a few seconds at most: with no server it plays its cache as before)
        self.contacted.wait(FIRST_CONTACT_WAIT)
        while not self.stop_all.is_set():
            if not self.step():
                self.interrupt.wait(0.2)


def _key_time(key: str) -> dt.datetime | None:
    try:
        return _parse(key.split("@", 1)[1].split("#")[0]) if "@" in key else None
    except ValueError:
        return None
