"""Counters without contention (issue 20, item 2) and figures that do not grow with the area (item 5).

Writes append deltas; the roll-up folds them exactly once, in (place, key) order, one at a time; reads add
the pending ones; a rebuild cooperates with them. Run on SQLite and on PostgreSQL (NGOSO_DATABASE_URL)."""

from __future__ import annotations

import datetime
import random
import re
import threading
import uuid

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from ngoso.insights import counters, dashboard
from ngoso.insights.models import CounterDelta, PlaceCounter
from ngoso.people.models import Ethnicity, Household, Resident
from ngoso.places.services import add_village
from ngoso.visits import services
from ngoso.visits.services import SkillResult, VisitIn
from tests import factories

TODAY = datetime.date.today()


def _stored() -> set:
    return set(PlaceCounter.objects.exclude(value=0).values_list("place_id", "key", "value"))


def _all_places(area) -> list:
    return [area.va1, area.va2, area.vb1, area.a, area.b, area.province, area.old_commune, area.old_commune2,
            area.old_district, area.old_province]


def _figures(area) -> dict:
    """Every counter of every place of the area, as a dashboard reads them (stored + pending)."""
    got = counters.read([p.pk for p in _all_places(area)])
    return {pid: dict(c) for pid, c in got.items()}


def assert_counters_equal_a_recount():
    """Roll up, then the stored counters equal a rebuild from the records, row by row."""
    counters.roll_up(wait=True)
    assert not CounterDelta.objects.exists()
    kept = _stored()
    counters.rebuild()
    assert _stored() == kept


def grow(area, villages: int, households: int = 2, prefix: str = "G") -> list[Household]:
    """``villages`` more villages in commune A (half of them formerly in the old commune), each with
    ``households`` households of one resident."""
    kinh = Ethnicity.objects.get(code="01")
    out = []
    for v in range(villages):
        village = add_village(area.a, f"Thôn {prefix}{v:03d}", former_commune=area.old_commune if v % 2 else None)
        for h in range(households):
            hh = Household.objects.create(code=f"{prefix}{v:03d}-{h}", village=village,
                                          poverty_status="poor" if h % 3 == 0 else "")
            Resident.objects.create(household=hh, full_name=f"Người {v}-{h}", sex="female" if h % 2 else "male",
                                    birth_year=1940 + (v + h) % 60, ethnicity=kinh, relation="head")
            out.append(hh)
    return out


# --- a write appends, a read adds, the roll-up folds -----------------------------------------------------------

def test_a_visit_shows_on_every_level_before_the_roll_up_and_touches_no_counter_row(people, users, area):
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    before_rows, before = _stored(), _figures(area)
    services.record_visit(users.member, people.h1, visited_on=TODAY, present=[people.r1.pk],
                          results=[SkillResult(people.r1.pk, "zalo-messaging", 2)])
    assert _stored() == before_rows  # no counter row written by the visit: only deltas appended
    assert CounterDelta.objects.exists()
    after = _figures(area)
    for place in (area.va1, area.a, area.province, area.old_commune, area.old_district, area.old_province):
        assert after[place.pk]["v"] == before.get(place.pk, {}).get("v", 0) + 1, place.code
        assert dashboard.dashboard(place)["visits"]["total"] == after[place.pk]["v"], place.code
    assert after[area.va1.pk]["lastv"] == TODAY.toordinal() and after[area.va1.pk]["vrecent"] == 1
    assert after[area.province.pk]["vrecent"] == 1
    assert "v" not in after.get(area.b.pk, {})
    assert counters.roll_up() > 0
    assert not CounterDelta.objects.exists() and _figures(area) == after  # folded: the same figures
    assert_counters_equal_a_recount()


def test_an_interrupted_roll_up_loses_and_doubles_nothing(people, users, area, monkeypatch):
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    services.record_visit(users.member, people.h1, visited_on=TODAY, present=[people.r1.pk],
                          results=[SkillResult(people.r1.pk, "zalo-messaging", 2)])
    rows, pending, figures = _stored(), CounterDelta.objects.count(), _figures(area)

    class Broken(dict):
        def __getitem__(self, op):
            if op == CounterDelta.MAX:  # after the additions were written, before lastv
                raise RuntimeError("the worker died midway")
            return super().__getitem__(op)

    monkeypatch.setattr(counters, "_UPSERT", Broken(counters._UPSERT))
    with pytest.raises(RuntimeError):
        counters.roll_up()
    assert _stored() == rows and CounterDelta.objects.count() == pending and _figures(area) == figures
    monkeypatch.undo()
    assert counters.roll_up() == pending
    assert _figures(area) == figures
    assert_counters_equal_a_recount()


