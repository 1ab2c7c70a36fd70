"""Partitioned history (issue 20, item 1; core/partitions, decision 0017).

On PostgreSQL: visits, skill records and audit entries are partitioned by year, play logs by month; rows land in
their partition (strays in the default one), a date-bounded query is pruned to its partitions, the schedule makes
the next partitions (moving strays out of the default), retention archives and detaches old play-log partitions,
and the migration converts tables holding rows (and back) keeping every row and id. On SQLite: plain tables, the
same code, every partition function a no-op.
"""

from __future__ import annotations

import datetime
import subprocess
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from ngoso.core import jobs, partitions

PG = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions exist on PostgreSQL only")
TABLES = {"visits_visit": ("visited_on", "year"), "visits_skillrecord": ("observed_on", "year"),
          "accounts_auditentry": ("at", "year"), "radio_playlog": ("received_at", "month")}


def where(table: str, pk: int) -> str:
    with connection.cursor() as c:
        c.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])
        return c.fetchone()[0]


def test_the_four_history_tables_are_registered():
    assert {s.table: (s.key, s.interval) for s in partitions.specs()} == TABLES
    assert "partitions" in jobs._PERIODIC  # made ahead (and play logs archived) by the schedule


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite keeps plain tables")
@pytest.mark.django_db
def test_sqlite_keeps_plain_tables_and_the_functions_do_nothing(people, users):
    from ngoso.visits import services

    for table in TABLES:
        assert not partitions.is_partitioned(table) and partitions.partitions(table) == []
    assert partitions.ensure_all() == {t: [] for t in TABLES}
    assert partitions.archive_all() == {}
    from ngoso.visits.models import Visit

    v = Visit.objects.create(household=people.h1, visited_on=datetime.date(1990, 1, 1))
    assert Visit.objects.filter(visited_on__year=1990).get() == v


@PG
@pytest.mark.django_db
def test_rows_land_in_their_partition_and_strays_in_the_default(people, users):
    from ngoso.accounts.models import AuditEntry
    from ngoso.visits import services
    from ngoso.visits.models import SkillRecord, Visit
    from ngoso.visits.services import SkillResult

    for table in TABLES:
        assert partitions.is_partitioned(table), table
    year = timezone.localdate().year
    v, _ = services.record_visit(users.member, people.h1, visited_on=datetime.date(year, 1, 2), present=[people.r1.pk],
                                 results=[SkillResult(people.r1.pk, "zalo-messaging", 2)])
    assert where("visits_visit", v.pk) == f"visits_visit_p{year}"
    rec = SkillRecord.objects.get(visit=v)
    assert where("visits_skillrecord", rec.pk) == f"visits_skillrecord_p{year}"
    old = Visit.objects.create(household=people.h1, visited_on=datetime.date(1990, 5, 1))  # (services refuse it)
    assert where("visits_visit", old.pk) == "visits_visit_default"
    entry = AuditEntry.objects.create(action="create", model="test", object_pk="1")
    assert where("accounts_auditentry", entry.pk) == f"accounts_auditentry_p{year}"
    # Django still sees one table with one id per row, and the same uuid cannot be stored twice on one day
    assert Visit.objects.filter(pk__in=[v.pk, old.pk]).count() == 2
    again, created = services.record_visit(users.member, people.h1, visited_on=v.visited_on, present=[people.r1.pk],
                                           uuid=v.uuid)
    assert not created and again.pk == v.pk


@PG
@pytest.mark.django_db
def test_a_date_bounded_query_reads_only_its_partitions(people, users):
    from ngoso.visits.models import Visit

    made = partitions.ensure(partitions._SPECS["visits_visit"], today=datetime.date(2030, 6, 1))
    assert {"visits_visit_p2030", "visits_visit_p2031"} <= set(made) | {
        p["name"] for p in partitions.partitions("visits_visit")}
    for d in ("2030-03-10", "2031-03-10"):
        Visit.objects.create(household=people.h1, visited_on=d)
    # a dashboard's window (the visits of a month) and a team page's (the visits since a day)
    plan = Visit.objects.filter(visited_on__gte="2030-03-01", visited_on__lt="2030-04-01").explain()
    assert "visits_visit_p2030" in plan
    assert "visits_visit_p2031" not in plan and "visits_visit_default" not in plan and "_p2026" not in plan
    plan = Visit.objects.filter(visited_on__gt="2031-01-05").values("member").explain()
    assert "visits_visit_p2031" in plan and "visits_visit_p2030" not in plan


