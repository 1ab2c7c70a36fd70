"""Issue 18: the field app speaks the page's language (its words come with the page as JSON, no inline code):
Vietnamese by default with the web's level words, English when chosen, skill names from the catalogue's
English names. In real Chromium at 360 px; screenshots in /tmp/shots-pages-radio/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web.test_browser import browser  # noqa: F401  (the shared browser fixture)
from tests.sync.test_field_app import _open_app, member  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-pages-radio")
VI_LETTERS = re.compile(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđăâêôơưàáèéìíòóùúýãõĩũ]", re.I)


def _data_words():
    from ngoso.people.models import Household, Resident
    from ngoso.places.models import Place

    out = set(Place.objects.values_list("name", flat=True)) | set(Resident.objects.values_list("full_name", flat=True))
    out |= set(Household.objects.values_list("code", flat=True)) | {"Ngõ Số"}
    return sorted(out, key=len, reverse=True)


def test_field_app_in_vietnamese_uses_the_webs_words(live_server, member, browser):  # noqa: F811
    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert page.inner_text("h1") == "Việc hôm nay" and "lượt thăm chưa gửi" in page.inner_text("#status")
    page.locator("#app-list li a.stop").first.tap()
    labels = page.locator("#app-visit .seg label span").all_inner_texts()[:3]
    assert labels == ["Chưa làm được", "Làm được khi có hỗ trợ", "Tự làm được"]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-vi-field-visit.png"), full_page=True)
    context.close()


def test_field_app_in_english_has_no_vietnamese_outside_data(live_server, member, browser):  # noqa: F811
    context, page = _open_app(browser, live_server)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert page.inner_text("h1") == "Today's work"
    assert page.evaluate("document.documentElement.lang") == "en"
    data = _data_words()

    def leftovers():
        text = page.inner_text("body")
        for s in data:
            text = text.replace(s, " ")
        return [w for w in text.split() if VI_LETTERS.search(w)]

    assert leftovers() == [], page.inner_text("body")
    page.locator("#app-list li a.stop").first.tap()
    page.wait_for_selector("#app-visit")
    assert page.locator("#app-visit .seg label span").all_inner_texts()[:3] == ["Not yet", "Can do with help",
                                                                             "Can do alone"]
    assert leftovers() == [], "Vietnamese words in the English visit form"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-en-field-visit.png"), full_page=True)
    context.close()
