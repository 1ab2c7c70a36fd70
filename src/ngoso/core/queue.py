"""The queue's storages, with nothing lost between a worker taking a message and claiming its job (core/jobs.py).

huey's storages take a message off the queue for good (Redis ``ZPOPMIN``; SQLite ``DELETE`` in the transaction
that reads it): from then on the message lives only in the worker's memory until the worker claims the job's row
(``jobs._claim``). A worker killed with -9 in between (its claim waiting for the database, say) would leave a job
that is *queued* but whose message is gone; the database side alone can only guess that it was lost
(``jobs.recover`` waits 10 lease lengths for such a job, so as not to queue again every job of a long backlog).

Here a worker takes a message and notes it under its own name in the same step (Redis: a Lua script doing
``ZPOPMIN`` and ``HSET <queue>.taken.<worker>``; SQLite: the same transaction moves the row from ``task`` to
``taken``), keeps itself marked alive for one lease length (Redis: a key that expires; SQLite: a row with a
time), renewed every third of a lease by a thread of the worker, and forgets the note when the task has run
(huey's post-execute hook) or, at the latest, when the same thread takes its next message. A worker that has
died stops renewing its mark: within about a lease length any live worker (each looks every third of a lease)
or the minutely recovery puts the dead worker's noted messages back in the queue (Redis: with their place).
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

from huey import PriorityRedisHuey, SqliteHuey
from huey.storage import PriorityRedisStorage, SqliteStorage

log = logging.getLogger("ngoso.jobs")


def _lease_seconds() -> float:
    from ngoso.core import jobs

    return jobs.lease_seconds()


class _Noting:
    """What both storages share: this process's name as a worker, its heartbeat, the message each thread holds."""

    def _init_noting(self) -> None:
        self._local = threading.local()
        self._worker = ""
        self._beat: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def worker(self) -> str:
        """This process's name as a worker (made when it first takes a message: after any fork)."""
        return self._worker

    def _start(self) -> None:
        with self._start_lock:
            if self._worker and self._beat is not None and self._beat.is_alive():
                return
            self._worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            self._alive()  # before the first message is noted: no one may take this worker for dead
            self._beat = threading.Thread(target=self._beating, name="ngoso-queue-alive", daemon=True)
            self._beat.start()

    def _beating(self) -> None:
        while True:
            time.sleep(max(0.2, _lease_seconds() / 3))
            try:
                self._alive()
                self.give_back_dead()
            except Exception:  # noqa: BLE001 - the queue away for a moment: the next beat tries again
                log.warning("queue: heartbeat failed", exc_info=True)

    def forget_current(self) -> None:
        """The message this thread took has been dealt with (run, or put in the schedule)."""
        item = getattr(self._local, "current", None)
        if item is not None:
            self._forget(item)
            self._local.current = None

    # each storage: _alive(), _forget(item), taken() -> {worker: n}, give_back_dead() -> n


# --- Redis ----------------------------------------------------------------------------------------------------

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


class ReliableRedisStorage(_Noting, PriorityRedisStorage):
    """huey's priority Redis storage whose ``dequeue`` notes the message as this worker's (module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_noting()
        self._take = self.conn.register_script(_TAKE)
        self._give_back = self.conn.register_script(_GIVE_BACK)

    def taken_key(self, worker: str) -> str:
        return f"{self.queue_key}.taken.{worker}"

    def alive_key(self, worker: str) -> str:
        return f"{self.queue_key}.alive.{worker}"

    def _alive(self) -> None:
        self.conn.set(self.alive_key(self._worker), "1", ex=max(1, math.ceil(_lease_seconds())))

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

    def _forget(self, item) -> None:
        self.conn.hdel(self.taken_key(self._worker), item)

    def taken(self) -> dict[str, int]:
        """How many messages each worker has noted (for tests and monitoring)."""
        prefix = self.taken_key("")
        out = {}
        for k in self.conn.scan_iter(match=f"{prefix}*"):
            k = k.decode() if isinstance(k, bytes) else k
            out[k[len(prefix):]] = self.conn.hlen(k)
        return out

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


# --- SQLite (the embedded default) ----------------------------------------------------------------------------

class ReliableSqliteStorage(_Noting, SqliteStorage):
    """huey's SQLite storage whose ``dequeue`` moves the row into ``taken``, under this worker's name."""

    table_taken = ("create table if not exists taken (id integer not null primary key, queue text not null, "
                   "worker text not null, data blob not null, priority real not null default 0.0)")
    table_alive = ("create table if not exists alive (queue text not null, worker text not null, "
                   "until real not null, primary key (queue, worker))")
    ddl = [*SqliteStorage.ddl, table_taken, table_alive]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._init_noting()

    def _alive(self) -> None:
        self.sql("insert or replace into alive (queue, worker, until) values (?, ?, ?)",
                 (self.name, self._worker, time.time() + _lease_seconds()), commit=True)

    def dequeue(self):
        self._start()
        self.forget_current()  # this thread has finished its last message
        if not self.sql("select 1 from task where queue = ? limit 1", (self.name,), results=True):
            return None
        with self.db(commit=True) as curs:
            curs.execute("select id, data, priority from task where queue = ? order by priority desc, id limit 1",
                         (self.name,))
            row = curs.fetchone()
            if row is None:
                return None
            tid, data, priority = row
            curs.execute("delete from task where id = ?", (tid,))
            if curs.rowcount != 1:
                return None
            curs.execute("insert into taken (queue, worker, data, priority) values (?, ?, ?, ?)",
                         (self.name, self._worker, data, priority))
            self._local.current = curs.lastrowid
            return data

    def _forget(self, item) -> None:
        self.sql("delete from taken where id = ?", (item,), commit=True)

    def taken(self) -> dict[str, int]:
        return dict(self.sql("select worker, count(*) from taken where queue = ? group by worker", (self.name,),
                             results=True))

    def give_back_dead(self) -> int:
        n = 0
        with self.db(commit=True) as curs:
            curs.execute("select distinct worker from taken t where queue = ? and worker <> ? and not exists "
                         "(select 1 from alive a where a.queue = t.queue and a.worker = t.worker and a.until > ?)",
                         (self.name, self._worker, time.time()))
            for (worker,) in curs.fetchall():
                curs.execute("insert into task (queue, data, priority) select queue, data, priority from taken "
                             "where queue = ? and worker = ? order by id", (self.name, worker))
                back = curs.rowcount
                curs.execute("delete from taken where queue = ? and worker = ?", (self.name, worker))
                curs.execute("delete from alive where queue = ? and worker = ?", (self.name, worker))
                log.warning("queue: %s message(s) of dead worker %s given back", back, worker)
                n += back
            curs.execute("delete from alive where queue = ? and until < ?", (self.name, time.time() - 86400))
        return n


# --- the queues -----------------------------------------------------------------------------------------------

def _forget_after_each_task(huey) -> None:
    @huey.post_execute(name="ngoso_forget_taken")
    def _forget(task, task_value, exc):
        if isinstance(huey.storage, _Noting):  # not huey's memory storage of the immediate mode
            huey.storage.forget_current()


class ReliableRedisHuey(PriorityRedisHuey):
    storage_class = ReliableRedisStorage

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _forget_after_each_task(self)


class ReliableSqliteHuey(SqliteHuey):
    storage_class = ReliableSqliteStorage

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _forget_after_each_task(self)