@PG
@pytest.mark.django_db
def test_the_schedule_makes_the_next_partitions_and_moves_strays_out_of_the_default(people):
    from ngoso.visits.models import Visit

    stray = Visit.objects.create(household=people.h1, visited_on="2041-07-01")
    assert where("visits_visit", stray.pk) == "visits_visit_default"
    made = partitions.ensure_all(today=datetime.date(2040, 12, 20))
    assert made["visits_visit"] == ["visits_visit_p2040", "visits_visit_p2041"]
    assert made["visits_skillrecord"] == ["visits_skillrecord_p2040", "visits_skillrecord_p2041"]
    assert made["radio_playlog"] == [f"radio_playlog_p{m}" for m in ("2040_12", "2041_01", "2041_02", "2041_03")]
    assert where("visits_visit", stray.pk) == "visits_visit_p2041"  # moved, same id
    assert partitions.ensure_all(today=datetime.date(2040, 12, 20)) == {t: [] for t in TABLES}  # idempotent
    # the periodic task is the same call for today
    out = jobs._PERIODIC["partitions"]["fn"]()
    assert set(out["created"]) == set(TABLES) and out["archived"] == {"radio_playlog": []}  # 24 months kept


@PG
@pytest.mark.django_db
def test_the_schedule_gives_past_strays_their_partition_within_five_years(people):
    """Last year's records arriving late (an import, a phone offline since December) sit in the default
    partition until the nightly run gives their year a partition; older than five years they stay there."""
    from ngoso.visits.models import Visit

    late = Visit.objects.create(household=people.h1, visited_on="2037-12-30")
    ancient = Visit.objects.create(household=people.h1, visited_on="2031-03-01")
    assert where("visits_visit", late.pk) == where("visits_visit", ancient.pk) == "visits_visit_default"
    made = partitions.ensure_all(today=datetime.date(2038, 6, 1))
    assert made["visits_visit"] == ["visits_visit_p2038", "visits_visit_p2039", "visits_visit_p2037"]
    assert where("visits_visit", late.pk) == "visits_visit_p2037"  # moved, same id
    assert where("visits_visit", ancient.pk) == "visits_visit_default"  # 2031 < 2033: kept in the default
    assert partitions.ensure_all(today=datetime.date(2038, 6, 1)) == {t: [] for t in TABLES}  # idempotent
    with connection.cursor() as c:
        c.execute("EXPLAIN SELECT count(*) FROM visits_visit WHERE visited_on >= '2037-01-01' "
                  "AND visited_on < '2038-01-01'")
        plan = "\n".join(r[0] for r in c.fetchall())
    assert "visits_visit_p2037" in plan and "visits_visit_default" not in plan


def _cluster(area):
    from ngoso.radio.models import SpeakerCluster

    return SpeakerCluster.objects.create(code=f"C-{uuid.uuid4().hex[:8]}", name="Cụm loa thôn", place=area.va1)


@PG
@pytest.mark.django_db(transaction=True)
def test_retention_archives_and_detaches_old_play_log_partitions(area, tmp_path, settings):
    from ngoso.radio.models import PlayLog

    cluster = _cluster(area)
    utc = datetime.timezone.utc
    today = timezone.localdate()
    y = today.year - 2
    partitions.ensure(partitions._SPECS["radio_playlog"], today=datetime.date(y, 1, 10))  # y-01 … y-04
    old = [PlayLog.objects.create(cluster=cluster, item_key="k", status="played",
                                  received_at=datetime.datetime(y, m, 5, tzinfo=utc)) for m in (1, 2, 3)]
    kept = PlayLog.objects.create(cluster=cluster, item_key="k", status="played")
    assert where("radio_playlog", old[0].pk) == f"radio_playlog_p{y}_01"
    assert where("radio_playlog", kept.pk) == f"radio_playlog_p{today:%Y_%m}"
    # 12 months kept: the months of two years ago go, this month's stays
    gone = [f"radio_playlog_p{y}_{m:02d}" for m in (1, 2, 3, 4)]
    assert partitions.old_partitions("radio_playlog", 12, today=today) == gone
    settings.PLAYLOG_RETENTION_MONTHS = 12
    done = partitions.archive_all(today=today)["radio_playlog"]  # the nightly task's call
    assert [(d["partition"], d["rows"]) for d in done] == list(zip(gone, (1, 1, 1, 0)))
    names = {p["name"] for p in partitions.partitions("radio_playlog")}
    assert not names & set(gone) and f"radio_playlog_p{today:%Y_%m}" in names
    assert list(PlayLog.objects.values_list("pk", flat=True)) == [kept.pk]
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM pg_class WHERE relname = %s", [gone[0]])
        assert c.fetchone()[0] == 0  # dropped once dumped
    # the dump holds the partition's table and its row, restorable with pg_restore
    dump = partitions.archive_dir() / f"{gone[0]}.dump"
    assert done[0]["file"] == str(dump)
    listing = subprocess.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True).stdout
    assert f"TABLE DATA public {gone[0]}" in listing
    assert partitions.archive("radio_playlog", 12, to_dir=tmp_path, today=today) == []  # nothing left to do
    with pytest.raises(partitions.ArchiveError):
        partitions.archive("radio_playlog", 0, to_dir=tmp_path, today=today)
    from django.db import transaction

    partitions.ensure(partitions._SPECS["radio_playlog"], today=datetime.date(y, 1, 10))
    with transaction.atomic(), pytest.raises(partitions.ArchiveError, match="inside a transaction"):
        partitions.archive("radio_playlog", 12, to_dir=tmp_path, today=today)
    assert f"radio_playlog_p{y}_01" in {p["name"] for p in partitions.partitions("radio_playlog")}  # untouched
    assert len(partitions.archive("radio_playlog", 12, to_dir=tmp_path, today=today)) == 4  # outside: done


