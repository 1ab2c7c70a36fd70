"""Door to door: assignments, priorities, the member's day, visits, corrections, follow-ups, dashboards."""

from __future__ import annotations

import datetime
import io
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied

from ngoso.insights import counters
from ngoso.insights import dashboard as dash
from ngoso.insights.models import PlaceCounter
from ngoso.insights.teams import team_activity
from ngoso.people.models import Household, Resident
from ngoso.skills.models import Skill
from ngoso.teams import services as teams
from ngoso.visits import services
from ngoso.visits.models import Assignment, HouseholdStatus, PriorityFactor, ResidentSkill, SkillRecord, Visit
from ngoso.visits.route import order_route, path_length
from ngoso.visits.services import SkillResult, VisitError

TODAY = datetime.date(2026, 11, 20)


@pytest.fixture
def team(people, users, area):
    from ngoso.teams.models import Member, Membership, Team

    t = Team.objects.create(place=area.va1, level="village", name="Tổ CNSCĐ thôn Đồng Bụt")
    lead = Member.objects.create(place=area.va1, full_name="Lê Văn Tổ", user=users.leader)
    mem = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    other = Member.objects.create(place=area.va1, full_name="Đỗ Văn Ba")
    Membership.objects.create(member=lead, team=t, role="leader", started_on="2024-01-01")
    ms = Membership.objects.create(member=mem, team=t, role="member", started_on="2024-01-01")
    Membership.objects.create(member=other, team=t, role="member", started_on="2024-01-01")
    return type("T", (), {"team": t, "leader": lead, "member": mem, "other": other, "membership": ms})


def skill(code):
    return Skill.objects.get(code=code, catalogue__is_current=True)


def basic5():
    return list(Skill.objects.filter(catalogue__is_current=True).exclude(basic5=""))


def c(place, key):
    return counters.counters(place)[key]


# --- visits, derived levels, counters ------------------------------------------------------------------

def test_visit_records_skills_and_updates_every_level(people, users, team, area):
    v, created = services.record_visit(
        users.member, people.h1, visited_on=TODAY, present=[people.r1.pk],
        results=[SkillResult(people.r1.pk, "zalo-messaging", 2), SkillResult(people.r2.pk, "video-calls", 1)],
        note="Hướng dẫn Zalo", next_visit_on=TODAY + datetime.timedelta(days=14), today=TODAY)
    assert created and v.member == team.member and v.skill_records.count() == 2
    assert set(v.present.all()) == {people.r1, people.r2}  # whoever showed a skill was there
    assert ResidentSkill.objects.get(resident=people.r1, skill=skill("zalo-messaging")).level == 2
    st = HouseholdStatus.objects.get(household=people.h1)
    assert st.last_visit_on == TODAY and st.next_visit_on == TODAY + datetime.timedelta(days=14) and st.visits == 1
    sid = skill("zalo-messaging").pk
    for place in (area.va1, area.a, area.province, area.old_commune, area.old_district, area.old_province):
        assert c(place, "v") == 1, place
        assert c(place, f"sk:{sid}:2") == 1 and c(place, f"sk:{sid}:2:women") == 1
    assert c(area.b, "v") == 0 and c(area.va2, "v") == 0
    assert c(area.va1, f"sk:{skill('video-calls').pk}:1:elderly") == 1


def test_same_uuid_is_stored_once(people, users, team):
    u = uuid.uuid4()
    args = dict(visited_on=TODAY, results=[SkillResult(people.r1.pk, "zalo-messaging", 2)], uuid=u, today=TODAY)
    services.record_visit(users.member, people.h1, **args)
    v, created = services.record_visit(users.member, people.h1, **args)
    v, created3 = services.record_visit(users.member, people.h1, **args)
    assert not created and not created3
    assert Visit.objects.count() == 1 and SkillRecord.objects.count() == 1
    assert c(people.h1.village, "v") == 1
    other = _village_households(people.h1.village, 1, [""])[0]
    with pytest.raises(VisitError, match="hộ khác"):
        services.record_visit(users.member, other, **args)


