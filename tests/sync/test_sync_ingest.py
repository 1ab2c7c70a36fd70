"""The set-based ingest path of sync (issue 4, point 7): batches with duplicates, mixed good and bad records,
many villages, a duplicate committed by another request mid-batch; derived data equal to a full recompute;
the pull's change query; the SQLite writer queue and the WAL checkpointer."""

from __future__ import annotations

import datetime
import threading
import time
import uuid

import pytest

from ngoso.people.models import Ethnicity, Household, Resident
from ngoso.insights import counters as indicators
from ngoso.insights.models import PlaceCounter
from ngoso.visits import services
from ngoso.visits.models import HouseholdStatus, ResidentSkill, SkillRecord, Visit
from ngoso.visits.status import household_status_refresh
from ngoso.visits.services import SkillResult, VisitIn
from tests import factories

TODAY = datetime.date.today()


def counters():
    indicators.roll_up()  # the writes' deltas folded into the stored counters
    return set(PlaceCounter.objects.values_list("place_id", "key", "value"))


def statuses():
    return set(HouseholdStatus.objects.values_list("household_id", "last_visit_on", "next_visit_on", "visits", "basic5"))


def assert_derived_data_equals_a_full_recompute():
    """Counters, household status and current levels kept incrementally = recomputed from the records."""
    kept_counters, kept_status = counters(), statuses()
    kept_levels = set(ResidentSkill.objects.values_list("resident_id", "skill_id", "level", "observed_on"))
    household_status_refresh(list(Household.objects.values_list("id", flat=True)))
    kept_ids = {row[0] for row in kept_status}
    assert {row for row in statuses() if row[0] in kept_ids} == kept_status
    assert all(row[3] == 0 for row in statuses() if row[0] not in kept_ids)  # only never-visited ones lacked a row
    indicators.rebuild()
    assert counters() == kept_counters
    services.derive_levels(set(SkillRecord.objects.values_list("resident_id", "skill_id")))
    assert set(ResidentSkill.objects.values_list("resident_id", "skill_id", "level", "observed_on")) == kept_levels


@pytest.fixture
def team(people, users, area):
    return factories.village_team(area, users, leader=False)


@pytest.fixture
def village_households(area, people):
    """Households in both villages of commune A (and one outside it, in commune B)."""
    kinh = Ethnicity.objects.get(code="01")
    out = []
    for i in range(12):
        village = area.va1 if i % 2 else area.va2
        h = Household.objects.create(code=f"M{i:02d}", village=village, poverty_status="poor" if i % 3 == 0 else "")
        r = Resident.objects.create(household=h, full_name=f"Người {i}", sex="female" if i % 2 else "male",
                                    birth_year=1950 + i, ethnicity=kinh, relation="head")
        out.append((h, r))
    return out


def test_duplicates_inside_one_batch_are_stored_once(people, users, team):
    u = uuid.uuid4()
    item = dict(visited_on=TODAY, present=[people.r1.pk], results=[SkillResult(people.r1.pk, "zalo-messaging", 2)])
    out = services.record_visits(users.member, [
        VisitIn("H1", uuid=u, **item), VisitIn("H1", uuid=u, **item),
        VisitIn("H1", uuid=uuid.uuid4(), visited_on=TODAY, results=[SkillResult(people.r2.pk, "bank-app", 1)])])
    assert [o.status for o in out] == ["created", "duplicate", "created"]
    assert Visit.objects.count() == 2 and SkillRecord.objects.count() == 2
    assert out[0].visit.uuid == u and out[0].visit.present.get() == people.r1
    assert HouseholdStatus.objects.get(household=people.h1).visits == 2
    assert_derived_data_equals_a_full_recompute()


