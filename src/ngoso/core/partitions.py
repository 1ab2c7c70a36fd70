"""Partitioned history on PostgreSQL (issue 20, item 1; decision 0020).

The append-only tables (visits, skill records, radio play logs, audit entries) are declaratively range
partitioned by time on PostgreSQL: one partition per year (visits, skill records, audit entries) or per month
(play logs, which are archived after a while), plus a ``<table>_default`` partition catching strays (a date far
in the past or ahead of the partitions made so far). SQLite keeps plain tables: every function here does nothing
there, and the models are the same on both.

How Django lives with it:

- the primary key of a partitioned table must hold the partition key, so on PostgreSQL the table's primary key is
  ``(id, <key>)`` while Django keeps ``id`` as its pk (ids still come from one identity sequence, so they stay
  unique);
- a unique constraint must hold the partition key too: ``uuid`` is unique as ``(uuid, <key>)`` on PostgreSQL
  (the writers look the uuid up before writing; decision 0020 says why that is enough);
- no foreign key may point *into* a partitioned table (it would need a unique ``id``): the fields that point at
  these tables are ``db_constraint=False`` and Django's deletion collector keeps ``on_delete`` as before (it
  runs in Python on both databases); foreign keys *from* them to other tables stay.

Which tables are partitioned, and how, is registered by their apps (``register``) from their
``AppConfig.ready()``; the schedule (``ensure_all``, nightly) creates the partitions ahead, and
``archive(table, older_than_months)`` detaches, dumps (``pg_dump -Fc``) and drops the old partitions of a table
with a retention (play logs).  ``core`` names no domain table here.
"""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .messages import UserError

from ngoso.core.db import pg_tool_env

log = logging.getLogger(__name__)

YEAR = "year"
MONTH = "month"


@dataclass(frozen=True)
class Spec:
    table: str
    key: str  # the partition key column (a date or a timestamp)
    interval: str  # YEAR or MONTH
    ahead: int  # partitions made ahead of today (years or months)
    retention_setting: str = ""  # a setting naming the months kept (archive older ones), "" = kept for ever


_SPECS: dict[str, Spec] = {}


def register(table: str, key: str, interval: str, ahead: int | None = None, retention_setting: str = "") -> Spec:
    if interval not in (YEAR, MONTH):
        raise ValueError(interval)
    spec = Spec(table, key, interval, ahead if ahead is not None else (1 if interval == YEAR else 3),
                retention_setting)
    _SPECS[table] = spec
    return spec


def specs() -> list[Spec]:
    return list(_SPECS.values())


def _connection(using=DEFAULT_DB_ALIAS):
    return connections[using]


def is_postgres(using=DEFAULT_DB_ALIAS) -> bool:
    return _connection(using).vendor == "postgresql"


# --- ranges ---------------------------------------------------------------------------------------------------

def _start_of(day: datetime.date, interval: str) -> datetime.date:
    return datetime.date(day.year, 1, 1) if interval == YEAR else datetime.date(day.year, day.month, 1)