@PG
@pytest.mark.django_db(transaction=True)
def test_the_migration_converts_tables_holding_rows_and_back(people, users):
    """Unapply the visits' partition migration (plain tables again), write rows, apply it: every row and id kept,
    partitioned, the id sequence continues, the unique uuid holds."""
    from django.db.migrations.executor import MigrationExecutor

    from ngoso.visits import services
    from ngoso.visits.models import SkillRecord, Visit
    from ngoso.visits.services import SkillResult

    def migrate(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([target])

    migrate(("visits", "0003_no_constraints_into_history"))
    try:
        assert not partitions.is_partitioned("visits_visit") and not partitions.is_partitioned("visits_skillrecord")
        with connection.cursor() as c:
            c.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'visits_visit_pkey'")
            assert c.fetchone()[0] == "PRIMARY KEY (id)"
        ids = []
        for day in (datetime.date(2020, 3, 1), datetime.date(2025, 8, 9), timezone.localdate()):
            v, _ = services.record_visit(users.member, people.h1, visited_on=day, present=[people.r1.pk],
                                         results=[SkillResult(people.r1.pk, "zalo-messaging", 1)])
            ids.append(v.pk)
        before = sorted(Visit.objects.values_list("pk", "uuid", "visited_on"))
        records = sorted(SkillRecord.objects.values_list("pk", "uuid", "visit_id"))
    finally:
        migrate(("visits", "0004_partitioned_history"))
    assert partitions.is_partitioned("visits_visit") and partitions.is_partitioned("visits_skillrecord")
    assert sorted(Visit.objects.values_list("pk", "uuid", "visited_on")) == before
    assert sorted(SkillRecord.objects.values_list("pk", "uuid", "visit_id")) == records
    assert where("visits_visit", ids[0]) == "visits_visit_default"  # more than 5 years before this one: a stray
    assert where("visits_visit", ids[1]) == "visits_visit_p2025"
    with connection.cursor() as c:
        c.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'visits_visit_pkey'")
        assert c.fetchone()[0] == "PRIMARY KEY (id, visited_on)"
        c.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'visits_visit' "
                  "AND indexname = 'visits_visi_househo_bf2f65_idx'")
        assert c.fetchone()[0] == 1  # Django's index names kept
    v, created = services.record_visit(users.member, people.h1, visited_on=timezone.localdate(),
                                       present=[people.r1.pk])
    assert created and v.pk > max(ids)


@pytest.mark.django_db(transaction=True)
def test_the_command_lists_makes_ahead_and_archives(capsys, tmp_path):
    from ngoso.cli import main

    assert main(["partitions", "--ahead", "--archive", "24", "--to", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    if connection.vendor != "postgresql":
        assert "SQLite" in out
        return
    year = timezone.localdate().year
    assert f"visits_visit_p{year}" in out and "radio_playlog_default" in out
    assert "nothing older than 24 months" in out
    assert main(["partitions", "--archive", "0"]) == 2  # refused, with its reason
    assert "at least 1" in capsys.readouterr().err