def test_a_batch_over_many_villages_mixing_good_and_bad_records(people, users, team, area, village_households):
    # an earlier visit with a later date than the batch's backdated one: it stays the household's latest
    services.record_visit(users.member, people.h1,
                          visited_on=TODAY, next_visit_on=TODAY + datetime.timedelta(days=10),
                          results=[SkillResult(people.r1.pk, "zalo-messaging", 1)], today=TODAY)
    assert not HouseholdStatus.objects.filter(household__code__startswith="M").exists()  # counted from the records
    from ngoso.accounts.models import User

    walker = User.objects.create(username="xa_walker", role="team_leader", place=area.a)  # a commune-wide leader
    items, expected = [], []
    for i, (h, r) in enumerate(village_households):
        items.append(VisitIn(h.code, TODAY - datetime.timedelta(days=i % 4), present=[r.pk],
                             results=[SkillResult(str(r.uuid), "zalo-messaging", i % 3),
                                      SkillResult(r.pk, "video-calls", 2)],
                             next_visit_on=TODAY + datetime.timedelta(days=7), uuid=uuid.uuid4()))
        expected.append("created")
    items.append(VisitIn("H1", TODAY - datetime.timedelta(days=20), results=[SkillResult(people.r1.pk, "bank-app", 2)],
                         uuid=uuid.uuid4()))
    expected.append("created")
    items += [
        VisitIn("H3", TODAY, uuid=uuid.uuid4()),                                             # other commune
        VisitIn("M01", TODAY, results=[SkillResult(people.r1.pk, "bank-app", 2)], uuid=uuid.uuid4()),  # not in M01
        VisitIn("M02", TODAY + datetime.timedelta(days=9), uuid=uuid.uuid4()),               # in the future
        VisitIn("M04", TODAY, results=[SkillResult(village_households[4][1].pk, "no-such-skill", 2)],
                uuid=uuid.uuid4()),
        VisitIn("M05", TODAY, results=[SkillResult(village_households[5][1].pk, "bank-app", 1)] * 2,
                uuid=uuid.uuid4()),                                                          # same skill twice
    ]
    expected += ["rejected"] * 5
    out = services.record_visits(walker, items, today=TODAY)
    assert [o.status for o in out] == expected
    assert [o.error.field for o in out if o.error] == ["household", "resident", "visited_on", "skill", "skill"]
    assert Visit.objects.count() == 1 + 13 and SkillRecord.objects.count() == 1 + 25
    h1 = HouseholdStatus.objects.get(household=people.h1)
    assert (h1.last_visit_on, h1.next_visit_on, h1.visits) == (TODAY, TODAY + datetime.timedelta(days=10), 2)
    assert HouseholdStatus.objects.get(household__code="M03").visits == 1
    assert indicators.counters(area.va1)["v"] == 8 and indicators.counters(area.va2)["v"] == 6
    assert indicators.counters(area.a)["v"] == 14 and indicators.counters(area.province)["v"] == 14
    assert_derived_data_equals_a_full_recompute()


def test_a_duplicate_committed_by_another_request_mid_batch_is_not_stored_twice(people, users, team, monkeypatch):
    u = uuid.uuid4()
    real = indicators.snapshot

    def other_request_commits_first(*a, **k):
        # the same visit, sent again on a second connection, lands between our check and our insert
        Visit.objects.create(uuid=u, household=people.h1, visited_on=TODAY, source="sync")
        monkeypatch.setattr(indicators, "snapshot", real)
        return real(*a, **k)

    monkeypatch.setattr(indicators, "snapshot", other_request_commits_first)
    out = services.record_visits(users.member, [
        VisitIn("H1", TODAY, results=[SkillResult(people.r1.pk, "zalo-messaging", 2)], uuid=u),
        VisitIn("H1", TODAY, results=[SkillResult(people.r2.pk, "zalo-messaging", 1)], uuid=uuid.uuid4())])
    assert [o.status for o in out] == ["duplicate", "created"]
    assert out[0].visit_id == Visit.objects.get(uuid=u).pk
    assert Visit.objects.count() == 2
    assert list(SkillRecord.objects.values_list("resident_id", flat=True)) == [people.r2.pk]  # none for the dup