@pytest.mark.parametrize("kwargs, field", [
    ({"visited_on": TODAY + datetime.timedelta(days=3)}, "visited_on"),
    ({"visited_on": datetime.date(2019, 5, 1)}, "visited_on"),
    ({"next_visit_on": TODAY}, "next_visit_on"),
    ({"next_visit_on": TODAY + datetime.timedelta(days=400)}, "next_visit_on"),
    ({"results": [SkillResult(10**9, "zalo-messaging", 2)]}, "resident"),
    ({"results": [SkillResult(0, "no-such-skill", 2)]}, "skill"),
    ({"results": [SkillResult(0, "zalo-messaging", 7)]}, "level"),
    ({"results": [SkillResult(0, "zalo-messaging", 2), SkillResult(0, "zalo-messaging", 1)]}, "skill"),
])
def test_bad_visits_are_refused_and_write_nothing(people, users, team, kwargs, field):
    kwargs = dict(kwargs)
    kwargs["results"] = [SkillResult(people.r1.pk if r.resident == 0 else r.resident, r.skill, r.level)
                         for r in kwargs.get("results", [])]
    base = {"visited_on": TODAY, "today": TODAY} | kwargs
    with pytest.raises(VisitError) as e:
        services.record_visit(users.member, people.h1, **base)
    assert e.value.field == field and e.value.vi and e.value.en
    assert Visit.objects.count() == 0 and SkillRecord.objects.count() == 0 and ResidentSkill.objects.count() == 0


def test_resident_of_another_household_is_refused(people, users, team):
    with pytest.raises(VisitError, match="không thuộc hộ"):
        services.record_visit(users.member, people.h1, visited_on=TODAY,
                              results=[SkillResult(people.r3.pk, "zalo-messaging", 2)], today=TODAY)


def test_scope_and_permission(people, users, team):
    with pytest.raises(PermissionDenied):
        services.record_visit(users.member, people.h3, visited_on=TODAY, today=TODAY)  # other commune
    with pytest.raises(PermissionDenied):
        services.record_visit(users.viewer, people.h1, visited_on=TODAY, today=TODAY)  # viewers do not visit
    assert Visit.objects.count() == 0


def test_corrections_are_new_records(people, users, team, area):
    v, _ = services.record_visit(users.member, people.h1, visited_on=TODAY,
                                 results=[SkillResult(people.r1.pk, "zalo-messaging", 2)], today=TODAY)
    rec = v.skill_records.get()
    new = services.correct_skill(users.leader, rec, 1)
    assert new.supersedes == rec and SkillRecord.objects.count() == 2
    rec.refresh_from_db()
    assert rec.level == 2  # never edited
    assert ResidentSkill.objects.get(resident=people.r1).level == 1
    sid = skill("zalo-messaging").pk
    assert c(area.a, f"sk:{sid}:2") == 0 and c(area.a, f"sk:{sid}:1") == 1
    with pytest.raises(VisitError):
        services.correct_skill(users.leader, rec, 0)
    # a visit's wrong date: a new visit replaces it, counted once, in the right week
    fixed = services.correct_visit(users.member, v, visited_on=TODAY - datetime.timedelta(days=10), today=TODAY)
    assert fixed.corrects == v and Visit.objects.count() == 2 and c(area.a, "v") == 1
    week = counters.week_start(TODAY - datetime.timedelta(days=10)).isoformat()
    assert c(area.a, f"vw:{week}") == 1
    assert ResidentSkill.objects.get(resident=people.r1).level == 1


def test_basic5_households(people, users, team, area):
    results = [SkillResult(people.r1.pk, s.code, 2) for s in basic5()]
    assert len(results) == 5
    services.record_visit(users.member, people.h1, visited_on=TODAY, results=results[:4], today=TODAY)
    assert c(area.a, "b5hh") == 0
    services.record_visit(users.member, people.h1, visited_on=TODAY, results=results[4:], today=TODAY)
    assert c(area.a, "b5hh") == 1 and c(area.a, "b5hh:poor") == 1 and c(area.a, "b5res:women") == 1
    assert HouseholdStatus.objects.get(household=people.h1).basic5


