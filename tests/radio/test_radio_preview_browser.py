"""The explaining preview in real headless Chromium: a 360 px phone in Vietnamese (tap) and a PC in English (hover).

Screenshots go to $NGOSO_SHOTS (default /tmp/shots-vntext-ui/) for a person to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.web.test_browser import _log_in, _no_horizontal_scroll, browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("NGOSO_SHOTS", "/tmp/shots-vntext-ui"))
TEXT = ("UBND xã Ngọc Thiện thông báo: họp dân tại NVHĐB Đồng Bụt lúc 7h30 ngày 28/11/2026. "
        "Liên hệ 0912 345 678, giá 25.000đ/kg.")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _tip(page) -> str:
    page.wait_for_selector("#vt-tip:not([hidden])", timeout=5000)
    return page.inner_text("#vt-tip")


def _mark(page, source):
    return page.locator(f'#spoken .vt-span[data-source="{source}"]')


def test_phone_taps_a_span_reads_the_rule_and_adds_a_local_abbreviation(live_server, users, browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    _log_in(page, live_server.url, "xa_a")
    page.goto(live_server.url + "/radio/bulletins/new/")
    page.fill("input[name=title]", "Họp dân")
    page.fill("#text", TEXT)
    page.wait_for_selector('#spoken .vt-span[data-source="7h30"]', timeout=5000)
    assert "bảy giờ ba mươi" in page.inner_text("#spoken")
    assert page.locator("#spoken .vt-span").count() >= 6
    # the unknown capitals are flagged with their own style
    assert _mark(page, "NVHĐB").get_attribute("class").split() == ["vt-span", "vt-rule-unknown_acronym", "vt-unknown"]
    assert "từ viết hoa chưa biết" in page.inner_text(".vt-summary")
    # tap a span: its rule, source and reading
    _mark(page, "7h30").tap()
    tip = _tip(page)
    assert "giờ, phút, giây" in tip and "7h30" in tip and "bảy giờ ba mươi" in tip
    assert _mark(page, "7h30").get_attribute("aria-expanded") == "true"
    box = page.eval_on_selector("#vt-tip", "e => e.getBoundingClientRect().right")
    assert box <= 360
    assert _no_horizontal_scroll(page)
    _shot(page, "phone-vi-editor-tap-time.png")
    # tap the unknown word: the hint links to the list with the word filled in
    _mark(page, "NVHĐB").tap()
    tip = _tip(page)
    assert "Từ viết hoa chưa biết — thêm vào danh sách viết tắt?" in tip
    assert _no_horizontal_scroll(page)
    _shot(page, "phone-vi-editor-tap-unknown.png")
    page.click(".vt-tip-link")
    page.wait_for_url("**/radio/abbreviations/**")
    assert page.input_value("input[name=abbreviation]") == "NVHĐB"
    page.fill("input[name=reading]", "nhà văn hóa")
    page.fill("input[name=note]", "nhà văn hóa thôn Đồng Bụt")
    page.click("#abbr-add button.primary")
    page.wait_for_selector("text=Đã thêm")
    assert "nhà văn hóa" in page.inner_text(".abbr-list")
    assert _no_horizontal_scroll(page)
    _shot(page, "phone-vi-abbreviations.png")
    # back to the editor: the preview reads the new entry at once
    page.goto(live_server.url + "/radio/bulletins/new/")
    page.fill("#text", TEXT)
    page.wait_for_selector('#spoken .vt-span.vt-local[data-source="NVHĐB"]', timeout=5000)
    assert "tại nhà văn hóa Đồng Bụt" in page.inner_text("#spoken")
    assert page.locator("#spoken .vt-unknown").count() == 0
    _mark(page, "NVHĐB").tap()
    tip = _tip(page)
    assert "viết tắt địa phương" in tip and "Xã Ngọc Thiện: nhà văn hóa thôn Đồng Bụt" in tip
    _shot(page, "phone-vi-editor-local.png")
    # tapping elsewhere closes the explanation
    page.locator("h1").tap()
    page.wait_for_selector("#vt-tip", state="hidden")
    # the emergency form explains its reading too
    page.goto(live_server.url + "/radio/emergency/")
    page.fill("#text", "Lũ lên nhanh, UBND yêu cầu sơ tán trước 17h.")
    page.wait_for_selector('#spoken .vt-span[data-source="17h"]', timeout=5000)
    _mark(page, "17h").tap()
    assert "mười bảy giờ" in _tip(page)
    assert _no_horizontal_scroll(page)
    _shot(page, "phone-vi-emergency.png")
    assert errors == []
    ctx.close()


def test_pc_in_english_hover_explains_and_user_text_is_never_html(live_server, users, browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, live_server.url, "radio_a")
    page.goto(live_server.url + "/radio/bulletins/new/")
    page.click("form.lang button")  # the EN switch
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Write a bulletin"
    page.fill("#text", TEXT + " <img src=x onerror=alert(1)> ABCXYZ")
    page.wait_for_selector('#spoken .vt-span[data-source="28/11/2026"]', timeout=5000)
    assert page.locator("#spoken img").count() == 0 and "<img src=x" in page.inner_text("#spoken")
    _mark(page, "28/11/2026").hover()
    tip = _tip(page)
    assert tip.startswith("date") and "hai mươi tám tháng mười một" in tip
    _shot(page, "pc-en-editor-hover-date.png")
    _mark(page, "ABCXYZ").hover()
    tip = _tip(page)
    assert "not in the dictionary" in tip and "Unknown capitalised word — add it to the abbreviation list?" in tip
    _shot(page, "pc-en-editor-hover-unknown.png")
    page.mouse.move(5, 5)
    page.wait_for_selector("#vt-tip", state="hidden")
    # keyboard: one tab stop for the reading, arrows move between spans, Escape hides
    assert page.eval_on_selector_all("#spoken .vt-span", "ms => ms.filter(m => m.tabIndex === 0).length") == 1
    page.focus("#text")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.source") == "UBND"
    assert "abbreviation" in _tip(page)
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.source") == "NVHĐB"
    assert "not in the dictionary" in _tip(page)
    page.keyboard.press("Escape")
    page.wait_for_selector("#vt-tip", state="hidden")
    # the connection drops: the preview says so, the text stays
    page.route("**/radio/preview.json", lambda route: route.abort())
    page.fill("#text", "Họp lúc 9h")
    page.wait_for_function("document.querySelector('.vt-summary').textContent.includes('not available')",
                           timeout=5000)
    assert page.input_value("#text") == "Họp lúc 9h"
    page.unroute("**/radio/preview.json")
    page.goto(live_server.url + "/radio/abbreviations/")
    _shot(page, "pc-en-abbreviations-operator.png")
    assert "Only those who approve bulletins" in page.inner_text("main")
    assert errors == []
    ctx.close()


def test_pc_in_english_province_list_with_entries(live_server, area, users, browser):  # noqa: F811
    from ngoso.radio import abbreviations as abbr

    abbr.add(area.province, users.province, "TTYT", "trung tâm y tế tỉnh", "dùng trong tin y tế")
    abbr.add(area.a, users.commune_a, "NVHĐB", "nhà văn hóa")
    abbr.add(area.b, users.commune_b, "TDP", "tổ dân phố", "phường Bắc Giang")
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = ctx.new_page()
    _log_in(page, live_server.url, "tinh")
    page.goto(live_server.url + "/radio/abbreviations/")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.locator(".abbr-list li").count() == 3
    assert page.locator("#abbr-add select[name=place] option").count() == 3  # the province and its two communes
    page.fill("#abbr-add input[name=abbreviation]", "BCH")
    page.fill("#abbr-add input[name=reading]", "ban chỉ huy 3")
    page.click("#abbr-add button.primary")
    page.wait_for_load_state()
    assert "without digits" in page.inner_text(".msg.error")
    assert page.input_value("#abbr-add input[name=reading]") == "ban chỉ huy 3"  # nothing lost
    assert page.get_attribute("#abbr-add input[name=reading]", "aria-invalid") == "true"
    _shot(page, "pc-en-abbreviations-province.png")
    ctx.close()