def test_a_correction_lowering_the_latest_visit_is_a_set_delta(people, users, area):
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    early = TODAY - datetime.timedelta(days=50)
    visit, _ = services.record_visit(users.member, people.h1, visited_on=TODAY, present=[people.r1.pk])
    assert _figures(area)[area.va1.pk]["lastv"] == TODAY.toordinal()
    services.correct_visit(users.member, visit, visited_on=early)
    got = _figures(area)
    assert got[area.va1.pk]["lastv"] == early.toordinal() and not got[area.va1.pk].get("vrecent")
    assert not got[area.province.pk].get("vrecent")
    assert_counters_equal_a_recount()


def test_a_rebuild_with_pending_deltas_counts_each_write_once(people, users, area):
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    services.record_visit(users.member, people.h1, visited_on=TODAY, present=[people.r1.pk],
                          results=[SkillResult(people.r1.pk, "zalo-messaging", 2)])
    figures = _figures(area)
    assert CounterDelta.objects.exists()
    counters.rebuild()  # saw the visit: its pending deltas go with the old counters
    assert not CounterDelta.objects.exists() and _figures(area) == figures
    # the new year's switch is a rebuild: the same
    services.record_visit(users.member, people.h2 if False else people.h1, visited_on=TODAY,
                          present=[people.r2.pk])
    figures = _figures(area)
    from ngoso.insights.models import CounterState
    CounterState.objects.update(year=TODAY.year - 1)
    assert counters.switch_year() is True
    assert _figures(area) == figures
    assert_counters_equal_a_recount()


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_during_a_rebuild_is_not_lost(people, users, area, monkeypatch):
    """The rebuild reads one snapshot (PostgreSQL) or holds the write lock (SQLite): a visit committed while it
    counts keeps its deltas pending, folded on top of the rebuilt counters."""
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    counting, written = threading.Event(), threading.Event()
    real = counters.village_counters

    def slow(ids, year=None):
        out = real(ids, year)
        counting.set()
        written.wait(3)  # SQLite: the writer waits for the rebuild's write lock, so this times out
        return out

    monkeypatch.setattr(counters, "village_counters", slow)
    errors = []

    def rebuild():
        try:
            counters.rebuild()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    t = threading.Thread(target=rebuild)
    t.start()
    assert counting.wait(10)
    monkeypatch.setattr(counters, "village_counters", real)
    services.record_visit(users.member, people.h1, visited_on=TODAY, present=[people.r1.pk],
                          results=[SkillResult(people.r1.pk, "bank-app", 1)])
    written.set()
    t.join(30)
    assert not errors
    assert counters.counters(area.province)["v"] == 1 and counters.counters(area.va1)["sk:%d:1" % _skill("bank-app")] == 1
    assert_counters_equal_a_recount()


def _skill(code):
    from ngoso.skills.models import Skill

    return Skill.objects.get(catalogue__is_current=True, code=code).pk


def test_villages_without_a_recent_visit_are_a_counter_kept_daily(people, users, area, monkeypatch):
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    services.record_visit(users.member, people.h1, visited_on=TODAY - datetime.timedelta(days=25),
                          present=[people.r1.pk])
    d = dashboard.dashboard(area.a)
    assert d["villages"] == 2 and d["villages_without_recent_visit_count"] == 1
    assert [v["code"] for v in d["villages_without_recent_visit"]] == [area.va2.code]
    assert d["villages_without_team_count"] == 1 and [v["code"] for v in d["villages_without_team"]] == [area.va2.code]
    assert counters.refresh_recent() == 0  # nothing changed today
    # ten days later the visit is 35 days old: the daily run takes the village out, on every level
    later = TODAY + datetime.timedelta(days=10)
    real = counters._cutoff
    monkeypatch.setattr(counters, "_cutoff", lambda today=None: real(today or later))
    assert counters.refresh_recent(later) == 1
    d = dashboard.dashboard(area.province, today=later)
    assert d["villages_without_recent_visit_count"] == 3
    assert {v["code"]: v["last_visit"] for v in d["villages_without_recent_visit"]}[area.va1.code] == \
        (TODAY - datetime.timedelta(days=25)).isoformat()
    assert counters.refresh_recent(later) == 0
    assert_counters_equal_a_recount()  # the rebuild counts with the same "today"


