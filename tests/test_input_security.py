"""Input the server does not expect (issue 14, item 7): every bad input gets a clear 4xx answer in JSON (or a
clear row/column error for imports), never a 500, never stored. Each case counts towards
"bad inputs tried and answered clearly" (tests/measure.py)."""

from __future__ import annotations

import base64
import datetime
import io
import json
import time
import uuid
import zipfile

import pytest
from django.test import Client

from ngoso.people.models import Household, Resident
from ngoso.sync.models import DeviceToken
from ngoso.visits.models import Visit
from tests import measure

TODAY = datetime.date.today()
BAD = "bad inputs tried and answered clearly"


def clear_json_error(r, status: int | tuple = (400, 422), words: str = "") -> bool:
    """A 4xx JSON error in the one shape, with a Vietnamese and an English message (containing ``words``)."""
    statuses = (status,) if isinstance(status, int) else status
    ok = r.status_code in statuses and r["Content-Type"].startswith("application/json")
    if ok:
        body = r.json()
        ok = (isinstance(body.get("code"), str) and body.get("message") and body.get("message_en")
              and body.get("error") == body.get("message") and "details" in body
              and words.lower() in (body["message"] + " " + body["message_en"]).lower())
    return measure.tried(BAD, bool(ok))


@pytest.fixture
def team(people, users, area):
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    t = Team.objects.create(place=area.va1, level="village", name="Tổ")
    mem = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    lead = Member.objects.create(place=area.va1, full_name="Lê Văn Tổ", user=users.leader)
    Membership.objects.create(member=mem, team=t, role="member", started_on="2024-01-01")
    Membership.objects.create(member=lead, team=t, role="leader", started_on="2024-01-01")
    services.assign(users.leader, [people.h1], mem)
    return mem


@pytest.fixture
def phone(team, users):
    """The team leader's phone (leaders may edit households and residents)."""
    dev, token = DeviceToken.issue(users.leader, "Redmi 9A")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


def visit(people, **kw):
    rec = {"type": "visit", "uuid": str(uuid.uuid4()), "household": "H1", "visited_on": TODAY.isoformat(),
           "present": [str(people.r1.uuid)], "note": "Zalo",
           "results": [{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 2}]}
    rec.update(kw)
    return rec


def post_raw(client, raw: str | bytes, path="/api/v1/sync/push"):
    return client.post(path, raw, content_type="application/json")


def push(client, records, sent_at=None):
    sent_at = sent_at or datetime.datetime.now(datetime.timezone.utc).isoformat()
    return post_raw(client, json.dumps({"sent_at": sent_at, "records": records}))


def rejected(r, field: str) -> bool:
    """The batch was answered (200) and its one record rejected, naming ``field``, in both languages."""
    ok = r.status_code == 200
    if ok:
        res = r.json()["results"][0]
        ok = res["status"] == "rejected" and res.get("field") == field and res.get("error") and res.get("error_en")
    return measure.tried(BAD, bool(ok))


# --- sync push: dates, numbers, types, nesting -------------------------------------------------------

@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "9999-01-01", "2026-00-10", "20260101", "0001-01-01"])
def test_impossible_visit_dates_are_rejected_by_name(people, phone, value):
    r = push(phone, [visit(people, visited_on=value)])
    assert rejected(r, "visited_on"), r.content[:300]
    r = push(phone, [visit(people, next_visit_on=value)])
    assert rejected(r, "next_visit_on"), r.content[:300]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("value", ["2026-02-30T10:00:00", "2026-13-01T10:00:00Z", "9999-12-31T23:59:59Z",
                                   "yesterday", 12345])