def _next(start: datetime.date, interval: str, n: int = 1) -> datetime.date:
    if interval == YEAR:
        return datetime.date(start.year + n, 1, 1)
    months = start.year * 12 + start.month - 1 + n
    return datetime.date(months // 12, months % 12 + 1, 1)


def partition_name(table: str, start: datetime.date, interval: str) -> str:
    return f"{table}_p{start:%Y}" if interval == YEAR else f"{table}_p{start:%Y_%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


# --- introspection --------------------------------------------------------------------------------------------

def is_partitioned(table: str, using=DEFAULT_DB_ALIAS) -> bool:
    if not is_postgres(using):
        return False
    with _connection(using).cursor() as c:
        c.execute("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                  "WHERE c.relname = %s AND n.nspname = current_schema()", [table])
        row = c.fetchone()
    return bool(row) and row[0] == "p"


def partitions(table: str, using=DEFAULT_DB_ALIAS) -> list[dict]:
    """The partitions attached to ``table``: name, bounds text, lower bound (a date, None for the default)."""
    if not is_partitioned(table, using):
        return []
    with _connection(using).cursor() as c:
        c.execute("SELECT child.relname, pg_get_expr(child.relpartbound, child.oid) FROM pg_inherits i "
                  "JOIN pg_class parent ON parent.oid = i.inhparent JOIN pg_class child ON child.oid = i.inhrelid "
                  "WHERE parent.relname = %s ORDER BY child.relname", [table])
        rows = c.fetchall()
    out = []
    for name, bound in rows:
        lower = None
        if "FROM ('" in bound:
            lower = datetime.date.fromisoformat(bound.split("FROM ('", 1)[1][:10])
        out.append({"name": name, "bound": bound, "from": lower})
    return out


# --- making partitions ----------------------------------------------------------------------------------------

def _create_partition(c, spec: Spec, start: datetime.date) -> bool:
    """Create the partition for ``[start, next)`` if missing; rows of that range sitting in the default partition
    (strays written before it existed) move into it first. True if created."""
    qn = _connection().ops.quote_name
    name = partition_name(spec.table, start, spec.interval)
    c.execute("SELECT 1 FROM pg_class WHERE relname = %s AND relnamespace = current_schema()::regnamespace", [name])
    if c.fetchone():
        return False
    end = _next(start, spec.interval)
    lo, hi = start.isoformat(), end.isoformat()
    default = default_name(spec.table)
    c.execute("SELECT 1 FROM pg_class WHERE relname = %s AND relnamespace = current_schema()::regnamespace",
              [default])
    has_default = c.fetchone() is not None
    strays = False
    if has_default:
        c.execute(f"SELECT 1 FROM {qn(default)} WHERE {qn(spec.key)} >= %s AND {qn(spec.key)} < %s LIMIT 1",
                  [lo, hi])
        strays = c.fetchone() is not None
    if not strays:
        c.execute(f"CREATE TABLE {qn(name)} PARTITION OF {qn(spec.table)} FOR VALUES FROM ('{lo}') TO ('{hi}')")
        return True
    # Attaching a range the default partition holds rows of would fail: move them out first, in one transaction.
    c.execute(f"CREATE TABLE {qn(name)} (LIKE {qn(spec.table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    c.execute(f"WITH moved AS (DELETE FROM {qn(default)} WHERE {qn(spec.key)} >= %s AND {qn(spec.key)} < %s "
              f"RETURNING *) INSERT INTO {qn(name)} SELECT * FROM moved", [lo, hi])
    c.execute(f"ALTER TABLE {qn(spec.table)} ATTACH PARTITION {qn(name)} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    return True


def _oldest(spec: Spec, today: datetime.date) -> datetime.date:
    """The oldest partition made: 5 years (36 months) back; rows older than that stay in the default one."""
    return _next(_start_of(today, spec.interval), spec.interval, -5 if spec.interval == YEAR else -36)


def ensure(spec: Spec, today: datetime.date | None = None, using=DEFAULT_DB_ALIAS) -> list[str]:
    """Create the partitions of ``spec`` from the current one to ``spec.ahead`` ahead (and the default one),
    and those of past ranges the default partition holds rows of (a last year's records imported or synced
    late), back to ``_oldest``: their rows move out of the default, so that date-bounded queries stay pruned.
    Returns the names created. Nothing on SQLite or on a table that is not partitioned."""
    if not is_partitioned(spec.table, using):
        return []
    today = today or timezone.localdate()
    created = []
    qn = _connection(using).ops.quote_name
    with transaction.atomic(using=using), _connection(using).cursor() as c:
        default = default_name(spec.table)
        c.execute("SELECT 1 FROM pg_class WHERE relname = %s AND relnamespace = current_schema()::regnamespace",
                  [default])
        if not c.fetchone():
            c.execute(f"CREATE TABLE {qn(default)} PARTITION OF {qn(spec.table)} DEFAULT")
            created.append(default)
        start = _start_of(today, spec.interval)
        for i in range(spec.ahead + 1):
            s = _next(start, spec.interval, i)
            if _create_partition(c, spec, s):
                created.append(partition_name(spec.table, s, spec.interval))
        c.execute(f"SELECT DISTINCT date_trunc(%s, {qn(spec.key)})::date FROM {qn(default)} "
                  f"WHERE {qn(spec.key)} >= %s AND {qn(spec.key)} < %s",
                  [spec.interval, _oldest(spec, today).isoformat(), start.isoformat()])
        for (s,) in sorted(c.fetchall()):
            if _create_partition(c, spec, s):
                created.append(partition_name(spec.table, s, spec.interval))
    return created


def ensure_all(today: datetime.date | None = None, using=DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """Every registered table's partitions ahead (the schedule runs this nightly)."""
    return {s.table: ensure(s, today, using) for s in specs()}


# --- converting a plain table (a migration, PostgreSQL only) ---------------------------------------------------

def convert(schema_editor, table: str, key: str, interval: str, ahead: int | None = None,
            today: datetime.date | None = None) -> None:
    """Turn the plain table ``table`` into one partitioned by range of ``key``, keeping every row, its ids, the
    identity sequence, indexes (by their names) and foreign keys out of it. Foreign keys pointing into it are
    dropped (the models declare them ``db_constraint=False``). Called by the apps' migrations; nothing on SQLite."""
    if schema_editor.connection.vendor != "postgresql" or is_partitioned(table, schema_editor.connection.alias):
        return
    spec = Spec(table, key, interval, ahead if ahead is not None else (1 if interval == YEAR else 3))
    _rebuild(schema_editor.connection, table, key, spec, today or timezone.localdate())


def unconvert(schema_editor, table: str, key: str) -> None:
    """The reverse migration: a plain table again, rows, ids, index names and constraints kept (the unique
    constraints lose the partition key again); foreign keys into it come back with the reversed field changes."""
    if schema_editor.connection.vendor != "postgresql" or not is_partitioned(table, schema_editor.connection.alias):
        return
    _rebuild(schema_editor.connection, table, key, None, None)


def _rebuild(conn, table: str, key: str, spec: Spec | None, today: datetime.date | None) -> None:
    """Copy ``table`` into a new table of the same name — partitioned by ``key`` if ``spec``, else plain — with the
    same columns, identity, checks, indexes and constraints by name; the primary key is (id, key) or (id)."""
    qn = conn.ops.quote_name
    old = f"{table}__old"
    with conn.cursor() as c:
        c.execute("SELECT i.relname, pg_get_indexdef(ix.indexrelid), ix.indisunique FROM pg_index ix "
                  "JOIN pg_class i ON i.oid = ix.indexrelid WHERE ix.indrelid = %s::regclass AND NOT ix.indisprimary "
                  "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid)", [table])
        indexes = c.fetchall()
        c.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                  "AND (contype = 'u' OR (contype = 'f' AND confrelid <> conrelid)) ORDER BY conname", [table])
        constraints = c.fetchall()
        c.execute("SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE confrelid = %s::regclass "
                  "AND contype = 'f' AND conrelid <> confrelid", [table])
        incoming = c.fetchall()
        c.execute(f"SELECT min({qn(key)}), max(id) FROM {qn(table)}")
        first, max_id = c.fetchone()
        for name, other in incoming:  # no foreign key may point into a partitioned table
            c.execute(f"ALTER TABLE {other} DROP CONSTRAINT {qn(name)}")
        c.execute(f"ALTER TABLE {qn(table)} RENAME TO {qn(old)}")
        # free the names: the new table's indexes and constraints take them
        c.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN ('u', 'f', 'p')",
                  [old])
        for (name,) in c.fetchall():
            c.execute(f"ALTER TABLE {qn(old)} DROP CONSTRAINT {qn(name)}")
        for name, _def, _u in indexes:
            c.execute(f"DROP INDEX {qn(name)}")
        how = f" PARTITION BY RANGE ({qn(key)})" if spec else ""
        c.execute(f"CREATE TABLE {qn(table)} (LIKE {qn(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                  f"INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS){how}")
        pk = f"id, {qn(key)}" if spec else "id"
        c.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(table + '_pkey')} PRIMARY KEY ({pk})")

        def with_key(cols: str) -> str:
            names = [x.strip() for x in cols.split(",")]
            bare = [n.strip('"') for n in names]
            if spec and key not in bare:
                return ", ".join(names + [qn(key)])
            if not spec and key in bare and len(names) > 1:
                return ", ".join(n for n, b in zip(names, bare) if b != key)
            return cols

        for name, kind, definition in constraints:
            if kind == "u":  # UNIQUE (a) <-> UNIQUE (a, key)
                cols = definition[definition.index("(") + 1:definition.rindex(")")]
                definition = f"UNIQUE ({with_key(cols)})"
            c.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        for name, definition, unique in indexes:
            definition = definition.replace(f" ON public.{old} ", f" ON public.{table} ") \
                                   .replace(f" ON ONLY public.{old} ", f" ON public.{table} ") \
                                   .replace(f" ON {old} ", f" ON {table} ")
            if unique:
                head, cols = definition[:definition.rindex("(") + 1], definition[definition.rindex("(") + 1:-1]
                definition = head + with_key(cols) + ")"
            c.execute(definition)
        if spec:
            c.execute(f"CREATE TABLE {qn(default_name(table))} PARTITION OF {qn(table)} DEFAULT")
            if isinstance(first, datetime.datetime):
                first = first.date()
            # partitions from the first row's, at most 5 years (36 months) back; older strays go to the default
            s = max(_start_of(first or today, spec.interval), _oldest(spec, today))
            stop = _next(_start_of(today, spec.interval), spec.interval, spec.ahead + 1)
            while s < stop:
                _create_partition(c, spec, s)
                s = _next(s, spec.interval)
        c.execute(f"INSERT INTO {qn(table)} SELECT * FROM {qn(old)}")
        c.execute(f"DROP TABLE {qn(old)} CASCADE")
        if max_id:
            c.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, max_id])


