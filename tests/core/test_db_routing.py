"""Pooled connections and the read replica's routing (issue 20, item 3; core/db, docs/operations.md).

The routing rules hold on any database (a replica alias is pretended here); tests/core/test_db_replica.py runs them
against a real streaming standby, and `make test-pgbouncer` runs the suite behind PgBouncer.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from ngoso.core import db


@pytest.fixture
def replica(monkeypatch):
    monkeypatch.setattr(db, "replica_configured", lambda: True)


def test_without_a_replica_everything_reads_the_primary():
    assert not db.replica_configured() or connection.vendor == "postgresql"
    with db.reading_from_replica():
        if not db.replica_configured():
            assert db.read_alias() == "default"


def test_reads_go_to_the_replica_only_inside_reading_from_replica(replica):
    router = db.ReplicaRouter()
    assert db.read_alias() == "default" and router.db_for_read(None) == "default"
    with db.reading_from_replica():
        assert db.read_alias() == "replica" and router.db_for_read(None) == "replica"
        assert router.db_for_write(None) == "default"  # writes never go to the replica
        with db.on_primary():
            assert db.read_alias() == "default"
        assert db.read_alias() == "replica"
    assert db.read_alias() == "default"
    assert router.allow_migrate("default", "visits") and not router.allow_migrate("replica", "visits")


@pytest.mark.django_db(transaction=True)
def test_a_transaction_on_the_primary_reads_its_own_writes(replica):
    with transaction.atomic(), db.reading_from_replica():
        assert db.read_alias() == "default"
    with db.reading_from_replica():
        assert db.read_alias() == "replica"


def test_a_request_that_writes_and_its_users_next_seconds_read_the_primary(replica, settings):
    settings.REPLICA_PIN_SECONDS = 7
    seen = []

    def view(request):
        with db.reading_from_replica():
            seen.append(db.read_alias())
        return HttpResponse("ok")

    mw = db.PrimaryAfterWriteMiddleware(view)
    rf = RequestFactory()
    r = mw(rf.get("/places/24/dashboard/"))
    assert seen[-1] == "replica" and db.PIN_COOKIE not in r.cookies
    r = mw(rf.post("/visits/new/"))
    assert seen[-1] == "default"
    cookie = r.cookies[db.PIN_COOKIE]
    assert cookie["max-age"] == 7 and cookie["httponly"]
    req = rf.get("/places/24/dashboard/")
    req.COOKIES[db.PIN_COOKIE] = "1"
    mw(req)
    assert seen[-1] == "default"  # pinned for a few seconds after the write
    mw(rf.get("/places/24/dashboard/"))
    assert seen[-1] == "replica"
    assert db.read_alias() == "default"  # nothing leaks out of the request


def test_pooled_settings_have_no_server_side_cursors_nor_prepared_statements(monkeypatch):
    from ngoso import settings as s

    monkeypatch.delenv("NGOSO_DATABASE_POOLED", raising=False)
    plain = s._postgres("postgres://u:p@127.0.0.1:5432/ngoso")
    assert not plain.get("DISABLE_SERVER_SIDE_CURSORS") and "prepare_threshold" not in plain.get("OPTIONS", {})
    pooled = s._postgres("postgres://u:p@127.0.0.1:18711/ngoso?pooled=1&sslmode=disable")
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] is True and pooled["OPTIONS"]["prepare_threshold"] is None
    assert pooled["PORT"] == 18711 and pooled["NAME"] == "ngoso" and pooled["OPTIONS"]["sslmode"] == "disable"
    assert "pooled" not in pooled["OPTIONS"]  # not a libpq option: taken off the URL
    monkeypatch.setenv("NGOSO_DATABASE_POOLED", "1")
    assert s._postgres("postgres://u:p@127.0.0.1:5432/ngoso")["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_nothing_relies_on_the_database_session():
    """Behind PgBouncer in transaction mode each transaction may get another server connection: no session-level
    advisory lock, no SET outside a transaction, no LISTEN, no PREPARE (grep of the sources)."""
    import pathlib
    import re

    src = pathlib.Path(db.__file__).resolve().parents[1]
    bad = re.compile(r"(?i:pg_(try_)?advisory_lock\()|[\"'](LISTEN|PREPARE|DECLARE) |"
                     r"(?i:execute\(\s*f?[\"']SET (?!TRANSACTION|LOCAL))")
    hits = [f"{p.relative_to(src)}:{n}" for p in src.rglob("*.py") for n, line in
            enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if bad.search(line)]
    known: set[str] = set()  # may only stay empty
    assert set(hits) <= known, sorted(set(hits) - known)


def test_dashboards_exports_and_reports_ask_for_the_replica(replica, monkeypatch):
    """The three readers open reading_from_replica() themselves (the rest of the app reads the primary)."""
    from ngoso.insights import dashboard as dash
    from ngoso.radio import services as radio

    seen = {}
    monkeypatch.setattr(dash, "_dashboard", lambda place, today: seen.setdefault("dashboard", db.read_alias()))
    monkeypatch.setattr(radio, "_report", lambda *a: seen.setdefault("report", db.read_alias()))
    dash.dashboard(None)
    radio.report(None, 2026, 1)
    assert seen == {"dashboard": "replica", "report": "replica"}
    import inspect

    from ngoso.people import io
    assert "reading_from_replica(), read_snapshot(using=read_alias())" in inspect.getsource(io.export_people)
