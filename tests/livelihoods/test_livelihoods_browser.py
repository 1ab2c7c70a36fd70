"""The public producer page and the member's producer page in real Chromium on a 360 px phone."""

from __future__ import annotations

import io

import pytest

from tests.browser import _log_in, _no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 140, 60)).save(buf, "JPEG")
    return buf.getvalue()


def test_public_producer_page_on_a_phone(live_server, people, users, browser, settings, tmp_path):  # noqa: F811
    from ngoso.livelihoods import services
    from ngoso.livelihoods.models import Product, Purpose

    settings.MEDIA_ROOT = tmp_path / "media"
    p = services.create_producer(people.h1, users.member, name="Bánh nhôm Ngọc Thiện – làm tay mỗi sáng",
                                 kind="craft", person=people.r1, phone="0987654321",
                                 messenger_url="https://m.me/banhnhomngocthien",
                                 description="Bánh nhôm truyền thống của làng, gói lá chuối, làm trong ngày.")
    for name, price in [("Bánh nhôm nhân đỗ xanh thịt mỡ", 45000), ("Bánh nhôm chay", 40000)]:
        prod = Product.objects.create(producer=p, name=name, price=price, unit="hộp 10 chiếc", season="quanh năm",
                                      ocop_stars=3, vietgap=True, other_certifications="Mã QR truy xuất nguồn gốc")
        services.add_product_photo(prod, _photo(), "banh.jpg", users.member, caption=name)
    for purpose in (Purpose.PRODUCER_PAGE, Purpose.SHOW_PHONE):
        services.record_public_consent(people.r1, purpose, True, users.member, naming="short")
    services.set_published(p, True, users.member)

    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    sizes = []
    page.on("response", lambda r: sizes.append((r.url, len(r.body()) if r.ok else 0)))
    page.goto(f"{live_server.url}/p/{p.public_code}/")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("Bánh nhôm Ngọc Thiện")
    assert _no_horizontal_scroll(page)
    call = page.locator("a[href='tel:0987654321']")
    assert call.count() == 1 and call.bounding_box()["height"] >= 44
    assert page.locator("a[href='https://zalo.me/0987654321']").count() == 1
    assert page.locator("a[href='https://m.me/banhnhomngocthien']").count() == 1
    # thumbnails load and fit the screen
    widths = page.eval_on_selector_all("img", "els => els.map(e => [e.naturalWidth, e.getBoundingClientRect().right])")
    assert len(widths) == 2 and all(nw > 0 and right <= 360 for nw, right in widths)
    total = sum(n for _, n in sizes)
    assert total < 60_000, sizes  # the whole page with its photos, for a weak connection
    body = page.content()
    assert "Nguyễn Thị Lý" not in body and "Kinh" not in body and "nghèo" not in body
    ctx.close()


def test_member_producer_page_on_a_phone(live_server, people, users, browser):  # noqa: F811
    from ngoso.livelihoods import services

    import datetime

    p = services.create_producer(people.h1, users.member, name="Vải thiều nhà chị Lý", kind="crops", person=people.r1)
    services.add_channel(p, users.member, kind="marketplace", platform="shopee", since=datetime.date(2024, 1, 1),
                         address="https://shopee.vn/vai-thieu-luc-ngan-nha-chi-ly-chinh-goc-tuoi-ngon-moi-ngay-1234567890")
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1")
    page.goto(f"{live_server.url}/households/H1/")
    assert _no_horizontal_scroll(page)
    page.click("text=Vải thiều nhà chị Lý")
    page.wait_for_load_state()
    assert "/livelihoods/producers/" in page.url and _no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/livelihoods/articles/?q=vai+thieu")
    assert page.locator("text=Khoanh cành vải thiều cho ra hoa").count() == 1 and _no_horizontal_scroll(page)
    ctx.close()