# --- retention: archive and detach old partitions --------------------------------------------------------------

class ArchiveError(UserError):
    """Old partitions cannot be archived (a msgid; the CLI says it in both languages)."""


def archive_dir() -> Path:
    from django.conf import settings

    return Path(os.environ.get("NGOSO_ARCHIVE_DIR") or settings.DATA_DIR / "archive")


def _pg_env(using=DEFAULT_DB_ALIAS) -> tuple[dict, str]:
    return pg_tool_env(  # behind PgBouncer: PostgreSQL itself (NGOSO_DATABASE_DIRECT_URL)
        _connection(using).settings_dict)


def old_partitions(table: str, older_than_months: int, today: datetime.date | None = None,
                   using=DEFAULT_DB_ALIAS) -> list[str]:
    """Partitions of ``table`` whose whole range ends before the first day of the month ``older_than_months``
    before today's (the default partition never)."""
    spec = _SPECS.get(table)
    interval = spec.interval if spec else MONTH
    today = today or timezone.localdate()
    cutoff = _next(datetime.date(today.year, today.month, 1), MONTH, -older_than_months)
    return [p["name"] for p in partitions(table, using)
            if p["from"] is not None and _next(p["from"], interval) <= cutoff]


def archive(table: str, older_than_months: int, to_dir=None, today: datetime.date | None = None,
            using=DEFAULT_DB_ALIAS) -> list[dict]:
    """Detach each partition of ``table`` older than ``older_than_months`` months, dump it with ``pg_dump -Fc``
    into ``to_dir`` (default ``$NGOSO_ARCHIVE_DIR`` or ``DATA_DIR/archive``) and drop it once the dump is written.
    A failed dump leaves the partition detached, not dropped, and raises. Returns [{partition, file, rows}]."""
    if older_than_months < 1:
        raise ArchiveError(_("the months kept must be at least 1"))
    to = Path(to_dir) if to_dir else archive_dir()
    to.mkdir(parents=True, exist_ok=True)
    qn = _connection(using).ops.quote_name
    done = []
    names = old_partitions(table, older_than_months, today, using)
    if names and _connection(using).in_atomic_block:  # pg_dump (another session) would wait for our lock for ever
        raise ArchiveError(_("cannot archive inside a transaction"))
    for name in names:
        with _connection(using).cursor() as c:
            c.execute(f"SELECT count(*) FROM {qn(name)}")
            rows = c.fetchone()[0]
            c.execute(f"ALTER TABLE {qn(table)} DETACH PARTITION {qn(name)}")
        dest = to / f"{name}.dump"
        env, db = _pg_env(using)
        p = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--table", name, "--file",
                            str(dest) + ".part", db], env=env, capture_output=True, text=True)
        if p.returncode != 0:
            raise ArchiveError(_("pg_dump %(name)s failed (partition detached, kept as table %(name)s): %(x)s"),
                               name=name, x=p.stderr.strip()[-500:])
        os.replace(str(dest) + ".part", dest)
        with _connection(using).cursor() as c:
            c.execute(f"DROP TABLE {qn(name)}")
        log.info("archived %s (%s rows) to %s", name, rows, dest)
        done.append({"partition": name, "file": str(dest), "rows": rows})
    return done


def retention_months(spec: Spec) -> int | None:
    from django.conf import settings

    if not spec.retention_setting:
        return None
    value = getattr(settings, spec.retention_setting, None)
    return int(value) if value else None


def archive_all(today: datetime.date | None = None, using=DEFAULT_DB_ALIAS) -> dict[str, list[dict]]:
    """Every registered table with a retention: its old partitions archived (the schedule runs this nightly)."""
    out = {}
    for spec in specs():
        months = retention_months(spec)
        if months and is_partitioned(spec.table, using):
            out[spec.table] = archive(spec.table, months, today=today, using=using)
    return out