def test_insert_visits_skips_stored_uuids_and_returns_the_new_ids(people):
    from django.utils import timezone

    stored = Visit.objects.create(household=people.h1, visited_on=TODAY)
    fresh = uuid.uuid4()
    now = timezone.now()
    ids = services._insert_visits([(u, people.h1.pk, None, None, TODAY, now, None, "", None, "sync")
                                   for u in (stored.uuid, fresh)])
    assert list(ids) == [fresh] and Visit.objects.get(pk=ids[fresh]).uuid == fresh
    assert Visit.objects.count() == 2


def test_pull_since_a_cursor_finds_each_kind_of_change(people, users, team):
    from django.test import Client

    from ngoso.sync.models import DeviceToken

    _, token = DeviceToken.issue(users.member, "phone")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    kinh = Ethnicity.objects.get(code="01")
    for i in range(3):
        h = Household.objects.create(code=f"Q{i}", village=people.h1.village)
        Resident.objects.create(household=h, full_name=f"Q {i}", sex="male", birth_year=1980, ethnicity=kinh,
                                relation="head")
    services.assign(users.leader, [Household.objects.get(code="Q0"), Household.objects.get(code="Q2")], team)
    r = c.get("/api/v1/sync/pull", {"limit": 100}).json()
    assert r["complete"] and len(r["households"]) == 2  # the member's own households only (Q0, Q2)
    since = r["cursor"]
    time.sleep(0.01)
    assert c.get("/api/v1/sync/pull", {"cursor": since}).json()["households"] == []
    services.record_visit(users.member, Household.objects.get(code="Q0"), visited_on=TODAY,       # a visit
                          present=[Resident.objects.get(household__code="Q0").pk])
    services.assign(users.leader, [Household.objects.get(code="Q1")], team)                      # an assignment
    res = Resident.objects.get(household__code="Q2")
    res.phone = "0912000111"
    res.save()                                                                                     # a resident
    got = c.get("/api/v1/sync/pull", {"cursor": since}).json()
    assert sorted(h["code"] for h in got["households"]) == ["Q0", "Q1", "Q2"]
    assert got["assigned"] == ["Q0", "Q1", "Q2"]


@pytest.mark.django_db(transaction=True)
def test_write_transactions_of_one_process_take_turns(people):
    from django.db import connection, transaction

    from ngoso.core.sqlite.base import writer_lock

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    lock = writer_lock(connection.settings_dict["NAME"])
    order, entered, release = [], threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            Household.objects.filter(pk=people.h1.pk).update(alley="A")
            order.append("first in")
            entered.set()
            release.wait(10)
            order.append("first out")

    def second():
        entered.wait(10)
        with transaction.atomic():
            order.append("second in")
            Household.objects.filter(pk=people.h1.pk).update(alley="B")

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    entered.wait(10)
    time.sleep(0.2)
    assert order == ["first in"] and lock.locked()  # the second writer waits on the queue, not on SQLite
    release.set()
    for t in threads:
        t.join(10)
    assert order == ["first in", "first out", "second in"]
    assert Household.objects.get(pk=people.h1.pk).alley == "B"
    assert not lock.locked()
    # a transaction that fails releases its turn too
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        Household.objects.filter(pk=people.h1.pk).update(alley="C")
        1 / 0
    assert not lock.locked() and Household.objects.get(pk=people.h1.pk).alley == "B"


@pytest.mark.django_db(transaction=True)
def test_checkpointer_copies_the_log_back_from_its_own_thread(people):
    from django.db import connection

    from ngoso.core.sqlite.base import Checkpointer

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    Household.objects.filter(pk=people.h1.pk).update(alley="Z")
    ck = Checkpointer(interval=0.05).start()
    deadline = time.time() + 10
    while ck.runs < 2 and time.time() < deadline:
        time.sleep(0.05)
    ck.stop()
    assert ck.runs >= 2 and ck.failures == 0
    busy, log, done = Checkpointer().checkpoint()
    assert busy == 0 and done == log  # nothing holds it back: everything in the log is in the file
