"""Insights: reading figures never writes; the year switch is explicit; providers and the one changes mechanism."""

from __future__ import annotations

import datetime
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ngoso.core import changes
from ngoso.insights import counters, dashboard, providers
from ngoso.insights.models import CounterState, PlaceCounter
from ngoso.visits import services
from ngoso.visits.services import SkillResult
from tests import factories

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def _stored():
    return set(PlaceCounter.objects.values_list("place_id", "key", "value"))


def _visit(people, users, area):
    factories.village_team(area, users, leader=False)
    services.record_visit(users.member, people.h1, visited_on=timezone.localdate(),
                          results=[SkillResult(people.r1.pk, "zalo-messaging", 2)])


def test_a_dashboard_get_on_1_january_writes_nothing_and_answers_promptly(people, users, area, login):
    _visit(people, users, area)  # the counters are built, for this year
    this_year = timezone.localdate().year
    CounterState.objects.update(year=this_year - 1)  # the first request of a new year: the switch has not run
    stored = _stored()
    client = login(users.commune_a)
    for url in (f"/places/{area.a.code}/dashboard/", f"/places/{area.a.code}/dashboard.xlsx",
                f"/api/v1/places/{area.a.code}/indicators"):
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            response = client.get(url)
            took = time.perf_counter() - t
        assert response.status_code == 200, url
        assert _writes(ctx.captured_queries) == [], url
        assert len(ctx.captured_queries) < 60 and took < 5, url
    assert _stored() == stored and CounterState.objects.get().year == this_year - 1
    # the year switch is an explicit step (scheduled), not a side effect of reading
    assert counters.prepare_year(this_year) is True
    assert CounterState.objects.get().year == this_year
    assert counters.switch_year() is False  # already done: nothing to do


def test_counters_never_built_are_computed_for_a_read_without_storing_them(people, users, area):
    assert counters.built_for() is None
    with CaptureQueriesContext(connection) as ctx:
        province = counters.counters(area.province)
        village = counters.counters(area.va1)
        children = counters.counters_for([area.a.pk, area.b.pk], ["hh", "res", "lastv"])
        data = dashboard.dashboard(area.a)
    assert _writes(ctx.captured_queries) == [] and not PlaceCounter.objects.exists()
    counters.rebuild()
    assert province == counters.counters(area.province) and village == counters.counters(area.va1)
    assert children == counters.counters_for([area.a.pk, area.b.pk], ["hh", "res", "lastv"])
    assert dashboard.dashboard(area.a) == data
    assert province["hh"] == 3 and province["res"] == 4


def test_a_write_in_a_new_year_rebuilds_before_adding_to_the_counters(people, users, area):
    _visit(people, users, area)
    CounterState.objects.update(year=timezone.localdate().year - 1)
    services.record_visit(users.member, people.h1, visited_on=timezone.localdate() - datetime.timedelta(days=1),
                          results=[SkillResult(people.r2.pk, "zalo-messaging", 1)])
    assert counters.built_for() == timezone.localdate().year
    counters.roll_up()  # the writes' deltas folded into the stored counters
    kept = _stored()
    counters.rebuild()
    assert _stored() == kept


def test_providers_add_their_figures_to_the_dashboard_in_order(people, area, monkeypatch):
    monkeypatch.setattr(providers, "_providers", dict(providers._providers))
    seen = []
    providers.register("extra", lambda place, today, households, children: seen.append(households) or {"n": 7})
    data = dashboard.dashboard(area.a)
    assert list(data)[-2:] == ["livelihoods", "extra"] and data["extra"] == {"n": 7} and seen == [data["households"]]
    assert ("extra.n", 7) in dashboard.flatten(data)


def test_people_changes_reach_every_receiver_in_the_writers_transaction(people, users, area, monkeypatch):
    from ngoso.people.services import erase_resident
    from ngoso.visits.models import HouseholdStatus

    _visit(people, users, area)
    before_stamp = providers.stamp()
    heard = []
    monkeypatch.setitem(changes._receivers, changes.PEOPLE,
                        [*changes._receivers[changes.PEOPLE], lambda **kw: heard.append(kw)])
    erase_resident(people.r3, done_by=users.commune_a)  # H2 had only r3: the household goes
    assert heard == [{"household_ids": set(), "village_ids": {area.va2.pk}}]
    assert providers.stamp() != before_stamp  # livelihoods' cached figures are stale
    assert counters.counters(area.va2)["hh"] == 0 and counters.counters(area.a)["hh"] == 1
    assert HouseholdStatus.objects.filter(household__code="H2").count() == 0
