"""Django's SQLite backend, with the write transactions of one process queued on a Python lock.

Every transaction here starts with ``BEGIN IMMEDIATE`` (settings), which takes SQLite's write lock.
When threads of one server process want it at the same time, SQLite makes the losers poll: its busy
handler sleeps 1, 2, 5 … up to 100 ms between tries, so a waiting writer often sleeps on while the lock
is free, and an unlucky one can lose many rounds in a row (sync latencies of several seconds at p99).
Here a thread first waits on a lock shared by the connections of its process to the same file: it wakes
as soon as the previous writer commits or rolls back, and SQLite's lock is then free at once. Writers
in other processes (the CLI, a second server) still meet SQLite's own lock and busy timeout as before.
If the Python lock cannot be had within the busy timeout, the transaction goes on to SQLite, which
decides as it always did ("database is locked" after its own timeout).
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def writer_lock(name) -> threading.Lock:
    """The lock that the write transactions of this process on database file ``name`` take in turn."""
    with _GUARD:
        return _LOCKS.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writer: threading.Lock | None = None

    def get_new_connection(self, conn_params):
        """Also registers the Vietnamese collation ``vi_natural`` (``core.text.vi_compare``) for ``vi_order``."""
        from ngoso.core.text import COLLATION, vi_compare

        conn = super().get_new_connection(conn_params)
        conn.create_collation(COLLATION, vi_compare)
        return conn

    def _queues_writers(self) -> bool:
        return self.transaction_mode in ("IMMEDIATE", "EXCLUSIVE") and not self.is_in_memory_db()

    def _start_transaction_under_autocommit(self):
        if self._writer is None and self._queues_writers():
            lock = writer_lock(self.settings_dict["NAME"])
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            if lock.acquire(timeout=timeout):
                self._writer = lock
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        lock, self._writer = self._writer, None
        if lock is not None:
            lock.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer()


class Checkpointer:
    """Copies the write-ahead log back into the database file from a thread of its own (the web server's).

    SQLite's automatic checkpoint runs inside the COMMIT that crosses ``wal_autocheckpoint`` pages, while
    that writer still holds the write lock: with batches of hundreds of visits nearly every commit paid for
    one (a third of a batch's time, fsync included). A PASSIVE checkpoint takes no lock that writers or
    readers wait for, so run here every ``interval`` seconds it moves that work off the writers' path. The
    automatic checkpoint stays on (settings) as the safety net for processes without this thread.
    """

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ngoso-wal-checkpoint", daemon=True)
        self.runs = 0
        self.failures = 0

    def start(self) -> "Checkpointer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def checkpoint(self) -> tuple[int, int, int]:
        from django.db import connection

        with connection.cursor() as c:
            c.execute("PRAGMA wal_checkpoint(PASSIVE)")
            busy, log, done = c.fetchone()
        self.runs += 1
        return busy, log, done

    def _run(self) -> None:
        from django.db import connection

        try:
            while not self._stop.wait(self.interval):
                try:
                    self.checkpoint()
                except Exception:  # noqa: BLE001 - a failed checkpoint is retried next time; SQLite's own remains
                    self.failures += 1
                    connection.close()
        finally:
            connection.close()
