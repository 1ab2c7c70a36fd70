"""Real headless Chromium (Debian's) against a live server: a phone-sized screen and a PC."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("NGOSO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("username", ["xa_a", "leader_a1"])
def test_phone_360px_drill_down_and_search(live_server, people, users, browser, username):
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    _log_in(page, live_server.url, username)
    assert "/places/" in page.url
    assert _no_horizontal_scroll(page)
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