def test_impossible_moments_are_clear_errors(people, phone, value):
    # sent_at: the batch as a whole is refused
    r = post_raw(phone, json.dumps({"sent_at": value, "records": [visit(people)]}))
    assert clear_json_error(r, 400, "sent_at"), r.content[:300]
    # recorded_at: that record is refused
    r = push(phone, [visit(people, recorded_at=value)])
    assert rejected(r, "recorded_at"), r.content[:300]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("raw", [
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"latitude": {"to": 1e400}}}]}',
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"latitude": {"to": NaN}}}]}',
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"longitude": {"to": Infinity}}}]}',
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"longitude": {"to": -Infinity}}}]}',
    '{"records": [], "sent_at": %s}' % ("9" * 5000),
])
def test_non_finite_numbers_are_refused(people, phone, raw):
    r = post_raw(phone, raw.replace("%s", str(uuid.uuid4())) if "%s" in raw else raw)
    assert clear_json_error(r, 400), r.content[:300]
    assert Household.objects.get(code="H1").latitude is None


@pytest.mark.parametrize("field, value", [("latitude", 1e308), ("latitude", 91), ("longitude", -180.5),
                                          ("latitude", "21.0"), ("latitude", True)])
def test_coordinates_out_of_range_or_of_the_wrong_type_are_refused(people, phone, field, value):
    rec = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "changes": {field: {"to": value}}}
    assert rejected(push(phone, [rec]), field)
    assert Household.objects.get(code="H1").latitude is None


def test_coordinates_in_range_are_stored(people, phone):
    rec = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1",
           "changes": {"latitude": {"to": 21.35}, "longitude": {"to": 106}}}
    assert push(phone, [rec]).json()["results"][0]["status"] == "created"
    assert (Household.objects.get(code="H1").latitude, Household.objects.get(code="H1").longitude) == (21.35, 106.0)


@pytest.mark.parametrize("kw, field", [
    ({"results": 5}, "results"), ({"results": "zalo"}, "results"), ({"results": [5]}, "results"),
    ({"results": [{"resident": "x", "skill": "zalo-messaging", "level": "2"}]}, "results"),
    ({"results": [{"resident": {"a": 1}, "skill": "zalo-messaging", "level": 2}]}, "results.resident"),
    ({"present": 7}, "present"), ({"present": [[1]]}, "present"),
    ({"note": {"a": 1}}, "note"), ({"note": 12}, "note"), ({"household": ["H1"]}, "household"),
    ({"visited_on": 20260101}, "visited_on"),
])
def test_wrong_types_are_rejected_by_name(people, phone, kw, field):
    r = push(phone, [visit(people, **kw)])
    assert rejected(r, field), r.content[:300]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_nesting_is_refused(people, phone, depth):
    raw = '{"records": [' + "[" * depth + "]" * depth + "]}"
    assert clear_json_error(post_raw(phone, raw), 400, "JSON")


def test_control_characters_and_overlong_text_from_a_phone_are_refused(people, phone):
    for field, value in (("address", "Thôn\x0bĐồng"), ("address", "a\x00b"), ("alley", "\x85"),
                         ("house_number", "\ud800"), ("address", "x" * 201), ("address", "đường\ncái")):
        rec = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "changes": {field: {"to": value}}}
        raw = json.dumps({"records": [rec]})  # \ud800 travels as a JSON escape, as a phone would send it
        assert rejected(post_raw(phone, raw), field), (field, value)
    assert Household.objects.get(code="H1").address == ""
    r = push(phone, [visit(people, note="Nói\x1bchuyện")])
    assert rejected(r, "note")
    r = push(phone, [visit(people, note="Dòng một\nDòng hai\tcột")])  # a note may hold new lines and tabs
    assert r.json()["counts"]["created"] == 1


def test_a_device_name_is_cleaned(users, login):
    c = login(users.member)
    r = c.post("/api/v1/sync/devices", json.dumps({"name": "x" * 100_000}), content_type="application/json")
    assert clear_json_error(r, 400, "name")
    r = c.post("/api/v1/sync/devices", json.dumps({"name": "a\x00"}), content_type="application/json")
    assert clear_json_error(r, 400, "name")
    assert not DeviceToken.objects.exists()


