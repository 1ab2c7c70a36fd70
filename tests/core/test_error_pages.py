"""Issue 18: 403, 404 and 500 pages in Vietnamese (English when chosen), fitting a phone, with the way back;
the 500 page needs no context processor, session or database."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import path

from ngoso.core import errors


def boom(request):
    raise RuntimeError("broken on purpose")


urlpatterns = [path("boom/", boom)]
handler500 = "ngoso.core.errors.server_error"


@pytest.mark.django_db
def test_404_in_vietnamese_with_the_way_back(client):
    r = client.get("/places/nowhere/at/all/")
    body = r.content.decode()
    assert r.status_code == 404 and '<html lang="vi">' in body
    assert "Không tìm thấy trang" in body and "Not Found" not in body
    assert 'name="viewport" content="width=device-width' in body
    # one level up is the nearest address above that is a page (/places/nowhere/at/ is none)
    assert 'href="/"' in body and "Về trang chủ" in body and 'href="/places/nowhere/"' in body
    assert 'href="/places/nowhere/at/"' not in body


@pytest.mark.django_db
def test_404_in_english_when_chosen(client):
    client.cookies["django_language"] = "en"
    body = client.get("/no-such-page/").content.decode()
    assert "Page not found" in body and "Go to the home page" in body and "Không tìm thấy" not in body


@pytest.mark.django_db
def test_403_names_no_code_and_offers_the_way_back(login, users):
    c = login(users.member)
    r = c.get("/radio/")  # a member has no radio permission: PermissionDenied("radio")
    body = r.content.decode()
    assert r.status_code == 403 and "Không được phép" in body and "Về trang chủ" in body
    assert ">radio<" not in body and 'name="viewport"' in body


@pytest.mark.django_db
def test_the_way_up_from_a_household_or_resident_is_never_a_missing_page(login, people, users):
    """Before: a radio operator sent from a producer's page to its household (403) was offered "Go up one level"
    to /households/, a 404 (and /residents/ from a story's resident), as the commune demo's crawl found."""
    c = login(users.radio)
    for url in (f"/households/{people.h1.code}/", f"/residents/{people.r1.uuid}/", "/households/NOPE/x/"):
        r = c.get(url)
        body = r.content.decode()
        assert r.status_code in (403, 404) and "Về trang chủ" in body, url
        assert 'href="/households/"' not in body and 'href="/residents/"' not in body, url
    assert 'href="/households/NOPE/"' in c.get("/households/NOPE/x/").content.decode()  # a page's address


def test_500_needs_no_context_processor_nor_database(settings):
    settings.ROOT_URLCONF = __name__
    c = Client(raise_request_exception=False)
    r = c.get("/boom/")
    body = r.content.decode()
    assert r.status_code == 500 and "Đã có lỗi" in body and 'href="/"' in body and 'name="viewport"' in body
    assert "Server Error (500)" not in body
    c.cookies["django_language"] = "en"
    assert "Something went wrong" in c.get("/boom/").content.decode()


def test_500_falls_back_to_a_fixed_page_when_the_template_fails(monkeypatch):
    def broken(name):
        raise RuntimeError("template broken")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    r = errors.server_error(None)
    assert r.status_code == 500 and "Về trang chủ / Home" in r.content.decode()


def test_error_templates_are_translated():
    from pathlib import Path

    from tests.i18n_check import untranslated

    root = Path(errors.__file__).parent.parent / "templates"
    assert untranslated([root / "403.html", root / "404.html", root / "500.html", root / "_way_back.html"]) == []


@pytest.mark.django_db
def test_403_says_the_role_and_what_it_may_not_do_in_words_never_a_code(login, users):
    """Before: a viewer sent to the import page read "Vai trò của bạn không được làm việc này (import)." (the
    capability's code), as on the commune demo."""
    c = login(users.viewer)
    body = c.get("/import/").content.decode()
    assert "Vai trò của bạn (Người xem) không được nhập dữ liệu." in body and "(import)" not in body
    c.cookies["django_language"] = "en"
    body = c.get("/import/").content.decode()
    assert "Your role (Viewer) may not import data." in body and "(import)" not in body
