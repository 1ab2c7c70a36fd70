"""The web interface: log in as each role, navigation, place browser, search, language switch, admin."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tests.conftest import PASSWORD


def _login(client, username):
    resp = client.post("/login/", {"username": username, "password": PASSWORD})
    assert resp.status_code == 302, resp.content.decode()[:500]
    return client.get(resp.url, follow=True)


@pytest.mark.parametrize("username, place_code, sees_import, sees_admin", [
    ("tinh", "24", True, True),
    ("xa_a", "07351", True, False),
    ("radio_a", "07351", False, False),
    ("leader_a1", "07351.001", False, False),
    ("member_a1", "07351.001", False, False),
    ("viewer_a", "07351", False, False),
])
def test_each_role_logs_in_to_its_area(people, users, client, username, place_code, sees_import, sees_admin):
    page = _login(client, username)
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/places/{place_code}/"' in html
    assert ('href="/import/"' in html) is sees_import
    assert ('href="/admin/"' in html) is sees_admin
    assert 'lang="vi"' in html  # Vietnamese first


def test_wrong_password_is_refused_in_vietnamese(users, client):
    resp = client.post("/login/", {"username": "xa_a", "password": "nope"})
    assert resp.status_code == 200
    assert "mật khẩu" in resp.content.decode().lower()


def test_user_without_place_sees_explanation(users, client):
    page = _login(client, "noplace")
    assert "/places/" not in page.request["PATH_INFO"]


def test_place_browser_drills_down_to_resident(people, users, login):
    c = login(users.province)
    province = c.get("/places/24/").content.decode()
    assert "Xã Ngọc Thiện" in province and "Phường Bắc Giang" in province
    commune = c.get("/places/07351/").content.decode()
    assert "Đồng Bụt" in commune and "Tân Lập" in commune
    # the merge history is shown both ways
    assert "/places/old-07360/" in commune
    assert "/places/07351/" in c.get("/places/old-07360/").content.decode()
    village = c.get("/places/07351.001/").content.decode()
    assert "/households/H1/" in village
    household = c.get("/households/H1/").content.decode()
    assert people.r1.full_name in household
    resident = c.get(f"/residents/{people.r1.uuid}/").content.decode()
    assert people.r1.full_name in resident


def test_search_is_accent_insensitive_and_finds_phones(people, users, login):
    from ngoso.people.models import Resident

    Resident.objects.create(household=people.h1, full_name="Nguyễn Thị Lý", sex="female", birth_year=1980,
                            ethnicity=people.r1.ethnicity, relation="child", phone="0912 888 999")
    c = login(users.commune_a)
    for q in ("nguyen thi ly", "Nguyễn Thị Lý", "NGUYEN THI LY", "thi ly", "0912888999", "0912 888 999"):
        assert "Nguyễn Thị Lý" in c.get("/search/", {"q": q}).content.decode(), q
    assert "Nguyễn Thị Lý" not in c.get("/search/", {"q": "nguyen van ly"}).content.decode()


def test_english_switch(people, users, login):
    c = login(users.commune_a)
    vi = c.get("/places/07351/").content.decode()
    assert "Địa bàn của tôi" in vi and "My area" not in vi
    c.post("/i18n/setlang/", {"language": "en", "next": "/places/07351/"})
    en = c.get("/places/07351/").content.decode()
    assert 'lang="en"' in en and "My area" in en and "households" in en.lower()


def test_numbers_are_grouped_the_vietnamese_way(people, users, login, settings):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("vi"):
        assert Template("{% load humanize %}{{ n|intcomma }}").render(Context({"n": 1695677})) == "1.695.677"
    with translation.override("en"):
        assert Template("{% load humanize %}{{ n|intcomma }}").render(Context({"n": 1695677})) == "1,695,677"


def test_admin_catalogues_for_province_admin(people, users, login):
    c = login(users.province)
    assert c.get("/admin/skills/skill/").status_code == 200
    assert c.get("/admin/places/place/?q=Ngọc").status_code == 200
    assert login(users.member).get("/admin/").status_code == 302  # not staff: sent to the admin login


def test_api_place_children(people, users, login):
    c = login(users.commune_a)
    data = c.get("/api/v1/places/07351/children").json()
    assert {d["code"] for d in data} == {"07351.001", "07351.002"}


# --- model invariants ---------------------------------------------------------------------------------

def test_one_team_per_village_and_membership_history(area):
    from ngoso.teams.models import Member, Membership, Team, TeamLevel

    team = Team.objects.create(place=area.va1, level=TeamLevel.VILLAGE, name="Tổ CNSCĐ thôn Đồng Bụt")
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(place=area.va1, level=TeamLevel.VILLAGE, name="again")
    m = Member.objects.create(place=area.va1, full_name="Hoàng Văn Nam", phone="0912000000",
                              organisation="Đoàn Thanh niên")
    Membership.objects.create(member=m, team=team, role="member", started_on="2023-03-01", ended_on="2024-01-01")
    Membership.objects.create(member=m, team=team, role="leader", started_on="2024-01-01")
    assert list(m.memberships.order_by("started_on").values_list("role", flat=True)) == ["member", "leader"]


def test_skill_catalogue_is_complete(db):
    from ngoso.skills.models import Basic5, Catalogue, Skill

    cat = Catalogue.objects.get(is_current=True)
    skills = Skill.objects.filter(catalogue=cat)
    assert skills.count() >= 24
    assert all(s.i_can_vi.startswith("Tôi có thể") and s.i_can_en.startswith("I can") for s in skills)
    assert all(s.name_vi and s.name_en and s.area_id for s in skills)
    assert {s.basic5 for s in skills if s.basic5} == {b.value for b in Basic5}
    codes = set(skills.values_list("code", flat=True))
    # every skill the province teaches
    for needed in ("smartphone-basics", "install-update-apps", "get-online", "social-account", "zalo-messaging",
                   "video-calls", "online-shopping", "bank-app", "verify-information", "farming-information",
                   "online-groups", "sell-online", "public-services-portal", "vneid-level2", "recognise-scams"):
        assert needed in codes, needed
    # prerequisites form a DAG inside the catalogue
    graph = {s.code: set(s.prerequisites.values_list("code", flat=True)) for s in skills}
    assert all(p in codes for ps in graph.values() for p in ps)
    seen, done = set(), set()

    def visit(c):
        assert c not in seen or c in done, f"cycle through {c}"
        if c in done:
            return
        seen.add(c)
        for p in graph[c]:
            visit(p)
        done.add(c)

    for c in graph:
        visit(c)
