"""Real headless Chromium (Debian's) against a live server: a phone-sized screen and a PC."""

from __future__ import annotations


import pytest

from tests.browser import _log_in, _no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("username", ["xa_a", "leader_a1"])
def test_phone_360px_drill_down_and_search(live_server, people, users, browser, username):
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    _log_in(page, live_server.url, username)
    assert ("/places/" if username == "xa_a" else "/today/") in page.url
    assert _no_horizontal_scroll(page)
    if username != "xa_a":
        page.goto(f"{live_server.url}/places/07351.001/")
    # tap targets in the menu are at least 40 px high
    heights = page.eval_on_selector_all(".menu a", "els => els.map(e => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 40
    if username == "xa_a":
        page.click("text=Đồng Bụt")
        page.wait_for_load_state()
        assert _no_horizontal_scroll(page)
    page.click(".cards li a >> nth=0")
    page.wait_for_load_state()
    assert "/households/" in page.url and _no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/search/?q=tran+van+binh")
    assert page.locator("text=Trần Văn Bình").count() >= 1
    ctx.close()


def test_pc_english_switch(live_server, people, users, browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    _log_in(page, live_server.url, "tinh")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.click("button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("text=My area").count() == 1
    ctx.close()


def test_member_records_a_visit_and_the_commune_dashboard_changes(live_server, people, users, browser):
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services
    from ngoso.visits.models import Visit

    team = Team.objects.create(place=people.h1.village, level="village", name="Tổ CNSCĐ")
    member = Member.objects.create(place=people.h1.village, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=member, team=team, role="member", started_on="2024-01-01")
    services.assign(users.leader, [people.h1], member)

    staff = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    _log_in(staff, live_server.url, "xa_a")
    staff.goto(f"{live_server.url}/places/07351/dashboard/")
    assert staff.locator('[data-k="visits.total"]').get_attribute("data-v") == "0"

    ctx = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1")
    assert page.url.endswith("/today/")
    page.click("#day-list li a.stop >> nth=0")
    page.wait_for_load_state()
    assert "/visit/H1/" in page.url and _no_horizontal_scroll(page)
    # tap "can do alone" on the first suggested skill of the first person, then save
    page.locator("fieldset.person").first.locator(".seg").first.locator("label").nth(2).tap()
    box = page.locator("#save-visit").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300
    with page.expect_navigation():
        page.locator("#save-visit").tap()
    assert page.url.endswith("/today/") and page.locator(".msg").count() == 1
    assert Visit.objects.count() == 1 and Visit.objects.get().skill_records.get().level == 2

    staff.reload()
    assert staff.locator('[data-k="visits.total"]').get_attribute("data-v") == "1"
    ctx.close()


def test_phone_menu_is_one_row_and_the_page_starts_on_the_first_screen(live_server, people, users, browser):
    """Before: at 360 × 740 a leader's menu wrapped to five rows (about 320 px), so every page opened on the menu."""
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    _log_in(page, live_server.url, "leader_a1")
    page.goto(f"{live_server.url}/places/07351.001/")
    menu = page.locator(".menu").bounding_box()
    assert menu["height"] < 60, menu
    assert page.locator("main h1").bounding_box()["y"] < 740 / 3
    assert _no_horizontal_scroll(page)  # the row scrolls inside itself, not the page
    links = page.locator(".menu a")
    assert links.count() >= 6
    last = links.nth(links.count() - 1)
    last.scroll_into_view_if_needed()  # every item is reachable by swiping the row
    box = last.bounding_box()
    assert 0 <= box["x"] and box["x"] + box["width"] <= 361 and box["height"] >= 40
    with page.expect_navigation():
        last.tap()
    ctx.close()
    # on a PC the menu is as it was
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    _log_in(page, live_server.url, "leader_a1")
    assert page.locator(".menu").evaluate("e => getComputedStyle(e).flexWrap") == "wrap"
    ctx.close()