def test_incremental_counters_equal_a_full_rebuild(people, users, team, area):
    services.record_visit(users.member, people.h1, visited_on=TODAY,
                          results=[SkillResult(people.r1.pk, "zalo-messaging", 2)], today=TODAY)
    services.record_visit(users.member, people.h1, visited_on=TODAY - datetime.timedelta(days=40),
                          results=[SkillResult(people.r2.pk, "bank-app", 1)], today=TODAY)
    counters.roll_up()  # the writes' deltas folded into the stored counters
    before = set(PlaceCounter.objects.values_list("place_id", "key", "value"))
    counters.rebuild()
    assert set(PlaceCounter.objects.values_list("place_id", "key", "value")) == before


def test_erasure_keeps_counters_consistent(people, users, team, area):
    from ngoso.people.services import erase_resident

    services.record_visit(users.member, people.h1, visited_on=TODAY,
                          results=[SkillResult(people.r2.pk, "zalo-messaging", 2)], today=TODAY)
    assert c(area.a, "res") == 3
    erase_resident(Resident.objects.get(pk=people.r2.pk), done_by="xa_a")
    assert c(area.a, "res") == 2 and c(area.a, f"sk:{skill('zalo-messaging').pk}:2") == 0
    assert c(area.province, "res:elderly") == 0


# --- assignments ---------------------------------------------------------------------------------------

def _village_households(village, n, alleys):
    from ngoso.people.models import Ethnicity

    kinh = Ethnicity.objects.get(code="01")
    out = []
    for i in range(n):
        h = Household.objects.create(code=f"X{i:03d}", village=village, alley=alleys[i % len(alleys)])
        Resident.objects.create(household=h, full_name=f"Người {i}", sex="male", birth_year=1970, ethnicity=kinh,
                                relation="head")
        out.append(h)
    return out


def test_suggested_split_is_balanced_and_keeps_alleys(people, users, team, area):
    hs = _village_households(area.va1, 30, ["1", "1", "2", "3", "4", "5", "", ""])
    members = services.team_members(team.team)
    plan = services.suggest_split(hs, members)
    sizes = sorted(len(v) for v in plan.values())
    assert sum(sizes) == 30 and sizes[-1] - sizes[0] <= 8  # at most one alley apart
    for alley in ("1", "2", "3", "4", "5"):
        owners = {mid for mid, lst in plan.items() for h in lst if h.alley == alley}
        assert len(owners) == 1, alley


def test_assign_reassign_and_member_leaving(people, users, team, area):
    hs = _village_households(area.va1, 9, ["1", "2", "3"])
    village_hh = Household.objects.filter(village=area.va1)
    assert services.unassigned(village_hh).count() == 10
    n = services.apply_split(users.leader, services.suggest_split(list(village_hh), services.team_members(team.team)))
    assert n == 10 and services.unassigned(village_hh).count() == 0
    services.assign(users.leader, [hs[0]], team.other)
    assert Assignment.objects.filter(household=hs[0]).count() == 2
    assert Assignment.objects.get(household=hs[0], ended_on__isnull=True).member == team.other
    leaving = Assignment.objects.filter(member=team.member, ended_on__isnull=True).count()
    moved = teams.leave(users.leader, team.membership)
    assert moved == leaving and services.unassigned(village_hh).count() == 0
    assert not Assignment.objects.filter(member=team.member, ended_on__isnull=True).exists()
    with pytest.raises(PermissionDenied):
        services.assign(users.member, [hs[1]], team.member)  # members do not assign
    with pytest.raises(PermissionDenied):
        services.assign(users.leader, [people.h3], team.member)  # outside the leader's area


# --- priority and the member's day ---------------------------------------------------------------------

