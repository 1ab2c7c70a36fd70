"""Sync API: device tokens, idempotent pushes, per-record errors, conflicts, resumable pulls, faults."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.test import Client

from ngoso.accounts.models import AuditEntry
from ngoso.people.models import Household
from ngoso.sync.models import DeviceToken, SyncConflict
from ngoso.visits.models import SkillRecord, Visit
from tests import factories

TODAY = datetime.date.today()


@pytest.fixture
def team(people, users, area):
    return factories.village_team(area, users, [people.h1])


@pytest.fixture
def device(team, users):
    dev, token = DeviceToken.issue(users.member, "Redmi 9A")
    return type("D", (), {"dev": dev, "token": token,
                          "client": Client(HTTP_AUTHORIZATION=f"Bearer {token}")})


def visit(people, **kw):
    rec = {"type": "visit", "uuid": str(uuid.uuid4()), "household": "H1", "visited_on": TODAY.isoformat(),
           "present": [str(people.r1.uuid)], "note": "Zalo",
           "results": [{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 2}]}
    rec.update(kw)
    return rec


def push(client, records, **extra):
    body = {"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "records": records, **extra}
    return client.post("/api/v1/sync/push", json.dumps(body), content_type="application/json")


def test_token_is_needed_and_revocable(people, users, device, login):
    assert Client().post("/api/v1/sync/push", "{}", content_type="application/json").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/sync/pull").status_code == 401
    assert device.client.get("/api/v1/sync/pull").status_code == 200
    assert not DeviceToken.objects.filter(token_hash=device.token).exists()  # only the hash is kept
    c = login(users.leader)
    assert c.post(f"/api/v1/sync/devices/{device.dev.pk}/revoke").status_code == 200
    assert device.client.get("/api/v1/sync/pull").status_code == 401
    # a leader of another commune cannot revoke
    dev2, _ = DeviceToken.issue(users.member, "x")
    assert login(users.commune_b).post(f"/api/v1/sync/devices/{dev2.pk}/revoke").status_code == 403


def test_issue_token_from_the_web_session(team, users, login):
    c = login(users.member)
    r = c.post("/api/v1/sync/devices", json.dumps({"name": "Điện thoại của Viên"}), content_type="application/json")
    assert r.status_code == 201 and len(r.json()["token"]) > 30
    assert login(users.viewer).post("/api/v1/sync/devices", "{}", content_type="application/json").status_code == 403


def test_same_batch_three_times_counts_once(people, device):
    batch = [visit(people), visit(people, results=[{"resident": str(people.r2.uuid), "skill": "video-calls",
                                                    "level": 1}])]
    first = push(device.client, batch).json()
    assert first["counts"] == {"created": 2, "duplicate": 0, "rejected": 0}
    for _ in range(2):
        again = push(device.client, batch).json()
        assert again["counts"] == {"created": 0, "duplicate": 2, "rejected": 0}
    assert Visit.objects.count() == 2 and SkillRecord.objects.count() == 2
    assert Visit.objects.filter(source="sync").count() == 2


def test_bad_records_are_rejected_one_by_one_and_good_ones_kept(people, device):
    good = visit(people)
    batch = [
        good,
        visit(people, household="NOPE"),                       # unknown household
        visit(people, household="H3"),                         # outside the member's area
        visit(people, visited_on="2026-02-31"),                # not a date
        visit(people, results=[{"resident": str(people.r3.uuid), "skill": "zalo-messaging", "level": 2}]),
        visit(people, results=[{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 9}]),
        {"type": "visit", "uuid": "not-a-uuid"},
        {"type": "spaceship", "uuid": str(uuid.uuid4())},
        "just a string",
    ]
    res = push(device.client, batch).json()
    assert res["counts"] == {"created": 1, "duplicate": 0, "rejected": 8}
    by_index = {r["index"]: r for r in res["results"]}
    assert by_index[0]["status"] == "created"
    assert "NOPE" in by_index[1]["error"] and by_index[1]["error_en"]
    assert by_index[2]["field"] == "household"
    assert by_index[3]["field"] == "visited_on"
    assert by_index[4]["field"] == "resident" and by_index[5]["field"] == "level"
    assert by_index[6]["field"] == "uuid"
    assert Visit.objects.count() == 1


@pytest.mark.parametrize("body, status, words", [
    (b'{"sent_at": "2026-11-28T10:00:00Z", "records": [{"type": "visit", "uu', 400, "JSON"),
    (b"\xff\xfe", 400, "UTF-8"),
    (b"", 400, "trống"),
    (b'{"records": 5}', 400, "records"),
    (json.dumps({"records": [{}] * 1001}).encode(), 413, "1000"),
])
def test_broken_requests_get_a_clear_error(device, body, status, words):
    r = device.client.post("/api/v1/sync/push", body, content_type="application/json")
    assert r.status_code == status and words in r.json()["error"] and r.json()["error_en"]
    assert Visit.objects.count() == 0


def test_a_clock_days_off_is_corrected_and_reported(people, device):
    phone_now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    rec = visit(people, visited_on=(TODAY - datetime.timedelta(days=3)).isoformat())
    body = {"sent_at": phone_now.isoformat(), "records": [rec]}
    res = device.client.post("/api/v1/sync/push", json.dumps(body), content_type="application/json").json()
    assert res["clock_skew_days"] == 3 and "lệch 3 ngày" in res["warning"]
    assert Visit.objects.get().visited_on == TODAY
    # and a phone in the future is not taken as a visit in the future
    ahead = {"sent_at": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=5)).isoformat(),
             "records": [visit(people, visited_on=(TODAY + datetime.timedelta(days=5)).isoformat())]}
    res = device.client.post("/api/v1/sync/push", json.dumps(ahead), content_type="application/json").json()
    assert res["counts"]["created"] == 1 and res["clock_skew_days"] == -5
    assert Visit.objects.filter(visited_on=TODAY).count() == 2


def test_server_killed_mid_batch_loses_nothing_and_counts_nothing_twice(people, device, monkeypatch):
    from ngoso.insights import counters as indicators

    batch = [visit(people) for _ in range(5)]
    real = indicators.add_household_delta

    def crash(*a, **k):
        raise SystemExit("killed")  # the process dies after the rows were inserted, before commit

    monkeypatch.setattr(indicators, "add_household_delta", crash)
    with pytest.raises(SystemExit):
        push(device.client, batch)
    assert Visit.objects.count() == 0 and SkillRecord.objects.count() == 0  # rolled back whole
    monkeypatch.setattr(indicators, "add_household_delta", real)
    assert push(device.client, batch).json()["counts"]["created"] == 5
    assert push(device.client, batch).json()["counts"]["duplicate"] == 5
    assert Visit.objects.count() == 5


def test_edits_resolve_field_by_field_a_changed_field_waits_for_the_leader(people, users, device, team):
    from ngoso.sync import services
    from ngoso.sync.models import DeviceToken as D

    other, token2 = D.issue(users.leader, "phone 2")
    c2 = Client(HTTP_AUTHORIZATION=f"Bearer {token2}")
    e1 = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1",
          "changes": {"phone": {"from": "0912345678", "to": "0977000111"}, "has_tv": {"from": False, "to": True}}}
    e2 = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1",
          "changes": {"phone": {"from": "0912345678", "to": "0988000222"}, "alley": {"from": "3", "to": "5"}}}
    assert push(device.client, [e1]).json()["results"][0]["status"] == "created"
    r2 = push(c2, [e2]).json()["results"][0]
    assert r2["status"] == "created" and r2["conflicts"] == ["phone"]
    h = Household.objects.get(code="H1")
    # the phone changed on the server since the second phone's pull: not overwritten; other fields both kept
    assert (h.phone, h.has_tv, h.alley) == ("0977000111", True, "5")
    conflict = SyncConflict.objects.get()
    assert (conflict.status, conflict.base, conflict.theirs, conflict.mine) == (
        "pending", "0912345678", "0977000111", "0988000222")
    assert not AuditEntry.objects.filter(model="people.Household", changes__phone=["0977000111", "0988000222"]).exists()
    assert push(c2, [e2]).json()["results"][0]["status"] == "duplicate"
    assert SyncConflict.objects.count() == 1  # sent again: nothing twice
    # the leader picks the second phone's value: written, audited, the decision recorded
    services.resolve_conflict(users.leader, conflict, "mine")
    h.refresh_from_db()
    conflict.refresh_from_db()
    assert h.phone == "0988000222" and (conflict.status, conflict.resolved_by) == ("mine", users.leader.username)
    assert AuditEntry.objects.filter(model="people.Household", action="update", user=users.leader,
                                     changes__phone=["0977000111", "0988000222"]).exists()
    assert AuditEntry.objects.filter(model="sync.SyncConflict", action="update", user=users.leader,
                                     changes__status=["pending", "mine"]).exists()
    bad = dict(e1, uuid=str(uuid.uuid4()), changes={"poverty_status": {"to": "poor"}})
    assert push(device.client, [bad]).json()["results"][0]["status"] == "rejected"


def test_pull_is_scoped_chunked_and_resumable(people, users, device, area):
    from ngoso.people.models import Ethnicity, Resident

    from ngoso.visits.models import Assignment

    kinh = Ethnicity.objects.get(code="01")
    for i in range(25):
        h = Household.objects.create(code=f"P{i:02d}", village=area.va1)
        Resident.objects.create(household=h, full_name=f"Người {i}", sex="male", birth_year=1980, ethnicity=kinh,
                                relation="head")
        Assignment.objects.create(household=h, member=users.member.member, started_on=TODAY)
    Household.objects.create(code="U1", village=area.va1)  # in the village, assigned to nobody: stays off the phone
    seen, cursor, pages = [], "", 0
    while True:
        r = device.client.get("/api/v1/sync/pull", {"cursor": cursor, "limit": 10}).json()
        seen += [h["code"] for h in r["households"]]
        cursor, pages = r["cursor"], pages + 1
        if pages == 2:
            resume_from = cursor  # the link drops here; the phone kept this cursor
            break
    r = device.client.get("/api/v1/sync/pull", {"cursor": resume_from, "limit": 10}).json()
    while True:
        seen += [h["code"] for h in r["households"]]
        if r["complete"]:
            break
        r = device.client.get("/api/v1/sync/pull", {"cursor": r["cursor"], "limit": 10}).json()
    assert sorted(seen) == sorted(["H1"] + [f"P{i:02d}" for i in range(25)])  # the member's own only, each once
    assert "H3" not in seen and "H2" not in seen and "U1" not in seen
    assert r["assigned"] == sorted(["H1"] + [f"P{i:02d}" for i in range(25)]) and r["catalogue"]["version"] and len(r["catalogue"]["skills"]) >= 24
    h1 = device.client.get("/api/v1/sync/pull", {"limit": 100}).json()["households"][0]
    assert h1["assigned_to_me"] and h1["reasons_vi"] and h1["residents"][0]["uuid"]
    # next round: only what changed
    done_cursor = r["cursor"]
    again = device.client.get("/api/v1/sync/pull", {"cursor": done_cursor, "catalogue_version": r["catalogue"]["version"]}).json()
    assert again["households"] == [] and again["catalogue"] is None
    Resident.objects.filter(household__code="P07").update(full_name="Người Bảy")
    Household.objects.filter(code="P07").update(updated_at=datetime.datetime.now(datetime.timezone.utc))
    changed = device.client.get("/api/v1/sync/pull", {"cursor": done_cursor}).json()
    assert [h["code"] for h in changed["households"]] == ["P07"]
    bad = device.client.get("/api/v1/sync/pull", {"cursor": "garbage!!"})
    assert bad.status_code == 400 and "con trỏ" in bad.json()["error"].lower()


def test_openapi_documents_sync(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/sync/push" in paths and "/api/v1/sync/pull" in paths
