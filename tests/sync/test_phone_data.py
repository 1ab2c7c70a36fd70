"""Least data on phones and sensitive fields by role (issue 14, items 5; decision 0007).

A phone's pull carries only the households the member answers for (a leader: the team's), only the fields the
field app reads, and tombstones for households it must no longer hold. Pages, the resident's data JSON and the
API show ethnicity, poverty, disability, phones and GPS only to the roles the decision gives them to."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from django.test import Client

from ngoso.people.models import Ethnicity, Household, Resident
from ngoso.sync.models import DeviceToken
from tests.browser import _log_in

TODAY = datetime.date.today()
SENSITIVE_KEYS = {"phone", "latitude", "longitude", "poverty", "poverty_status", "poverty_year", "ethnicity",
                  "ethnicity_code", "disability"}


@pytest.fixture
def village(people, users, area):
    """The member answers for H1 and V00–V04; V05–V19 are in the same village and assigned to another member of
    the same team (V05–V09) or nobody (V10–V19). Every household carries every sensitive field."""
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    t = Team.objects.create(place=area.va1, level="village", name="Tổ")
    mem = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    other = Member.objects.create(place=area.va1, full_name="Đỗ Văn Khác")
    lead = Member.objects.create(place=area.va1, full_name="Lê Văn Tổ", user=users.leader)
    for m, role in ((mem, "member"), (other, "member"), (lead, "leader")):
        Membership.objects.create(member=m, team=t, role=role, started_on="2024-01-01")
    tay = Ethnicity.objects.get(code="02")
    hs = []
    for i in range(20):
        h = Household.objects.create(code=f"V{i:02d}", village=area.va1, house_number=str(i), phone="0912000111",
                                     latitude=21.3, longitude=106.1, poverty_status="poor", poverty_year=2025)
        Resident.objects.create(household=h, full_name=f"Người {i}", sex="male", birth_year=1950, ethnicity=tay,
                                relation="head", disability=True, phone="0987000111")
        hs.append(h)
    services.assign(users.leader, [people.h1, *hs[:5]], mem)
    services.assign(users.leader, hs[5:10], other)
    return type("V", (), {"member": mem, "other": other, "leader": lead, "households": hs})


def _client(user) -> Client:
    _, token = DeviceToken.issue(user, "phone")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _pull_all(c, cursor="") -> tuple[list[dict], dict]:
    got = []
    while True:
        r = c.get("/api/v1/sync/pull", {"cursor": cursor, "limit": 4})
        assert r.status_code == 200, r.content
        page = r.json()
        got += page["households"]
        cursor = page["cursor"]
        if page["complete"]:
            return got, page


def _keys(obj) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _keys(v)}
    return set()


def test_a_members_pull_holds_only_their_households_and_no_sensitive_field(village, users):
    got, last = _pull_all(_client(users.member))
    codes = sorted(h["code"] for h in got)
    assert codes == ["H1", "V00", "V01", "V02", "V03", "V04"]  # before: the whole village (21 households)
    assert last["held"] == codes and last["assigned"] == codes
    assert not _keys(got) & SENSITIVE_KEYS, _keys(got) & SENSITIVE_KEYS
    body = json.dumps(got, ensure_ascii=False)
    assert "0912000111" not in body and "0987000111" not in body and "21.3" not in body
    v = next(h for h in got if h["code"] == "V00")
    # what a visit uses is there: names, birth years, relation, the lesson language, the priority reasons
    assert v["residents"][0]["full_name"] == "Người 0" and v["residents"][0]["birth_year"] == 1950
    assert v["residents"][0]["relation"] == "head" and v["residents"][0]["language"] == "vi"
    assert v["assigned_to_me"] and "hộ nghèo" in v["reasons_vi"]


def test_a_leaders_pull_holds_the_teams_households_only(village, users):
    got, last = _pull_all(_client(users.leader))
    codes = sorted(h["code"] for h in got)
    assert codes == ["H1"] + [f"V{i:02d}" for i in range(10)]  # the team's assignments, not V10–V19
    assert last["assigned"] == []  # the leader has no household of their own
    assert not _keys(got) & SENSITIVE_KEYS
    assert all(h["reasons_vi"] == "" for h in got)  # reasons only for one's own


def test_the_resident_language_is_sent_not_the_ethnic_group(village, users, monkeypatch):
    from ngoso.lessons.content import language_for_ethnicity
    from ngoso.sync import services

    monkeypatch.setattr(services, "_lesson_languages", lambda: {"vi", language_for_ethnicity("02") or "tay"})
    got, _ = _pull_all(_client(users.member))
    v = next(h for h in got if h["code"] == "V00")
    assert v["residents"][0]["language"] == (language_for_ethnicity("02") or "vi")
    assert "ethnicity" not in v["residents"][0] and "ethnicity_code" not in v["residents"][0]


def test_an_unassigned_household_is_removed_on_the_next_pull_and_again_harmlessly(village, users):
    from ngoso.visits import services

    c = _client(users.member)
    got, last = _pull_all(c)
    assert "V03" in {h["code"] for h in got}
    cursor = last["cursor"]
    # V03 moves to the other member; V04 is un-assigned altogether
    services.assign(users.leader, [Household.objects.get(code="V03")], village.other)
    from ngoso.visits.models import Assignment

    a = Assignment.objects.get(household__code="V04", ended_on__isnull=True)
    a.ended_on = TODAY
    a.save()
    again, last2 = _pull_all(c, cursor)
    assert {"V03", "V04"} <= set(last2["removed"]), last2["removed"]
    assert "V03" not in last2["held"] and "V04" not in last2["held"]
    assert not {h["code"] for h in again} & {"V03", "V04"}  # never sent again
    # the same round asked twice gives the same tombstones (idempotent: deleting twice is deleting once)
    _, last3 = _pull_all(c, cursor)
    assert last3["removed"] == last2["removed"]
    # households the member never held are not named
    assert not set(last2["removed"]) & {f"V{i:02d}" for i in range(10, 20)}


def test_a_phone_filled_by_the_old_protocol_gets_a_full_round_and_a_purge(village, users):
    c = _client(users.member)
    old = base64.urlsafe_b64encode(json.dumps({"s": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                               "a": 0, "t": None}).encode()).decode().rstrip("=")
    got, last = _pull_all(c, old)
    assert sorted(h["code"] for h in got) == ["H1", "V00", "V01", "V02", "V03", "V04"]  # re-sent in today's shape
    assert {f"V{i:02d}" for i in range(5, 20)} <= set(last["removed"])  # and the rest of the village goes
    assert not set(last["removed"]) & set(last["held"])


def test_a_forged_cursor_is_a_clear_400(village, users):
    c = _client(users.member)
    for raw in ({"s": "2026-02-30T00:00:00", "v": 2}, {"s": 5, "v": 2}, ["x"], {"a": "x"}):
        text = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode()
        r = c.get("/api/v1/sync/pull", {"cursor": text})
        assert r.status_code == 400 and "con trỏ" in r.json()["error"].lower(), (raw, r.content)
    naive = base64.urlsafe_b64encode(json.dumps({"s": "2026-01-02T03:04:05", "v": 2}).encode()).decode()
    assert c.get("/api/v1/sync/pull", {"cursor": naive}).status_code == 200  # a time without zone: local time


# --- pages by role ------------------------------------------------------------------------------------------

def _page(login, user, url) -> tuple[int, str]:
    r = login(user).get(url)
    return r.status_code, r.content.decode()


@pytest.mark.parametrize("who, sees", [("commune_a", True), ("province", True), ("leader", True),
                                       ("member", False), ("viewer", False)])
def test_household_page_of_a_household_not_ones_own(village, users, login, who, sees):
    code, html = _page(login, getattr(users, who), "/households/V12/")
    assert code == 200
    for text in ("0912000111", "Hộ nghèo", "Tày", "Người khuyết tật"):
        assert (text in html) == sees, (who, text)


def test_a_member_sees_what_a_visit_needs_for_their_own_household(village, users, login):
    code, html = _page(login, users.member, "/households/V01/")
    assert code == 200 and "0912000111" in html and "Tày" in html and "hộ nghèo" in html.lower()
    res = Resident.objects.get(household__code="V01")
    code, html = _page(login, users.member, f"/residents/{res.uuid}/")
    assert code == 200 and "0987000111" in html and "Tày" in html
    other = Resident.objects.get(household__code="V12")
    code, html = _page(login, users.member, f"/residents/{other.uuid}/")
    assert code == 200 and "0987000111" not in html and "Tày" not in html and "Người khuyết tật" not in html


def test_a_viewer_reads_no_personal_sensitive_field(village, users, login):
    res = Resident.objects.get(household__code="V01")
    code, html = _page(login, users.viewer, f"/residents/{res.uuid}/")
    assert code == 200 and "0987000111" not in html and "Tày" not in html
    code, html = _page(login, users.viewer, f"/places/{village.households[0].village.code}/")
    assert code == 200 and "· Hộ nghèo</span>" not in html
    code, html = _page(login, users.commune_a, f"/places/{village.households[0].village.code}/")
    assert code == 200 and "· Hộ nghèo</span>" in html
    # nor finds people by their number
    code, html = _page(login, users.viewer, "/search/?q=0987000111")
    assert "Người 1" not in html
    assert login(users.viewer).get("/api/v1/residents", {"q": "0987000111"}).json() == []
    assert len(login(users.commune_a).get("/api/v1/residents", {"q": "0987000111"}).json()) == 20


def test_a_radio_operator_opens_no_household_or_resident(village, users, login):
    res = Resident.objects.get(household__code="V01")
    c = login(users.radio)
    assert c.get("/households/V01/").status_code == 403
    assert c.get(f"/residents/{res.uuid}/").status_code == 403
    assert c.get("/api/v1/residents", {"q": "Người"}).status_code == 403
    village = c.get(f"/places/{village.households[0].village.code}/").content.decode()
    assert "Người 1" not in village and "/households/" not in village  # the village's figures, not its people
    assert "Người 1" not in c.get("/search/?q=Người").content.decode()


def test_resident_data_json_only_for_those_who_see_every_field(village, users, login):
    own = Resident.objects.get(household__code="V01")
    other = Resident.objects.get(household__code="V12")
    assert login(users.member).get(f"/residents/{own.uuid}/data.json").status_code == 200
    assert login(users.member).get(f"/residents/{other.uuid}/data.json").status_code == 403
    assert login(users.commune_a).get(f"/residents/{other.uuid}/data.json").status_code == 200


def test_visible_fields_is_the_one_rule(village, users):
    from ngoso.people import privacy

    v01, v12 = Household.objects.get(code="V01"), Household.objects.get(code="V12")
    assert privacy.visible_fields(users.commune_a, v12) == privacy.SENSITIVE
    assert privacy.visible_fields(users.member, v01) == privacy.SENSITIVE
    assert privacy.visible_fields(users.member, v12) == privacy.NONE
    assert privacy.visible_fields(users.viewer, v01) == privacy.NONE
    assert privacy.visible_fields(users.radio, v01) == privacy.NONE
    assert privacy.can_see(users.leader, "gps", v12) and not privacy.can_see(users.member, "phone", v12)


# --- the phone's stored data, read back from a real browser ---------------------------------------------------

READ_STORE = """async () => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open('ngoso-field-member_a1');
    r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  return await new Promise((ok) => { const q = db.transaction('households').objectStore('households').getAll();
    q.onsuccess = () => { db.close(); ok(q.result); }; });
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_phone_stores_only_its_households_and_drops_one_unassigned(live_server, people, users, area, browser):  # noqa: F811
    from tests.sync.test_field_app import _open_app
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services
    from ngoso.visits.models import Assignment

    t = Team.objects.create(place=area.va1, level="village", name="Tổ")
    mem = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=mem, team=t, role="member", started_on="2024-01-01")
    tay = Ethnicity.objects.get(code="02")
    for i in range(6):
        h = Household.objects.create(code=f"W{i}", village=area.va1, house_number=str(i), phone="0912000111",
                                     latitude=21.3, longitude=106.1, poverty_status="poor", poverty_year=2025)
        Resident.objects.create(household=h, full_name=f"Người {i}", sex="male", birth_year=1950, ethnicity=tay,
                                relation="head", disability=True, phone="0987000111")
    services.assign(users.leader, [people.h1, *Household.objects.filter(code__in=["W0", "W1", "W2"])], mem)
    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    page.wait_for_function("document.querySelectorAll('#app-list li a.stop').length === 4", timeout=15000)
    stored = page.evaluate(READ_STORE)
    assert sorted(h["code"] for h in stored) == ["H1", "W0", "W1", "W2"]  # not W3–W5, not H2 (same commune)
    assert not _keys(stored) & SENSITIVE_KEYS
    text = json.dumps(stored, ensure_ascii=False)
    assert "0912000111" not in text and "0987000111" not in text and "0912345678" not in text
    # W1 is taken off the member: gone from the phone after the next sync
    a = Assignment.objects.get(household__code="W1", ended_on__isnull=True)
    a.ended_on = TODAY
    a.save()
    page.click("#send-now")
    page.wait_for_function("document.querySelectorAll('#app-list li a.stop').length === 3", timeout=15000)
    assert sorted(h["code"] for h in page.evaluate(READ_STORE)) == ["H1", "W0", "W2"]
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_leaders_phone_shows_the_teams_households_apart(live_server, village, users, browser):  # noqa: F811

    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    _log_in(page, live_server.url, "leader_a1", next="/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    page.wait_for_function("document.querySelectorAll('#app-team li a.stop').length === 11", timeout=15000)
    assert "Chưa có hộ nào được phân công" in page.inner_text("#app-list")  # none of the leader's own
    text = page.inner_text("#app-team")
    assert "Người 0" in text and "Người 9" in text and "Người 12" not in text  # the team's, not the village's
    context.close()


def test_the_app_offers_every_means_of_access_a_household_has():
    """Registering or correcting a household offline, the member can record each means of access the web shows
    (the phone's list once lacked the computer); each has its words in both languages."""
    import re
    from importlib import resources

    from django.utils import translation

    from ngoso.people.models import Household
    from ngoso.sync.field_messages import MESSAGES

    js = resources.files("ngoso").joinpath("static/ngoso/field.js").read_text("utf-8")
    listed = re.search(r"const ACCESS = \[([^\]]*)\]", js).group(1)
    assert re.findall(r'"(\w+)"', listed) == list(Household.ACCESS_FIELDS)
    for field in Household.ACCESS_FIELDS:
        with translation.override("vi"):
            vi = str(MESSAGES[f"acc_{field}"])
        with translation.override("en"):
            en = str(MESSAGES[f"acc_{field}"])
        assert vi != en, field