def test_priority_is_explained_and_weights_are_data(people, users, team, area):
    from ngoso.people.models import Ethnicity

    lone = Household.objects.create(code="LONE", village=area.va1)
    Resident.objects.create(household=lone, full_name="Cụ Tư", sex="female", birth_year=1940,
                            ethnicity=Ethnicity.objects.get(code="01"), relation="head")
    ranked = services.priorities(Household.objects.filter(village__parent=area.a), TODAY)
    top = ranked[0]
    assert top.household == lone
    assert "người cao tuổi sống một mình" in top.text_vi and "chưa được thăm lần nào" in top.text_vi
    assert "không có điện thoại thông minh" in top.text_vi and "elderly person living alone" in top.text_en
    PriorityFactor.objects.filter(code="poor").update(weight=500)
    assert services.priorities(Household.objects.filter(village__parent=area.a), TODAY)[0].household == people.h1


def test_todays_list_due_first_then_walk(people, users, team, area):
    hs = _village_households(area.va1, 6, [""])
    # households on a line, east to west, shuffled codes
    for h, lon in zip(hs, [106.05, 106.01, 106.03, 106.02, 106.04, 106.00]):
        h.latitude, h.longitude = 21.3, lon
        h.save()
    services.assign(users.leader, hs, team.member, today=TODAY)
    services.record_visit(users.member, hs[0], visited_on=TODAY - datetime.timedelta(days=20),
                          present=[hs[0].residents.get().pk],  # an empty visit is refused (issue 18)
                          next_visit_on=TODAY - datetime.timedelta(days=2), today=TODAY)
    plan = services.todays_list(team.member, TODAY)
    assert plan.stops[0].household == hs[0] and plan.stops[0].due_days == 2
    assert "đã hẹn thăm lại" in plan.stops[0].text_vi
    lons = [p.household.longitude for p in plan.stops]
    assert lons == sorted(lons, reverse=True)  # from 106.05 westwards, no zig-zag
    assert plan.distance_m == pytest.approx(5 * 1036, rel=0.05)


def test_route_is_no_longer_than_nearest_neighbour():
    import random

    rng = random.Random(4)
    pts = [(21 + rng.random() / 50, 106 + rng.random() / 50) for _ in range(14)]
    order, length = order_route(pts)
    assert sorted(order) == list(range(14)) and order[0] == 0
    # nearest neighbour alone
    nn, left = [0], set(range(1, 14))
    while left:
        from ngoso.visits.route import distance_m

        nxt = min(left, key=lambda i: distance_m(pts[nn[-1]], pts[i]))
        nn.append(nxt)
        left.remove(nxt)
    assert length <= path_length(pts, nn) + 1e-6


def test_team_activity_and_quiet_members(people, users, team):
    services.assign(users.leader, [people.h1], team.member, today=TODAY)
    services.record_visit(users.member, people.h1, visited_on=datetime.date.today(), present=[people.r1.pk],
                          next_visit_on=datetime.date.today() + datetime.timedelta(days=3))
    act = {a.member.pk: a for a in team_activity(team.team)}
    assert act[team.member.pk].visits_7 == 1 and not act[team.member.pk].quiet
    assert act[team.other.pk].quiet and act[team.leader.pk].quiet
    assert list(services.followups(team.member))[0].household == people.h1


# --- dashboards: page, export and API show the same numbers ----------------------------------------------

def _hand_count(area_place):
    """The same figures by a plain count over the raw records."""
    from ngoso.accounts.scope import within

    res = within(Resident.objects.all(), area_place)
    return {"households": within(Household.objects.all(), area_place).count(), "residents": res.count(),
            "visits.total": within(Visit.objects.filter(corrections__isnull=True), area_place).count()}


