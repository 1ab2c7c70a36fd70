"""One consistent, read-only snapshot for long reads (exports), and a side connection for the few writes
(job progress) that must go on while that snapshot is held.

Why (issue 14, item 4: 9 of 9 commune exports failed with "database is locked" while one phone synced):
an export streamed its rows through an open cursor — on SQLite an open read transaction on a WAL snapshot —
and wrote its progress to the job row through the same connection. A write from inside a read transaction
must upgrade it; once any other connection (a phone's sync, a second export's progress) has committed since
the snapshot began, SQLite refuses the upgrade at once with SQLITE_BUSY_SNAPSHOT ("database is locked"),
without waiting for the busy timeout, because waiting cannot help: the snapshot is stale for writing.

So the read happens in an explicit read-only transaction (SQLite: ``BEGIN DEFERRED`` — no writer lock, not
our writer queue either — plus ``PRAGMA query_only``; PostgreSQL: ``REPEATABLE READ READ ONLY``) that sees
one state of the database from its first read to its end, and any write wanted meanwhile goes through
``side_connection()``, a second connection of the same thread that holds no snapshot.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading

from django.db import DEFAULT_DB_ALIAS, connections, transaction

_active: contextvars.ContextVar = contextvars.ContextVar("ngoso_read_snapshot", default=False)
_local = threading.local()


def active() -> bool:
    """True inside ``read_snapshot()`` that opened its own transaction (writes must use the side connection)."""
    return _active.get()


@contextlib.contextmanager
def read_snapshot(using: str = DEFAULT_DB_ALIAS):
    """Run the block's reads in one read-only transaction. Inside a transaction already open on this
    connection (a caller's, a test's), that transaction is the snapshot and nothing changes."""
    conn = connections[using]
    if conn.in_atomic_block:
        yield
        return
    conn.ensure_connection()  # connecting sets transaction_mode from the settings: connect first
    if conn.vendor == "sqlite":
        mode = conn.transaction_mode
        conn.transaction_mode = "DEFERRED"  # no write lock, and core/sqlite's writer queue is not taken
        try:
            atomic = transaction.atomic(using=using)
            atomic.__enter__()
        finally:
            conn.transaction_mode = mode
        try:
            with conn.cursor() as c:
                c.execute("PRAGMA query_only = 1")  # a write by mistake fails clearly instead of "locked"
                c.execute("SELECT count(*) FROM sqlite_master")  # the snapshot starts here, not at the 1st row
        except BaseException as exc:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
    else:
        atomic = transaction.atomic(using=using)
        atomic.__enter__()
        try:
            if conn.vendor == "postgresql":
                with conn.cursor() as c:
                    c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        except BaseException as exc:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
    token = _active.set(True)
    try:
        yield
    except BaseException as exc:
        _active.reset(token)
        _leave(conn, atomic, exc)
        raise
    else:
        _active.reset(token)
        _leave(conn, atomic, None)


def _leave(conn, atomic, exc) -> None:
    try:
        if exc is None:
            atomic.__exit__(None, None, None)
        else:
            atomic.__exit__(type(exc), exc, exc.__traceback__)
    finally:
        if conn.vendor == "sqlite" and conn.connection is not None:
            with conn.cursor() as c:
                c.execute("PRAGMA query_only = 0")


def side_connection(using: str = DEFAULT_DB_ALIAS):
    """This thread's second connection to the database (autocommit, never inside a snapshot)."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    conn = conns.get(using)
    if conn is None:
        conn = conns[using] = connections.create_connection(using)
    return conn


def close_side_connection(using: str = DEFAULT_DB_ALIAS) -> None:
    conn = getattr(_local, "conns", {}).pop(using, None)
    if conn is not None:
        conn.close()
