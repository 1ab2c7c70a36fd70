"""Real headless Chromium (Debian's) for the browser tests: the launch arguments and two page helpers. The
``browser`` fixture (one Chromium per test module) is in tests/conftest.py."""

from __future__ import annotations

import os

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("NGOSO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]


def _log_in(page, base, username, next: str = ""):
    """Log ``username`` in through the login page (then to ``next``, e.g. the field app's ``/app/``)."""
    page.goto(f"{base}/login/" + (f"?next={next}" if next else ""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