def test_dashboard_page_export_api_agree_and_match_a_hand_count(people, users, team, area, login):
    services.record_visit(users.member, people.h1, visited_on=TODAY,
                          results=[SkillResult(people.r1.pk, s.code, 2) for s in basic5()], today=TODAY)
    services.record_visit(users.leader, people.h1, visited_on=TODAY - datetime.timedelta(days=8),
                          results=[SkillResult(people.r2.pk, "zalo-messaging", 1)], today=TODAY)
    client = login(users.commune_a)
    for place in (area.a, area.old_district, area.va1):
        data = dash.dashboard(place)
        api = client.get(f"/api/v1/places/{place.code}/indicators").json()
        api["as_of"] = data["as_of"]
        assert api == data
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(client.get(f"/places/{place.code}/dashboard.xlsx").content))
        rows = {r[0]: r[1] for r in wb["Dữ liệu máy"].iter_rows(min_row=2, values_only=True)}  # the report's keys
        flat = dict(dash.flatten(data))
        assert rows == {k: v for k, v in flat.items()}
        html = client.get(f"/places/{place.code}/dashboard/").content.decode()
        import re

        shown = dict(re.findall(r'data-k="([^"]+)" data-v="([^"]*)"', html))
        assert len(shown) > 40
        for k, v in shown.items():
            assert str(flat[k]) == v, k
        hand = _hand_count(place)
        assert {k: flat[k] for k in hand} == hand
    assert dash.dashboard(area.a)["basic5"]["households"] == 1
    assert login(users.commune_b).get(f"/api/v1/places/{area.a.code}/indicators").status_code == 403
    assert login(users.commune_b).get(f"/places/{area.a.code}/dashboard/").status_code == 403
    assert "/api/v1/places/{code}/indicators" in client.get("/api/v1/openapi.json").json()["paths"]


# --- pages -------------------------------------------------------------------------------------------------

def test_member_records_a_visit_on_the_web(people, users, team, area, login):
    services.assign(users.leader, [people.h1], team.member)
    client = login(users.member)
    assert client.get("/").url == "/today/"
    today_page = client.get("/today/").content.decode()
    assert "/visit/H1/" in today_page and "chưa được thăm lần nào" in today_page
    form = client.get("/visit/H1/").content.decode()
    sk = services.next_skills(people.r1)[0]
    assert f'name="lvl-{people.r1.pk}-{sk.pk}"' in form
    u = str(uuid.uuid4())
    post = {"uuid": u, "present": [people.r1.pk], f"lvl-{people.r1.pk}-{sk.pk}": "2", "note": "ok",
            "visited_on": datetime.date.today().isoformat(), "next_visit_on": ""}
    assert client.post("/visit/H1/", post).status_code == 302
    assert client.post("/visit/H1/", post).status_code == 302  # a double tap
    assert Visit.objects.count() == 1 and ResidentSkill.objects.get(resident=people.r1, skill=sk).level == 2
    bad = client.post("/visit/H1/", dict(post, uuid=str(uuid.uuid4()), visited_on="31/02/2026"))
    assert bad.status_code == 200 and "không đúng dạng" in bad.content.decode()
    assert Visit.objects.count() == 1
    page = client.get("/households/H1/").content.decode()
    assert sk.name_vi in page
    title = page[page.index("<title>"):page.index("</title>")]
    assert "<h2" not in title and "H1" in title
    res_page = client.get(f"/residents/{people.r1.uuid}/").content.decode()
    assert sk.name_vi in res_page and "Phạm Thị Viên" in res_page


def test_leader_pages(people, users, team, area, login):
    client = login(users.leader)
    assert client.get("/teams/").url == f"/teams/{team.team.pk}/"
    page = client.get(f"/teams/{team.team.pk}/").content.decode()
    assert "Phạm Thị Viên" in page
    assign = client.get(f"/teams/{team.team.pk}/assign/").content.decode()
    assert "H1" in assign
    assert client.post(f"/teams/{team.team.pk}/assign/", {"action": "split"}).status_code == 302
    assert services.unassigned(Household.objects.filter(village=area.va1)).count() == 0
    assert login(users.member).get(f"/teams/{team.team.pk}/assign/").status_code == 403


def test_reasons_say_due_today_and_one_in_the_singular(people, users, area):
    """Before: "follow-up due 0 days ago" / "đến hạn 0 ngày trước" and "1 elderly people" on the day list."""
    from tests import factories

    m = factories.village_team(area, users, [people.h1])
    today = datetime.date.today()
    services.record_visit(users.member, people.h1, visited_on=today - datetime.timedelta(days=14),
                          present=[people.r1.pk], next_visit_on=today)
    p = services.priorities(Household.objects.filter(pk=people.h1.pk), today)[0]
    assert "đã hẹn thăm lại, đến hạn hôm nay" in p.text_vi and "0 ngày" not in p.text_vi
    assert "follow-up due today" in p.text_en and "0 days" not in p.text_en
    assert "1 elderly person" in p.text_en and "1 người cao tuổi" in p.text_vi  # Trần Văn Bình, 1950
    p = services.priorities(Household.objects.filter(pk=people.h1.pk), today + datetime.timedelta(days=1))[0]
    assert "follow-up due 1 day ago" in p.text_en and "đến hạn 1 ngày trước" in p.text_vi
    stops = services.day_stops(users.member, m)[1]
    assert stops[0].why_en.startswith("follow-up due today")


