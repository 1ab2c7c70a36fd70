"""Lessons in real headless Chromium: an older resident's lesson on a 360 px phone, one step per screen; the
field app shows the lesson a resident needs with no signal."""

from __future__ import annotations

import pytest

from ngoso.lessons import services as L
from tests.browser import _no_horizontal_scroll, _log_in
from tests.sync.test_field_app import _open_app, member  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_older_reader_on_a_phone_one_large_step_per_screen(live_server, browser):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    c = L.current("zalo-messaging", "vi", "elderly").content
    page.goto(f"{live_server.url}/lessons/zalo-messaging/?a=elderly")
    assert page.inner_text("h1") == c["title"]
    assert _no_horizontal_scroll(page)
    with page.expect_navigation():
        page.get_by_text("Bắt đầu: bước 1").tap()
    for n, step in enumerate(c["steps"], start=1):
        assert page.inner_text(".count") == f"Bước {n} / {len(c['steps'])}"
        assert page.inner_text(".steptext").strip() == step
        size = page.eval_on_selector(".steptext", "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 28  # very large print
        assert _no_horizontal_scroll(page)
        # the big buttons are easy to hit
        box = page.locator(".stepnav a.primary").bounding_box()
        assert box["height"] >= 44 and box["y"] + box["height"] <= 640  # on screen without scrolling
        with page.expect_navigation():
            page.locator(".stepnav a.primary").tap()
    assert page.locator(".selfcheck").count() == 1
    assert c["check"][0]["q"] in page.inner_text(".selfcheck")
    ctx.close()


def test_field_app_shows_the_residents_lesson_offline(live_server, member, people, browser):  # noqa: F811
    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    page.reload()  # no signal at all: the app and its data come from the phone
    page.wait_for_selector("#app-list li a.stop")
    page.locator("#app-list li a.stop").first.tap()
    # Trần Văn Bình, born 1950: the older readers' variant
    assert _no_horizontal_scroll(page)
    person = page.locator("#app-visit fieldset.person", has_text="Trần Văn Bình")
    person.locator("button.lessonlink").first.tap()
    page.wait_for_selector("#app-lesson")
    skill = L.current("smartphone-basics", "vi", "elderly").content
    assert page.inner_text("#app-lesson h1") == skill["title"]
    page.get_by_text("Bắt đầu: bước 1").tap()
    assert page.inner_text("#app-lesson .steptext") == skill["steps"][0]
    assert page.inner_text("#app-lesson .count") == f"Bước 1 / {len(skill['steps'])}"
    # the library lists every lesson, still offline
    page.locator("#app-lesson button.link").first.tap()
    page.wait_for_selector("#app-visit")
    page.locator("#app-back").tap()
    page.locator("#app-library").tap()
    assert page.locator("#main ul.cards li").count() == len(L.current_versions("vi", "standard"))
    context.close()


def _preparing_then_playing(live_server, browser, monkeypatch, locale, viewport, audio_css, shot):
    """Open a lesson whose recording is not made yet, press play: the player says it is being made; the queued
    job runs (as a worker runs it: ``jobs.execute``); the player then plays the recording by itself."""
    from ngoso.core import jobs
    from ngoso.core.models import Job

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda pk, kind="", delay=0: queued.append(pk))  # no worker yet
    ctx = browser.new_context(viewport=viewport, locale=locale)
    ctx.add_cookies([{"name": "django_language", "value": locale[:2], "url": live_server.url}])
    page = ctx.new_page()
    page.goto(f"{live_server.url}/lessons/zalo-messaging/?a=standard")
    player = page.locator(audio_css).first
    player.scroll_into_view_if_needed()
    page.mouse.click(2, 2)  # the person has used the page: the player may start by itself later
    player.evaluate("a => a.play().catch(() => {})")
    note = page.locator(".msg.preparing")
    note.wait_for(timeout=15000)
    assert note.get_attribute("role") == "status"
    text = note.inner_text()
    assert page.evaluate(f"document.querySelector('{audio_css}').paused")
    assert len(queued) == 1 and Job.objects.get(pk=queued[0]).status == "queued"  # 202: queued, not made here
    assert _no_horizontal_scroll(page)
    page.screenshot(path=shot, full_page=False)
    job = jobs.execute(queued[0])  # a worker takes it
    assert job.status == "done", job.error
    page.wait_for_function("css => { const a = document.querySelector(css); "
                           "return !a.paused && a.currentTime > 0 && a.readyState >= 2; }", arg=audio_css,
                           timeout=20000)
    assert note.count() == 0  # the note goes when it plays
    ctx.close()
    return text