# --- forged pull cursors --------------------------------------------------------------------------------

def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    _b64([1, 2]), _b64("s"), _b64({"a": 10 ** 30}), _b64({"a": -1}), _b64({"a": "x"}), _b64({"a": 1.5e300}),
    _b64({"s": "2026-02-30T00:00:00"}), _b64({"s": "not a time"}), _b64({"s": 5}), _b64({"t": "9999-99-99"}),
    _b64({"s": {"$gt": 1}}), "%%%", "A" * 5000, _b64(None),
])
def test_forged_pull_cursors_get_a_clear_error(phone, cursor):
    r = phone.get("/api/v1/sync/pull", {"cursor": cursor})
    assert clear_json_error(r, 400, "con trỏ"), r.content[:300]


@pytest.mark.parametrize("params", [{"limit": "1e400"}, {"limit": "NaN"}, {"limit": "x"}])
def test_bad_query_parameters_get_json_422(phone, params):
    r = phone.get("/api/v1/sync/pull", params)
    assert clear_json_error(r, (400, 422)), r.content[:300]


# --- every error of /api/ in JSON -----------------------------------------------------------------------

def test_a_30_mb_body_gets_json_413(phone, users, login):
    big = b'{"records": [], "pad": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    assert clear_json_error(post_raw(phone, big), 413)
    assert clear_json_error(post_raw(login(users.leader), big, "/api/v1/radio/bulletins"), 413)


def test_errors_outside_operations_are_json(users, login, people):
    anon = Client()
    assert clear_json_error(anon.get("/api/v1/nothing-here"), 404)
    assert clear_json_error(anon.get("/api/v1/places/24"), 401)
    c = login(users.commune_a)
    assert clear_json_error(c.get("/api/v1/places/NOPE"), 404)
    assert clear_json_error(c.get("/api/v1/places/07210"), 403)
    assert clear_json_error(c.delete("/api/v1/places/07351"), 405)
    assert clear_json_error(c.get("/api/v1/residents"), 422, "q")
    assert clear_json_error(c.get("/api/v1/residents", {"q": "x"}), 400, "2")
    # CSRF: a session POST without the token
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users.member)
    assert clear_json_error(strict.post("/api/v1/sync/devices", "{}", content_type="application/json"), 403)


def test_an_unexpected_exception_is_a_json_500(users, login, monkeypatch, area):
    import ngoso.api.v1 as v1

    def boom(place):
        raise RuntimeError("a bug")

    monkeypatch.setattr(v1, "stats", boom)
    c = login(users.commune_a)
    c.raise_request_exception = False
    r = c.get("/api/v1/places/07351")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == "server_error" and body["message"] and body["message_en"] and "a bug" not in r.content.decode()


def test_the_openapi_document_lists_every_error(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "Error" in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status in ("400", "401", "403", "404", "405", "413", "422", "500"):
                assert status in op["responses"], (method, path, status)
                assert op["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


# --- next= after saving a visit -------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["javascript:alert(1)", "https://evil.example/x", "//evil.example/x",
                                    "/\\evil.example", "http://testserver@evil.example/", "/today/\r\nSet-Cookie: x=1"])
def test_next_never_leaves_the_site_and_never_500s(people, team, users, login, target):
    c = login(users.member)
    c.raise_request_exception = False
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "",
                               "uuid": str(uuid.uuid4()), "next": target})
    ok = r.status_code == 302 and r["Location"] == "/today/"
    assert measure.tried(BAD, ok), (r.status_code, r.get("Location"))
    assert Visit.objects.count() == 1


def test_next_to_a_page_of_the_site_is_followed(people, team, users, login):
    c = login(users.member)
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "",
                               "uuid": str(uuid.uuid4()), "next": "/households/H1/"})
    assert r.status_code == 302 and r["Location"] == "/households/H1/"
