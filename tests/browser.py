"""Real headless Chromium (Debian's) for the browser tests: the launch arguments and two page helpers. The
``browser`` fixture (one Chromium per test module) is in tests/conftest.py."""

from __future__ import annotations

import os

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("NGOSO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]


def _log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
