"""The field app in real headless Chromium: offline visits are queued and sent once; first sync over 3G."""

from __future__ import annotations

import time

import pytest

from tests import factories
from tests.browser import ARGS, CHROMIUM, _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member(people, users, area):
    return factories.village_team(area, users, [people.h1], leader=False)


def _open_app(browser, live_server, **ctx):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True, **ctx)
    page = context.new_page()
    _log_in(page, live_server.url, "member_a1", next="/app/")
    return context, page


def _record_visit(page):
    page.locator("#app-list li a.stop").first.tap()
    page.locator("#app-visit fieldset.person").first.locator(".seg label").nth(2).tap()
    page.locator("#app-save").tap()
    page.wait_for_selector("#app-list")


def test_three_visits_offline_then_online_server_holds_exactly_three(live_server, member, browser):  # noqa: F811
    from ngoso.visits.models import SkillRecord, Visit

    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert page.locator("#app-list li").count() == 1
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    for _ in range(3):
        _record_visit(page)
    page.wait_for_function("document.getElementById('queue-count').textContent.startsWith('3 ')")
    assert "3 lượt thăm chưa gửi" in page.inner_text("#status")
    time.sleep(0.5)
    assert Visit.objects.count() == 0
    # a reload while offline keeps the queue (IndexedDB) and the app (service worker)
    page.reload()
    page.wait_for_function("document.getElementById('queue-count').textContent.startsWith('3 ')")
    context.set_offline(False)
    page.wait_for_function("document.getElementById('queue-count').textContent.startsWith('0 ')", timeout=15000)
    assert Visit.objects.count() == 3 and SkillRecord.objects.count() == 3
    page.click("#send-now")  # sending again changes nothing
    page.wait_for_timeout(500)
    assert Visit.objects.count() == 3
    assert "đồng bộ lúc" in page.inner_text("#last-sync")
    context.close()


def test_first_sync_of_500_households_over_3g_fits_5_seconds_of_3g(live_server, member, users, area, browser):  # noqa: F811
    from ngoso.people.models import Ethnicity, Household, Resident
    from ngoso.visits.models import Assignment

    kinh = Ethnicity.objects.get(code="01")
    hs = Household.objects.bulk_create([Household(code=f"B{i:04d}", village=area.va1, alley=str(i % 20),
                                                  house_number=str(i), latitude=21.3 + i / 1e4, longitude=106.1)
                                        for i in range(499)])
    Resident.objects.bulk_create([Resident(household=h, full_name=f"Người {h.code} {j}", search_name=f"nguoi {j}",
                                           sex="female" if j % 2 else "male", birth_year=1950 + 10 * j,
                                           ethnicity=kinh, relation="head" if j == 0 else "child")
                                  for h in hs for j in range(4)])
    Assignment.objects.bulk_create([Assignment(household=h, member=member, started_on="2026-01-01") for h in hs])
    context, page = _open_app(browser, live_server)
    page.wait_for_url("**/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=30000)  # a first load, unthrottled, to log in
    # now a fresh phone: clear its store, throttle to 3G and time the first full sync
    page.evaluate("indexedDB.deleteDatabase('ngoso-field-member_a1')")
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 300,
                                                   "downloadThroughput": 1_600_000 / 8,
                                                   "uploadThroughput": 750_000 / 8})
    received: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: received.append(int(e.get("encodedDataLength", 0))))
    t0 = time.perf_counter()
    page.reload()
    page.wait_for_selector("body[data-ready='1']", timeout=60000)
    seconds = time.perf_counter() - t0
    print(f"\nfirst sync of 500 households over emulated 3G: {seconds:.2f} s, {sum(received):,} bytes "
          f"in {len(received)} responses")
    # all 500 on the phone: the day's list (the web's, issue 18) and the member's other households below it
    assert page.locator("#app-list li").count() == 12
    assert page.locator("#app-list li").count() + page.locator("#app-others li").count() == 500
    assert "35 bài" in page.inner_text("#app-library")  # the lessons came with the first sync
    # The 5-second budget on 3G, asserted on what decides it and does not depend on how busy the machine is
    # (the wall time above is printed; speed is measured in bench/): the bytes at 1.6 Mbit/s plus one 300 ms
    # round trip for every response, as if none overlapped (measured: 137 kB in 7 responses, 2.8 s of 3G).
    budget = sum(received) / (1_600_000 / 8) + 0.3 * len(received)
    assert budget < 5.0, (sum(received), len(received), budget)
    context.close()