def test_today_page_counts_households_in_the_right_number_and_groups_the_walk(login, people, users, area):
    """Before: "1 households" in English and "walk ≈ 3173 m" with no thousands mark."""
    from tests import factories

    factories.village_team(area, users, [people.h1])
    c = login(users.member)
    c.cookies["django_language"] = "en"
    summary = re.search(r'id="day-summary">(.*?)</p>', c.get("/today/").content.decode(), re.S).group(1)
    assert "· 1 household" in summary and "1 households" not in summary, summary
    Household.objects.filter(pk=people.h1.pk).update(latitude=21.30, longitude=106.20)
    h = Household.objects.create(code="H9", village=area.va1, latitude=21.31, longitude=106.20)
    services.assign(users.leader, [h], services.member_for(users.member))
    summary = re.search(r'id="day-summary">(.*?)</p>', c.get("/today/").content.decode(), re.S).group(1)
    assert "2 households" in summary and re.search(r"≈ 1,1\d\d m", summary), summary
    c.cookies["django_language"] = "vi"
    summary = re.search(r'id="day-summary">(.*?)</p>', c.get("/today/").content.decode(), re.S).group(1)
    assert "2 hộ" in summary and re.search(r"≈ 1\.1\d\d m", summary), summary


def test_the_day_list_keeps_its_households_and_order_after_a_visit_and_marks_the_visited(login, people, users,
                                                                                          area):
    """Before: each visit took its household off the list and the walk was worked out again, so the rest of the
    list changed order (and a new household came in) while the member was walking it."""
    from ngoso.people.models import Ethnicity
    from tests import factories

    kinh = Ethnicity.objects.get(code="01")
    today = datetime.date.today()
    hs = []
    for i in range(16):
        h = Household.objects.create(code=f"D{i}", village=area.va1, house_number=str(i + 1),
                                     latitude=21.30 + (i % 4) / 500, longitude=106.20 + (i // 4) / 300 + i / 5000,
                                     has_smartphone=bool(i % 2))
        Resident.objects.create(household=h, full_name=f"Chủ Hộ {i}", sex="male", birth_year=1950 + i,
                                ethnicity=kinh, relation="head")
        hs.append(h)
    m = factories.village_team(area, users, hs)
    for i in (1, 4, 6):  # three follow-ups due, some days past
        services.record_visit(users.member, hs[i], visited_on=today - datetime.timedelta(days=30 + i),
                              present=[hs[i].residents.get().pk], next_visit_on=today - datetime.timedelta(days=i))
    before = [p.household.code for p in services.todays_list(m, today).stops]
    assert len(before) == services.DAY_LIST_SIZE < 16
    for code in (before[0], before[3], before[1]):  # the walk: the first stop, then others
        h = Household.objects.get(code=code)
        services.record_visit(users.member, h, visited_on=today, present=[h.residents.get().pk])
        plan = services.todays_list(m, today)
        assert [p.household.code for p in plan.stops] == before
    assert {Household.objects.get(pk=pk).code for pk in plan.done} == {before[0], before[3], before[1]}
    payload = services.day_payload(users.member, m, today)
    assert [s["code"] for s in payload["stops"]] == before
    assert [s["done"] for s in payload["stops"]] == [True, True, False, True] + [False] * (len(before) - 4)
    page = login(users.member).get("/today/").content.decode()
    day = page[page.index('id="day-list"'):page.index("</ol>")]
    assert day.count("✓ đã thăm hôm nay") == 3 and day.count('class="visited"') == 3
