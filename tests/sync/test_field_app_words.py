"""Issue 18: the field app speaks the page's language (its words come with the page as JSON, no inline code):
Vietnamese by default with the web's level words, English when chosen, skill names from the catalogue's
English names. In real Chromium at 360 px; screenshots in /tmp/shots-pages-radio/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_field_app_registration_forms_in_english(live_server, member, area, browser):  # noqa: F811
    """The new household, new person and move forms (registering at the door) speak English when chosen: their
    labels, choices (relations, sex, means of access, ethnic groups' English names) and messages."""
    from ngoso.people.models import Ethnicity

    context, page = _open_app(browser, live_server)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    data = _data_words()
    context.set_offline(True)  # at the door, without signal (no sync redraws the form meanwhile)
    page.wait_for_function("!navigator.onLine")

    def leftovers(selector="#main"):
        text = page.inner_text(selector) + " " + " ".join(page.locator(f"{selector} option").all_inner_texts())
        for s in data:
            text = text.replace(s, " ")
        return [w for w in text.split() if VI_LETTERS.search(w)]

    page.locator("#app-new-household").tap()
    page.wait_for_selector("#app-household-form")
    assert page.inner_text("#app-household-form h1") == "New household"
    assert "Smartphone" in page.inner_text("#app-household-form") and leftovers() == [], page.inner_text("#main")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "phone-en-field-household.png"), full_page=True)
    page.select_option("select[name=village]", area.va1.code)
    page.fill("input[name=alley]", "8")
    page.locator("#app-save-household").tap()
    page.wait_for_selector("#app-resident-form")
    form = page.inner_text("#app-resident-form")
    assert "Full name" in form and "Birth year" in form and "Female" in form
    options = page.locator("select[name=relation] option").all_inner_texts()
    assert options[0] == "Head of household" and "Other" in options
    kinh = Ethnicity.objects.get(code="01")
    assert page.locator("select[name=ethnicity] option").first.inner_text() == kinh.name_en
    data += sorted(Ethnicity.objects.values_list("name_en", flat=True), key=len, reverse=True)  # catalogue names
    assert leftovers() == [], form
    page.screenshot(path=str(SHOTS / "phone-en-field-resident.png"), full_page=True)
    # a near-duplicate of someone the phone holds (Nguyễn Thị Lý, 1978, alley 3): the warning in English
    page.locator("#app-consent").check()
    page.fill("input[name=full_name]", "Nguyen Thi Ly")
    page.locator("input[name=sex][value=female]").check()
    page.fill("input[name=birth_year]", "1978")
    page.locator("#app-save-resident").tap()
    page.wait_for_selector("#app-dup-warning:not([hidden])")
    assert page.inner_text("#app-dup-warning").startswith("Maybe already recorded: Nguyễn Thị Lý, 1978, alley 3")
    assert leftovers() == []
    page.locator("#app-save-resident").tap()  # someone else: saved on the second tap
    page.wait_for_selector("#app-visit")
    page.locator("select[aria-label='Change for Nguyen Thi Ly']").select_option("move")
    page.wait_for_selector("#app-move-form")
    assert page.inner_text("#app-move-form h1") == "Move Nguyen Thi Ly to another household"
    assert "+ New household" in page.inner_text("#app-move-form") and leftovers() == [], page.inner_text("#main")
    page.screenshot(path=str(SHOTS / "phone-en-field-move.png"), full_page=True)
    context.close()


def test_field_app_lesson_library_in_english_when_english_is_chosen(live_server, member, browser):  # noqa: F811
    """Before: the English app's library listed the Vietnamese lessons (titles, steps) although English ones exist."""
    from ngoso.lessons import services as L

    context, page = _open_app(browser, live_server)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.locator("#app-library").tap()
    titles = page.locator("#main ul.cards li a").all_inner_texts()
    english = {v.content["title"] for v in L.current_versions("en", "standard").values()}
    assert titles and set(titles) == english, titles
    page.locator("#main ul.cards li a").first.tap()
    page.wait_for_selector("#app-lesson")
    assert page.locator("#app-lesson").get_attribute("lang") == "en"
    assert [w for w in page.inner_text("#app-lesson").split() if VI_LETTERS.search(w)] == []
    context.close()
    # and in Vietnamese the library stays Vietnamese
    context, page = _open_app(browser, live_server)
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    page.locator("#app-library").tap()
    vi = {v.content["title"] for v in L.current_versions("vi", "standard").values()}
    assert set(page.locator("#main ul.cards li a").all_inner_texts()) == vi
    context.close()