def test_an_empty_visit_or_bad_dates_are_said_on_the_phone_beside_the_field_and_nothing_is_lost(
        live_server, member, browser):  # noqa: F811
    """Before: the phone queued an empty visit (or a next visit before the visit); the server refused it at the
    sync, when the volunteer had left the house, and the visit was lost."""
    from ngoso.visits.models import Visit

    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.locator("#app-list li a.stop").first.tap()
    page.locator("#app-visit input[name=present]").evaluate_all("xs => xs.forEach((x) => { x.checked = false; })")
    page.fill("#app-visit textarea[name=note]", "Nhà đi vắng, hẹn tuần sau")
    page.locator("#app-save").tap()
    err = page.locator("#app-visit .people + .field-error")
    err.wait_for()
    assert err.inner_text().startswith("Lượt thăm trống")
    assert page.input_value("#app-visit textarea[name=note]") == "Nhà đi vắng, hẹn tuần sau"  # kept
    # a next visit on the visit's own day
    page.locator("#app-visit input[name=present]").first.check()
    page.fill("#app-visit input[name=next_visit_on]", page.input_value("#app-visit input[name=visited_on]"))
    page.locator("#app-save").tap()
    err = page.locator("#app-visit label:has(input[name=next_visit_on]) + .field-error")
    err.wait_for()
    assert err.inner_text() == "Ngày hẹn thăm lại phải sau ngày thăm"
    assert page.locator("#app-visit .field-error").count() == 1  # the empty-visit error went
    assert "0 lượt thăm chưa gửi" in page.inner_text("#status")
    page.fill("#app-visit input[name=next_visit_on]", "")
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    page.locator("#app-save").tap()
    # saved without signal: the day's card says it is visited; the count is said in the singular in English too
    page.wait_for_selector("#app-list li.visited .done")
    assert page.inner_text("#app-list li.visited .done") == "✓ đã thăm hôm nay"
    assert "1 lượt thăm chưa gửi" in page.inner_text("#status")
    assert Visit.objects.count() == 0
    context.close()


def test_field_app_status_in_english_dates_and_one_visit(live_server, member, browser):  # noqa: F811
    """Before: "1 visits not sent"; the Vietnamese app wrote the sync time "07:48:37 5/12/2026"."""
    import re

    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert re.search(r"đồng bộ lúc \d\d:\d\d \d\d/\d\d/\d{4}$", page.inner_text("#last-sync")), page.inner_text("#last-sync")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert re.search(r"synced at \d\d/\d\d/\d{4}, \d\d:\d\d$", page.inner_text("#last-sync")), page.inner_text("#last-sync")
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    _record_visit(page)
    page.wait_for_function("document.getElementById('queue-count').textContent.startsWith('1 ')")
    assert page.inner_text("#queue-count") == "1 visit not sent"
    assert page.inner_text("#app-list li.visited .done") == "✓ visited today"
    context.close()


def test_registration_forms_name_the_household_and_the_team_list_is_in_walking_order(
        live_server, people, users, area, browser):  # noqa: F811
    """Before: "New person · household H1" (a code only); the leader's list of the team's households was in
    code order."""
    from ngoso.people.models import Household

    extra = [Household.objects.create(code=f"T{i}", village=area.va1, alley="2", house_number=no)
             for i, no in enumerate(["100", "9", "10"])]
    factories.village_team(area, users, [people.h1, *extra], leader=True)
    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.locator("#app-list li a.stop", has_text="Nguyễn Thị Lý").tap()
    page.locator("#app-new-resident").tap()
    assert page.inner_text("#app-resident-form h1") == "Người mới · hộ Nguyễn Thị Lý · số 12, ngõ 3 (H1)"
    # the household has its head: the relation is chosen, "head" is not offered again (before: preselected)
    assert page.input_value("#app-resident-form select[name=relation]") == ""
    assert "Chủ hộ" not in page.locator("#app-resident-form select[name=relation] option").all_inner_texts()
    context.close()
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    _log_in(page, live_server.url, "leader_a1", next="/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    codes = page.eval_on_selector_all("#app-team li[data-code]", "els => els.map((e) => e.dataset.code)")
    assert codes == ["T1", "T2", "T0", "H1"], codes  # alley 2: no. 9, 10, 100; then alley 3
    context.close()


def test_the_app_opens_offline_whatever_languages_the_phone_asks_for(live_server, member, browser):  # noqa: F811
    """The app page varies by Accept-Language (and cookie): the shell the service worker kept must open offline
    even when the phone's language list differs from the one the worker fetched it with (a Vietnamese phone,
    a language list changed since) — not Chromium's 'no connection' page."""
    context, page = _open_app(browser, live_server, locale="vi-VN")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    page.wait_for_function("caches.keys().then(ks => ks.length > 0)", timeout=15000)
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    page.reload()
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert page.locator("#app-list li").count() == 1
    context.close()
