"""Database helpers: bring the schema up to date, bulk inserts that are fast on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import DEFAULT_DB_ALIAS, connections


def ensure_migrated(verbosity: int = 0) -> bool:
    """Apply pending migrations (creating the SQLite file and its folder if needed). True if any ran."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    db = settings.DATABASES[DEFAULT_DB_ALIAS]
    if db["ENGINE"].endswith(("sqlite3", "sqlite")) and str(db["NAME"]) != ":memory:":
        from pathlib import Path

        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return False
    call_command("migrate", interactive=False, verbosity=verbosity)
    return True


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence], batch: int = 5000) -> int:
    """Insert many rows with ``executemany`` — several times faster than ``bulk_create`` for the demo.

    Caller is responsible for the transaction. Returns the number of rows.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    qn = connection.ops.quote_name
    sql = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    n = 0
    chunk: list = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                n += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            n += len(chunk)
    return n


def reset_sequences(*models) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequences past them."""
    from django.core.management.color import no_style

    connection = connections[DEFAULT_DB_ALIAS]
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- a read replica (issue 20, item 3; docs/operations.md) ----------------------------------------------------
#
# Reads go to the primary unless a block asks for the replica with ``reading_from_replica()`` (the dashboards,
# exports and reports do), a replica is configured (``NGOSO_DATABASE_REPLICA_URL``), and nothing needs the block
# to read its own writes: a transaction open on the primary, or a request pinned to the primary (it writes, or
# its user wrote in the last ``REPLICA_PIN_SECONDS``: ``PrimaryAfterWriteMiddleware``). Writes always go to the
# primary. So the sync, the job runner, the admin and every form read the primary without saying so.

import contextlib  # noqa: E402
import contextvars  # noqa: E402

REPLICA = "replica"
PIN_COOKIE = "ngoso_primary"
_replica_reads: contextvars.ContextVar = contextvars.ContextVar("ngoso_replica_reads", default=False)
_pinned: contextvars.ContextVar = contextvars.ContextVar("ngoso_primary_pinned", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def read_alias() -> str:
    """The database the reads of this moment go to: ``"replica"`` or ``"default"`` (the primary)."""
    if not _replica_reads.get() or _pinned.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:  # a transaction on the primary: read its own writes
        return DEFAULT_DB_ALIAS
    return REPLICA


@contextlib.contextmanager
def reading_from_replica():
    """Reads inside the block may go to the read replica (a few hundred milliseconds behind at most)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


@contextlib.contextmanager
def on_primary():
    """Every read inside the block goes to the primary, even inside ``reading_from_replica()``."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


class ReplicaRouter:
    """``DATABASE_ROUTERS`` when a replica is configured (settings)."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class PrimaryAfterWriteMiddleware:
    """A request that may write (not GET/HEAD/OPTIONS) reads the primary, and so does its user for the next
    ``REPLICA_PIN_SECONDS`` (a cookie), so a saved visit shows on the next page even before the replica has it."""

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        if not replica_configured():
            return self.get_response(request)
        writes = request.method not in self.SAFE
        with contextlib.ExitStack() as stack:
            if writes or request.COOKIES.get(PIN_COOKIE):
                stack.enter_context(on_primary())
            response = self.get_response(request)
        if writes:
            response.set_cookie(PIN_COOKIE, "1", max_age=settings.REPLICA_PIN_SECONDS, httponly=True,
                                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        return response


def pg_tool_env(settings_dict: dict) -> tuple[dict, str]:
    """The environment and database name for PostgreSQL's own tools (``pg_dump``, ``pg_restore``) on the
    database of ``settings_dict``. Behind PgBouncer in transaction mode these tools must reach PostgreSQL itself:
    they set session state (``search_path``) that would stay on a pooled server connection and break the next
    client's statements. ``NGOSO_DATABASE_DIRECT_URL`` (``postgres://user:pass@host:port``) gives that server;
    the database name is always the configured one."""
    import os
    from urllib.parse import unquote, urlsplit

    env = dict(os.environ)
    host, port = settings_dict.get("HOST"), settings_dict.get("PORT")
    user, password = settings_dict.get("USER"), settings_dict.get("PASSWORD")
    direct = os.environ.get("NGOSO_DATABASE_DIRECT_URL", "").strip()
    if direct:
        u = urlsplit(direct)
        host, port = u.hostname or host, u.port or port
        user = unquote(u.username) if u.username else user
        password = unquote(u.password) if u.password else password
    if password:
        env["PGPASSWORD"] = str(password)
    for value, var in ((host, "PGHOST"), (port, "PGPORT"), (user, "PGUSER")):
        if value:
            env[var] = str(value)
    return env, str(settings_dict["NAME"])
