"""The radio pages in real headless Chromium on a 360 px phone: the editor's live preview, no sideways scroll."""

from __future__ import annotations

import pytest

from tests.web.test_browser import _log_in, _no_horizontal_scroll, browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_phone_editor_previews_the_normalised_reading_and_pages_fit(live_server, users, browser, settings,  # noqa: F811
                                                                    tmp_path):
    from ngoso.radio import services

    settings.DATA_DIR = tmp_path
    services.register_cluster(place=users.radio.place, code="LOA-PHONE", name="Cụm loa thử trên điện thoại")
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    _log_in(page, live_server.url, "radio_a")
    for url in ("/radio/", "/radio/clusters/", "/radio/programmes/new/", "/radio/emergency/", "/radio/reports/"):
        page.goto(live_server.url + url)
        assert _no_horizontal_scroll(page), url
    page.goto(live_server.url + "/radio/bulletins/new/")
    page.fill("#text", "Họp thôn lúc 7h30 ngày 28/11/2026")
    page.wait_for_function("document.getElementById('spoken').textContent.includes('bảy giờ ba mươi')", timeout=5000)
    assert "hai mươi tám tháng mười một" in page.inner_text("#spoken")
    assert _no_horizontal_scroll(page)
    ctx.close()