def test_dashboard_livelihoods_section_fits_a_phone(live_server, people, users, browser):  # noqa: F811
    import datetime

    from ngoso.livelihoods import services

    p = services.create_producer(people.h1, users.member, name="Vải thiều", kind="crops", person=people.r1)
    services.add_channel(p, users.member, kind="social", platform="facebook", since=datetime.date(2024, 1, 1))
    ctx = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    _log_in(page, live_server.url, "tinh")
    page.goto(f"{live_server.url}/places/24/dashboard/")
    assert page.locator("[data-k='livelihoods.producers_online']").get_attribute("data-v") == "1"
    assert _no_horizontal_scroll(page)
    ctx.close()


def _save_back_save(page, url, fill, button="form.card button.primary"):
    """Open a create form, fill it, Save; browser Back (the form as it was typed), Save again."""
    page.goto(url)
    assert page.locator("input[data-once]").count() == 1 and page.locator("input[data-once]").is_hidden()
    fill(page)
    with page.expect_navigation():
        page.locator(button).last.tap()
    first = page.url
    page.go_back()
    page.wait_for_load_state()
    with page.expect_navigation():
        page.locator(button).last.tap()
    return first, page.url


def test_back_after_save_then_save_again_stores_nothing_new_on_the_producer_forms(live_server, people, users,
                                                                                  browser):  # noqa: F811
    """Before: each Save of a form restored by browser Back stored another producer, product, online channel or
    success story (a member on a slow phone taps Back, sees the form and saves again)."""
    from ngoso.livelihoods.models import OnlineChannel, Producer, Product, SuccessStory

    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _log_in(page, live_server.url, "member_a1")

    def producer(pg):
        pg.fill("input[name=name]", "Bánh nhôm chị Lý")
        pg.select_option("select[name=person]", str(people.r1.pk))
    first, again = _save_back_save(page, f"{live_server.url}/households/H1/producer/new/", producer)
    assert Producer.objects.count() == 1 and first == again  # the second Save led to the same producer
    p = Producer.objects.get()

    def product(pg):
        pg.fill("input[name=name]", "Bánh nhôm nhân đỗ")
        pg.fill("input[name=price]", "45000")
    _save_back_save(page, f"{live_server.url}/livelihoods/producers/{p.uuid}/products/new/", product)
    assert Product.objects.filter(producer=p).count() == 1

    def channel(pg):
        pg.select_option("select[name=kind]", "social")
        pg.select_option("select[name=platform]", "facebook")
        pg.fill("input[name=address]", "https://facebook.com/banhnhomly")
        pg.fill("input[name=since]", "2024-03-01")
    _save_back_save(page, f"{live_server.url}/livelihoods/producers/{p.uuid}/channels/new/", channel)
    assert OnlineChannel.objects.filter(producer=p).count() == 1

    def story(pg):
        pg.fill("input[name=title]", "Chị Lý bán bánh qua mạng")
        pg.fill("textarea[name=before]", "Bán ở chợ.")
        pg.fill("textarea[name=change]", "Bán qua Facebook.")
    _save_back_save(page, f"{live_server.url}/residents/{people.r1.uuid}/story/new/", story)
    assert SuccessStory.objects.count() == 1
    # a new form is a new record
    page.goto(f"{live_server.url}/livelihoods/producers/{p.uuid}/products/new/")
    product(page)
    page.fill("input[name=name]", "Bánh nhôm nhân dừa")
    with page.expect_navigation():
        page.locator("form.card button.primary").last.tap()
    assert Product.objects.filter(producer=p).count() == 2
    ctx.close()


def test_back_after_save_then_save_again_stores_no_second_move_in_request(live_server, people, users, browser):  # noqa: F811
    """Before: the move-in form made a new UUID at each POST, so Save again after Back asked twice."""
    from ngoso.people.models import MoveRequest

    ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    _log_in(page, live_server.url, "leader_a1")

    def move_in(pg):
        pg.fill("#move-new input[name=household]", "H1")
        pg.fill("#move-new input[name=full_name]", "Đinh Thị Mới")
        pg.fill("#move-new input[name=from_text]", "Hà Giang")
    _save_back_save(page, f"{live_server.url}/moves/", move_in, button="#move-new button.primary")
    assert MoveRequest.objects.count() == 1
    ctx.close()
