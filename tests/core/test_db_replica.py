"""Against a real streaming replica (issue 20, item 3): `make test-replica` (.ci/replica.sh makes a primary on
18709 and a standby on 18710 with pg_basebackup -R). The replica alias is a mirror of the test database in the
rest of the suite; here it is pointed at the standby, which holds the same test database by streaming.

Skipped unless NGOSO_DATABASE_REPLICA_URL is set on PostgreSQL.
"""

from __future__ import annotations

import os
import time

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from ngoso.core import db

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql" or not os.environ.get("NGOSO_DATABASE_REPLICA_URL"),
                       reason="needs PostgreSQL and a replica (make test-replica)"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture
def standby():
    from ngoso.settings import _postgres

    real = _postgres(os.environ["NGOSO_DATABASE_REPLICA_URL"])
    conn = connections["replica"]
    saved = conn.settings_dict
    conn.close()
    conn.settings_dict = {**connections["default"].settings_dict,
                          **{k: real[k] for k in ("HOST", "PORT", "USER", "PASSWORD")}}
    yield conn
    conn.close()
    conn.settings_dict = saved


def replayed(check, seconds=10.0) -> float:
    """Seconds until ``check()`` is true on the standby (fails after ``seconds``)."""
    t = time.monotonic()
    while not check():
        assert time.monotonic() - t < seconds, "the standby did not replay the write in time"
        time.sleep(0.05)
    return time.monotonic() - t


def test_the_standby_is_a_read_only_replica_of_the_test_database(standby):
    with standby.cursor() as c:
        c.execute("SELECT pg_is_in_recovery(), current_database()")
        assert c.fetchone() == (True, connections["default"].settings_dict["NAME"])
    with connection.cursor() as c:
        c.execute("SELECT pg_is_in_recovery()")
        assert c.fetchone() == (False,)


def test_dashboards_read_the_standby_and_a_new_visit_shows_there_within_seconds(standby, people, users, area):
    import datetime

    from ngoso.insights import dashboard as dash
    from ngoso.insights.counters import prepare_year
    from ngoso.places.models import Place
    from ngoso.visits import services

    prepare_year(datetime.date.today().year)
    replayed(lambda: Place.objects.using("replica").filter(pk=area.va1.pk).exists())
    with CaptureQueriesContext(connection) as primary, CaptureQueriesContext(standby) as replica:
        before = dash.dashboard(area.province)
    assert len(replica) > 0 and len(primary) == 0, [q["sql"] for q in primary]
    services.record_visit(users.member, people.h1, visited_on=datetime.date.today(), present=[people.r1.pk])
    # read-your-own-writes: the writer pinned to the primary sees the visit at once
    with db.on_primary():
        assert dash.dashboard(area.province)["visits"]["total"] == before["visits"]["total"] + 1
    seconds = replayed(lambda: dash.dashboard(area.province)["visits"]["total"] == before["visits"]["total"] + 1)
    assert seconds < 5
    # a write inside a replica block still goes to the primary
    with db.reading_from_replica():
        Place.objects.filter(pk=area.va1.pk).update(name="Thôn Đồng Bụt mới")
    assert Place.objects.get(pk=area.va1.pk).name == "Thôn Đồng Bụt mới"


def test_pages_read_the_standby_unless_the_user_just_wrote(standby, client, users, area):
    from ngoso.places.models import Place

    replayed(lambda: Place.objects.using("replica").filter(pk=area.province.pk).exists())
    client.force_login(users.province)
    url = f"/places/{area.province.code}/dashboard/"
    with CaptureQueriesContext(standby) as replica:
        assert client.get(url).status_code == 200
    assert len(replica) > 0  # the figures came from the standby (the session and user from the primary)
    with CaptureQueriesContext(standby) as replica:
        r = client.post(url)  # a request that may write
    assert r.status_code == 200 and db.PIN_COOKIE in r.cookies and len(replica) == 0
    with CaptureQueriesContext(standby) as replica:
        assert client.get(url).status_code == 200  # pinned: the next seconds read the primary
    assert len(replica) == 0
    client.cookies.pop(db.PIN_COOKIE)
    with CaptureQueriesContext(standby) as replica:
        assert client.get(url).status_code == 200
    assert len(replica) > 0


def test_an_export_reads_one_snapshot_on_the_standby(standby, people, users, area, tmp_path):
    from ngoso.people.io import export_people
    from ngoso.people.models import Resident

    replayed(lambda: Resident.objects.using("replica").filter(pk=people.r1.pk).exists())
    with CaptureQueriesContext(standby) as replica:
        n = export_people(area.a, users.commune_a, tmp_path / "a.xlsx")
    assert n == Resident.objects.filter(household__village__path__startswith=area.a.path).count() and n > 0
    assert any("REPEATABLE READ READ ONLY" in q["sql"] for q in replica)
    assert any("people_resident" in q["sql"] for q in replica)