# --- many syncs of one province at once (PostgreSQL) ----------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_syncs_of_one_province_no_deadlock_and_counters_equal_a_recount(people, users, area):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite runs one writer at a time")
    factories.village_team(area, users, leader=False)
    households = grow(area, villages=16, households=4) + [people.h1, people.h2, people.h3]
    counters.rebuild()
    residents = dict(Resident.objects.filter(household__in=households).values_list("household_id", "id"))
    THREADS, VISITS, BATCH = 8, 50, 5
    errors, statuses = [], []
    done = threading.Event()

    def sync(n):
        rng = random.Random(n)
        try:
            for b in range(VISITS // BATCH):
                batch = rng.sample(households, BATCH)  # villages of both communes, in no fixed order
                items = [VisitIn(h.code, TODAY - datetime.timedelta(days=rng.randrange(60)), present=[residents[h.pk]],
                                 results=[SkillResult(residents[h.pk], rng.choice(["zalo-messaging", "bank-app"]),
                                                      rng.randrange(3))], uuid=uuid.uuid4()) for h in batch]
                statuses.extend(o.status for o in services.record_visits(users.province, items))
        except Exception as exc:  # noqa: BLE001 - a deadlock or any error fails the test below
            errors.append(exc)
        finally:
            connections.close_all()

    def roll_ups():  # two workers folding at the same time as the syncs
        try:
            while not done.is_set():
                counters.roll_up()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    folders = [threading.Thread(target=roll_ups) for _ in range(2)]
    syncs = [threading.Thread(target=sync, args=(n,)) for n in range(THREADS)]
    for t in folders + syncs:
        t.start()
    for t in syncs:
        t.join(300)
    done.set()
    for t in folders:
        t.join(60)
    assert not errors, errors
    assert statuses.count("created") == THREADS * VISITS
    figures = counters.counters(area.province)
    assert figures["v"] == THREADS * VISITS
    assert_counters_equal_a_recount()
    assert counters.counters(area.province) == figures


# --- figures that do not grow with the area -------------------------------------------------------------------

RAW = ("people_household", "people_resident", "visits_visit", "visits_residentskill", "visits_skillrecord")


def _longest_in_list(sql: str) -> int:
    return max((len(m.split(",")) for m in re.findall(r" IN \(([^()]*)\)", sql)), default=0)


def test_place_pages_and_dashboards_cost_the_same_queries_for_a_larger_area(people, users, area, login):
    factories.village_team(area, users, leader=False)
    counters.rebuild()
    client = login(users.province)
    urls = [f"/places/{p.code}/" for p in (area.province, area.a, area.old_district, area.old_commune)] + \
           [f"/places/{p.code}/dashboard/" for p in (area.province, area.a, area.old_district)] + \
           [f"/api/v1/places/{area.province.code}/indicators"]

    def measure():
        out, longest = {}, {}
        for url in urls:
            client.get(url)  # warm caches (the skill catalogue, sessions)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, url
            out[url] = len(ctx.captured_queries)
            longest[url] = max(_longest_in_list(q["sql"]) for q in ctx.captured_queries)
            if "/dashboard/" not in url and "/api/" not in url:  # a place's page reads counters, never records
                assert not [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in RAW)], url
        return out, longest

    small, small_in = measure()
    grow(area, villages=60, households=2)
    counters.rebuild()
    services.record_visit(users.province, Household.objects.get(code="G001-0"), visited_on=TODAY,
                          present=[Resident.objects.get(household__code="G001-0").pk])  # pending deltas too
    large, large_in = measure()
    assert large == small  # as many queries for 63 villages as for 3
    assert max(large.values()) <= 40
    # above a commune no list of ids grows with the villages: the children shown (2 communes) or the villages
    # named (LISTED at most); a commune's pages list its villages, one id each
    above = {u: n for u, n in large_in.items() if f"/{area.a.code}/" not in u and f"/{area.old_commune.code}/" not in u}
    assert max(above.values()) <= dashboard.LISTED, large_in
    # the figures are the counters: households and residents of the place page = a recount
    page = client.get(f"/places/{area.province.code}/")
    assert page.context["stats"]["households"] == Household.objects.count()
    assert page.context["stats"]["residents"] == Resident.objects.filter(status="").count()
    assert {c.code: c.counts["households"] for c in page.context["children"]} == {
        area.a.code: Household.objects.filter(village__parent=area.a).count(),
        area.b.code: Household.objects.filter(village__parent=area.b).count()}
    d = dashboard.dashboard(area.province)
    assert d["villages_without_team_count"] == 62 and len(d["villages_without_team"]) == dashboard.LISTED
    assert d["villages_without_recent_visit_count"] == 62


def test_a_village_team_created_or_closed_moves_vteam_on_every_level(people, users, area):
    counters.rebuild()
    assert dashboard.dashboard(area.province)["villages_without_team_count"] == 3
    factories.village_team(area, users, leader=False)
    d = dashboard.dashboard(area.province)
    assert d["villages_with_team"] == 1 and d["villages_without_team_count"] == 2
    assert area.va1.code not in [v["code"] for v in d["villages_without_team"]]
    from ngoso.teams.models import Team

    team = Team.objects.get(place=area.va1)
    team.active = False
    team.save()
    assert dashboard.dashboard(area.a)["villages_without_team_count"] == 2
    assert_counters_equal_a_recount()


def test_the_schedule_folds_the_deltas(people, users, area):
    from ngoso.core import jobs

    factories.village_team(area, users, leader=False)
    counters.rebuild()
    services.record_visit(users.member, people.h1, visited_on=TODAY, present=[people.r1.pk])
    pending = CounterDelta.objects.count()
    assert pending
    run = jobs.run_periodic("counters_roll_up")
    assert run.status == "done" and run.result == {"folded": pending}
    assert not CounterDelta.objects.exists()
    assert jobs.run_periodic("counters_recent", now=jobs.timezone.now()).result == {"villages": 0}
