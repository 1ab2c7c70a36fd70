"""Issue 18 in a real Chromium: pictures that draw in Vietnamese; Back after Save stores no second visit."""

from __future__ import annotations

import datetime

import pytest

from tests.browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHAPES_JS = """() => [...document.querySelectorAll('main svg')].map(svg => [...svg.querySelectorAll('rect,circle,line,text')]
  .map(s => { const b = s.getBBox(); return {tag: s.tagName, w: b.width, h: b.height, v: s.getAttribute('data-v')}; }))"""


@pytest.fixture
def drawn(people, users, area):
    from ngoso.poverty.models import PovertyReview
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    for i, v in enumerate((area.va1, area.va2)):
        v.latitude, v.longitude = 21.3 + i * 0.01, 106.2 + i * 0.02
        v.save(update_fields=["latitude", "longitude"])
    team = Team.objects.create(place=area.va1, level="village", name="Tổ")
    m = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=m, team=team, role="member", started_on="2024-01-01")
    services.assign(users.leader, [people.h1], m)
    today = datetime.date.today()
    for days in (3, 10, 17):
        services.record_visit(users.member, people.h1, visited_on=today - datetime.timedelta(days=days),
                              present=[people.r1.pk])
    PovertyReview.objects.create(household=people.h1, year=today.year - 1, standard="2022-2025", area_type="rural",
                                 income=1, status="poor")
    return m


def test_charts_and_maps_draw_in_vietnamese(live_server, drawn, browser):  # noqa: F811
    """Before: in Vietnamese the bars had y="70,0" (console: Expected length) and drew nothing."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    _log_in(page, live_server.url, "xa_a")
    for path in ("/places/07351/dashboard/", "/places/07351/poverty/", "/places/07351/access/"):
        page.goto(live_server.url + path)
        assert page.locator("html").get_attribute("lang") == "vi"
        svgs = page.evaluate(SHAPES_JS)
        assert svgs, path
        for shapes in svgs:
            for s in shapes:
                if s["tag"] == "rect" and s["v"] == "0":
                    assert s["w"] > 0, (path, s)  # a week without visits: a bar of no height
                elif s["tag"] == "line":
                    assert s["w"] > 0 or s["h"] > 0, (path, s)
                else:
                    assert s["w"] > 0 and s["h"] > 0, (path, s)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
    bars = [s for s in page.evaluate(SHAPES_JS.replace("main svg", "main svg.chart")) for s in s]
    assert errors == []
    ctx.close()
    assert bars == []  # (the access page has no bar chart; the dashboard's bars were checked above)


def test_back_after_save_then_save_stores_no_duplicate(live_server, drawn, people, browser):  # noqa: F811
    """Before: browser Back restored the form with a new UUID and Save stored a second visit."""
    from ngoso.visits.models import Visit

    before = Visit.objects.count()
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1")
    page.goto(f"{live_server.url}/visit/H1/?next=/today/")
    page.locator("fieldset.person").first.locator(".seg").first.locator("label").nth(1).tap()
    with page.expect_navigation():
        page.locator("#save-visit").tap()
    assert page.url.endswith("/today/") and Visit.objects.count() == before + 1
    page.go_back()
    page.wait_for_load_state()
    assert "/visit/H1/" in page.url
    with page.expect_navigation():
        page.locator("#save-visit").tap()
    assert Visit.objects.count() == before + 1
    ctx.close()


def test_field_app_list_is_the_web_today_list(live_server, people, users, area, browser):  # noqa: F811
    """Before: the field app listed all 19 assigned households in its own order with its own words, the web 12."""
    from ngoso.people.models import Ethnicity, Household, Resident
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    kinh = Ethnicity.objects.get(code="01")
    team = Team.objects.create(place=area.va1, level="village", name="Tổ")
    m = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=m, team=team, role="member", started_on="2024-01-01")
    hs = [people.h1]
    for i in range(15):
        h = Household.objects.create(code=f"F{i:02d}", village=area.va1, house_number=str(i + 1),
                                     alley=str(i % 3), latitude=21.3 + i / 1000, longitude=106.1 + (i % 4) / 1000,
                                     has_smartphone=bool(i % 2))
        Resident.objects.create(household=h, full_name=f"Bà Số {i}", sex="female", birth_year=1940 + i,
                                ethnicity=kinh, relation="head")
        hs.append(h)
    services.assign(users.leader, hs, m)
    today = datetime.date.today()
    services.record_visit(users.member, hs[5], visited_on=today - datetime.timedelta(days=20),
                          present=[hs[5].residents.get().pk], next_visit_on=today - datetime.timedelta(days=1))

    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1")
    web = page.eval_on_selector_all("#day-list li[data-code]", "els => els.map(e => [e.dataset.code, "
                                    "e.querySelector('.why').textContent.trim()])")
    assert len(web) == services.DAY_LIST_SIZE and web[0][0] == hs[5].code == "F04"
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.wait_for_function("document.querySelectorAll('#app-list li[data-code]').length > 0")
    app = page.eval_on_selector_all("#app-list li[data-code]", "els => els.map(e => [e.dataset.code, "
                                    "e.querySelector('.why').textContent.trim()])")
    assert app == web
    # the visit form names the household: the head's name and the house number, not only a code
    page.locator("#app-list li a.stop").first.tap()
    title = page.inner_text(".hh-title")
    assert "Bà Số 4" in title and "số 5" in title
    assert "Làm được khi có hỗ trợ" in page.inner_text("#app-visit")
    ctx.close()