def test_lesson_audio_not_made_yet_says_so_in_vietnamese_then_plays(live_server, browser, monkeypatch, tmp_path,
                                                                      settings):
    settings.DATA_DIR = tmp_path  # an empty cache: the recording is not made yet
    text = _preparing_then_playing(live_server, browser, monkeypatch, "vi-VN", {"width": 360, "height": 740},
                                   "section.listen audio", str(tmp_path / "audio-preparing-vi-360.png"))
    assert text == "Bản đọc đang được chuẩn bị; xong sẽ tự phát."
    text = _preparing_then_playing(live_server, browser, monkeypatch, "en-US", {"width": 1366, "height": 768},
                                   "ol.steps audio", str(tmp_path / "audio-preparing-en-1366.png"))
    assert text == "The recording is being prepared; it plays by itself when it is ready."
    import shutil

    for name in ("audio-preparing-vi-360.png", "audio-preparing-en-1366.png"):  # for a person to look at
        shutil.copy(tmp_path / name, f"/tmp/ngoso-scale-{name}")


def _app_preparing_then_playing(live_server, browser, monkeypatch, lang, viewport, shot):
    """The field app's lesson player, as the web's: press play on a recording not made yet, the server answers 202
    and queues it; the player says so under itself in the page's language; the job runs (as a worker runs it);
    the player then plays the real recording by itself and the note goes."""
    from ngoso.core import jobs
    from ngoso.core.models import Job

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda pk, kind="", delay=0: queued.append(pk))  # no worker yet
    ctx = browser.new_context(viewport=viewport, is_mobile=viewport["width"] < 500, has_touch=viewport["width"] < 500)
    if lang == "en":
        ctx.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1", next="/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.locator("#app-library").click()
    page.locator("#main ul.cards li a").first.click()
    page.wait_for_selector("#app-lesson audio")
    player = page.locator("#app-lesson audio").first
    page.mouse.click(2, 2)  # the person has used the page: the player may start by itself later
    player.evaluate("a => a.play().catch(() => {})")
    note = page.locator("#app-lesson .msg.preparing")
    note.wait_for(timeout=15000)
    assert note.get_attribute("role") == "status"
    text = note.inner_text()
    assert player.evaluate("a => a.paused")
    assert len(queued) == 1 and Job.objects.get(pk=queued[0]).status == "queued"  # 202: queued, not made here
    assert _no_horizontal_scroll(page)
    page.screenshot(path=shot, full_page=False)
    job = jobs.execute(queued[0])  # a worker takes it
    assert job.status == "done", job.error
    page.wait_for_function("() => { const a = document.querySelector('#app-lesson audio'); "
                           "return !a.paused && a.currentTime > 0 && a.readyState >= 2; }", timeout=20000)
    assert note.count() == 0  # the note goes when it plays
    ctx.close()
    return text


def test_field_app_lesson_audio_not_made_yet_says_so_then_plays(live_server, member, browser, monkeypatch,  # noqa: F811
                                                               tmp_path, settings):
    """Before: the field app's player asked again in silence while the recording was being made."""
    settings.DATA_DIR = tmp_path  # an empty cache: the recording is not made yet
    vi = _app_preparing_then_playing(live_server, browser, monkeypatch, "vi", {"width": 360, "height": 740},
                                     str(tmp_path / "app-audio-preparing-vi-360.png"))
    assert vi == "Bản đọc đang được chuẩn bị; xong sẽ tự phát."  # the web player's words
    settings.DATA_DIR = tmp_path / "again"
    en = _app_preparing_then_playing(live_server, browser, monkeypatch, "en", {"width": 1366, "height": 768},
                                     str(tmp_path / "app-audio-preparing-en-1366.png"))
    assert en == "The recording is being prepared; it plays by itself when it is ready."
    import shutil

    for name in ("app-audio-preparing-vi-360.png", "app-audio-preparing-en-1366.png"):  # for a person to look at
        shutil.copy(tmp_path / name, f"/tmp/ngoso-fieldlook-{name}")


def test_field_app_lesson_audio_without_signal_says_it_needs_signal(live_server, member, browser):  # noqa: F811
    """Before: with no signal, play did nothing and said nothing."""
    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    context.set_offline(True)
    page.wait_for_function("!navigator.onLine")
    page.locator("#app-library").tap()
    page.locator("#main ul.cards li a").first.tap()
    player = page.locator("#app-lesson audio").first
    player.evaluate("a => a.play().catch(() => {})")
    note = page.locator("#app-lesson .msg.preparing")
    note.wait_for(timeout=10000)
    assert note.inner_text() == "Cần có mạng để nghe; phần chữ của bài vẫn đọc được khi mất mạng."
    context.close()
