"""The Redis queue with nothing lost between taking a message and claiming its job (core/jobs.py).

huey's Redis storage takes a message off the queue with ``ZPOPMIN``: from then on the message lives only in
the worker's memory until the worker claims the job's row (``jobs._claim``). A worker killed with -9 in between
(its claim waiting for the database, say) leaves a job that is *queued* but whose message is gone; the database
side alone can only guess that it was lost (``jobs.recover`` waits 10 lease lengths for such a job, so as not to
queue again every job of a long backlog).

Here a worker takes a message and notes it under its own name in one step (a Lua script: ``ZPOPMIN`` and
``HSET`` of ``<queue>.taken.<worker>``), keeps a key ``<queue>.alive.<worker>`` that expires after one lease
length unless renewed (every third of it, by a thread of the worker), and forgets the note when the task has
run (huey's post-execute hook) or, at the latest, when the same thread takes its next message. A worker that
has died stops renewing its key: within a lease length any live worker (each looks every third of a lease) or
the minutely recovery puts the dead worker's noted messages back in the queue, with their place (score) kept.
A message given back whose job had been claimed meanwhile is dropped by ``_claim``: never two runs at once.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid

from huey import PriorityRedisHuey
from huey.storage import PriorityRedisStorage

log = logging.getLogger("ngoso.jobs")

# take the first message and note it as this worker's (atomically: no moment when it is nowhere)
_TAKE = """
local r = redis.call('ZPOPMIN', KEYS[1])
if r[1] == nil then return false end
redis.call('HSET', KEYS[2], r[1], r[2])
return r[1]
"""
# put every message a (dead) worker had noted back into the queue with its score, and drop the note
_GIVE_BACK = """
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do redis.call('ZADD', KEYS[2], all[i + 1], all[i]) end
redis.call('DEL', KEYS[1])
return #all / 2
"""


def _lease_seconds() -> float:
    from ngoso.core import jobs

    return jobs.lease_seconds()


class ReliableRedisStorage(PriorityRedisStorage):
    """huey's priority Redis storage whose ``dequeue`` notes the message as this worker's (module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._take = self.conn.register_script(_TAKE)
        self._give_back = self.conn.register_script(_GIVE_BACK)
        self._local = threading.local()
        self._worker = ""
        self._beat: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- names
    def taken_key(self, worker: str) -> str:
        return f"{self.queue_key}.taken.{worker}"

    def alive_key(self, worker: str) -> str:
        return f"{self.queue_key}.alive.{worker}"

    @property
    def worker(self) -> str:
        """This process's name as a worker (made when it first takes a message: after any fork)."""
        return self._worker

    # -- taking
    def _start(self) -> None:
        with self._lock:
            if self._worker and self._beat is not None and self._beat.is_alive():
                return
            self._worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            self._alive()  # before the first message is noted: no one may take this worker for dead
            self._beat = threading.Thread(target=self._beating, name="ngoso-queue-alive", daemon=True)
            self._beat.start()

    def _alive(self) -> None:
        self.conn.set(self.alive_key(self._worker), "1", ex=max(1, math.ceil(_lease_seconds())))

    def _beating(self) -> None:
        while True:
            time.sleep(max(0.2, _lease_seconds() / 3))
            try:
                self._alive()
                self.give_back_dead()
            except Exception:  # noqa: BLE001 - Redis away for a moment: the next beat tries again
                log.warning("queue: heartbeat failed", exc_info=True)

    def dequeue(self):
        self._start()
        self.forget_current()  # this thread has finished its last message
        deadline = time.monotonic() + (self.read_timeout if self.blocking else 0)
        pause = 0.01
        while True:
            item = self._take(keys=[self.queue_key, self.taken_key(self._worker)])
            if item:
                self._local.current = item
                return item[8:]  # without huey's ordering prefix
            if time.monotonic() >= deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def forget_current(self) -> None:
        """The message this thread took has been dealt with (run, or put in the schedule)."""
        item = getattr(self._local, "current", None)
        if item is not None:
            self.conn.hdel(self.taken_key(self._worker), item)
            self._local.current = None

    # -- recovery
    def taken(self) -> dict[str, int]:
        """How many messages each worker has noted (for tests and monitoring)."""
        prefix = self.taken_key("")
        return {k.decode()[len(prefix):] if isinstance(k, bytes) else k[len(prefix):]: self.conn.hlen(k)
                for k in self.conn.scan_iter(match=f"{prefix}*")}

    def give_back_dead(self) -> int:
        """Put the messages noted by workers whose alive key has expired back into the queue. Returns how many."""
        n = 0
        for worker in self.taken():
            if worker == self._worker or self.conn.exists(self.alive_key(worker)):
                continue
            back = int(self._give_back(keys=[self.taken_key(worker), self.queue_key]) or 0)
            if back:
                log.warning("queue: %s message(s) of dead worker %s given back", back, worker)
            n += back
        return n


class ReliableRedisHuey(PriorityRedisHuey):
    storage_class = ReliableRedisStorage

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

        @self.post_execute(name="ngoso_forget_taken")
        def _forget(task, task_value, exc):
            if isinstance(self.storage, ReliableRedisStorage):
                self.storage.forget_current()
