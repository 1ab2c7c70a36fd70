"""Issue 18 in real Chromium: every radio page, the emergency's confirm step and live delivery, and the error
pages, at 360×740 in Vietnamese and 1366×768 in English: no console error, no failed request, no sideways
scroll; the delivery table updates itself from status.json (radio/delivery.js, allowed by the CSP).
Screenshots go to /tmp/shots-pages-radio/ for a person to look at."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.web.test_browser import _log_in, _no_horizontal_scroll, browser  # noqa: F401 - the fixture
from tests.radio.test_radio import wav_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-pages-radio")
SIZES = {"vi": {"width": 360, "height": 740}, "en": {"width": 1366, "height": 768}}


@pytest.fixture
def on_air(users, area, settings, tmp_path, monkeypatch):
    from django.utils import timezone

    from ngoso.radio import services
    from ngoso.radio.models import SpeakerCluster

    settings.DATA_DIR = tmp_path
    settings.CSP_EVERYWHERE = True
    monkeypatch.setattr(services, "render_audio",
                        lambda b: services.attach_upload(b, wav_bytes(1.0), "x.wav") and b)
    c1, _ = services.register_cluster(place=area.va1, code="LOA-01", name="Loa nhà văn hoá")
    services.register_cluster(place=area.va2, code="LOA-02", name="Loa chợ")
    services.heartbeat(c1, {"volume": 70, "faults": ["amplifier_overheat"]})
    b = services.create_bulletin(title="Lịch tiêm chủng", text="Tiêm chủng T7 tuần này.", category="health",
                                 place=area.a, author=users.radio, priority="priority")
    services.attach_upload(b, wav_bytes(2.0), "tin.wav")
    services.approve(b, users.commune_a)
    services.create_programme(place=area.a, title="Tin sáng", times=["06:00", "17:00"], targets=[area.va1, area.va2],
                              bulletin=b, start_date=timezone.localdate(), weekdays=[0, 2, 4], user=users.radio)
    SpeakerCluster.objects.filter(code="LOA-02").update(last_seen_at=timezone.now() - timezone.timedelta(hours=2))
    services.check()
    return b


def _watch(page):
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text} {m.location} {page.url}"))
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: "ERR_ABORTED" not in (r.failure or "") and problems.append(
        f"failed: {r.url} {r.failure}"))  # a preview fetch cut short by leaving the page is not a failure
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status}: {r.url}"))
    return problems


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_radio_pages_and_the_emergency_flow(live_server, users, area, browser, on_air, lang):  # noqa: F811
    from ngoso.radio.models import Command, Emergency, SpeakerCluster

    SHOTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport=SIZES[lang], is_mobile=lang == "vi", has_touch=lang == "vi")
    page = ctx.new_page()
    problems = _watch(page)
    _log_in(page, live_server.url, "radio_a")
    if lang == "en":
        ctx.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    pages = {"home": "/radio/", "clusters": "/radio/clusters/", "cluster": "/radio/clusters/LOA-01/",
             "cluster-new": "/radio/clusters/new/", "bulletins": "/radio/bulletins/",
             "bulletin": f"/radio/bulletins/{on_air.pk}/", "programmes": "/radio/programmes/",
             "programme-new": "/radio/programmes/new/", "reports": "/radio/reports/", "emergency": "/radio/emergency/"}
    for name, url in pages.items():
        r = page.goto(live_server.url + url)
        assert r.status == 200, url
        assert _no_horizontal_scroll(page), url
        page.screenshot(path=str(SHOTS / f"{lang}-radio-{name}.png"), full_page=True)
    page.goto(live_server.url + "/radio/programmes/")
    days = page.inner_text("#programmes .days")
    assert days == ("T2, T4, T6" if lang == "vi" else "Mon, Wed, Fri")
    # the emergency: write, confirm (1 of 2 online), send, watch the delivery change by itself
    page.goto(live_server.url + "/radio/emergency/")
    page.fill("input[name=title]", "Lũ quét")
    page.fill("#text", "Lũ quét ở khe suối, sơ tán ngay trước 17h.")
    page.select_option("select[name=targets]", [area.a.code])
    page.click("button.danger.big")
    page.wait_for_selector("#reach")
    assert Emergency.objects.count() == 0
    assert ("1/2 cụm loa đang kết nối" if lang == "vi" else "1 of 2 clusters online now") in page.inner_text("#reach")
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / f"{lang}-radio-emergency-confirm.png"), full_page=True)
    page.click("button[name=confirm]")
    page.wait_for_selector("#delivery-table")
    em = Emergency.objects.get()
    msg = page.inner_text(".msg")
    assert ("1/2" if lang == "vi" else "1 of 2") in msg
    assert page.inner_text('tr[data-code="LOA-01"] .pill') == ("đang gửi" if lang == "vi" else "sending")
    from ngoso.radio import services

    seq = Command.objects.get(emergency=em).pk
    services.heartbeat(SpeakerCluster.objects.get(code="LOA-01"), {"volume": 70, "last_seq": seq,
                                                                    "now_playing": "Lũ quét"})
    want, deadline = ("đang phát" if lang == "vi" else "playing"), time.monotonic() + 12
    while page.inner_text('tr[data-code="LOA-01"] .pill') != want and time.monotonic() < deadline:
        page.wait_for_timeout(250)  # the page polls by itself (no reload here); CSP forbids wait_for_function's eval
    assert page.inner_text('tr[data-code="LOA-01"] .pill') == want
    assert page.inner_text('tr[data-code="LOA-02"] .pill') == ("mất kết nối" if lang == "vi" else "offline")
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / f"{lang}-radio-emergency-status.png"), full_page=True)
    page.click("form button.danger")
    page.wait_for_selector(".msg")
    assert ("Đã dừng tin khẩn cấp" if lang == "vi" else "stopped") in page.inner_text(".msg")
    page.screenshot(path=str(SHOTS / f"{lang}-radio-emergency-stopped.png"), full_page=True)
    assert problems == [], "\n".join(problems)
    ctx.close()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_error_pages_fit_and_lead_back(live_server, users, browser, lang):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport=SIZES[lang])
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1")
    if lang == "en":
        ctx.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    for code, url in ((404, "/places/does-not-exist/at/all/"), (403, "/radio/")):
        r = page.goto(live_server.url + url)
        assert r.status == code
        assert _no_horizontal_scroll(page)
        assert page.locator(".way-back a").first.is_visible()
        page.screenshot(path=str(SHOTS / f"{lang}-error-{code}.png"), full_page=True)
    html = __import__("ngoso.core.errors", fromlist=["x"])
    from django.utils import translation

    with translation.override(lang):
        body = html.server_error(None).content.decode()
    page.set_content(body)
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / f"{lang}-error-500.png"), full_page=True)
    ctx.close()
