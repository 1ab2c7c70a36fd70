"""Digital livelihoods: producers, public pages, consent, photos, farming library, stories, indicators."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from ngoso.livelihoods import services
from ngoso.livelihoods.models import (ArticleSend, FarmingArticle, OnlineChannel, Producer, Product, Purpose,
                                      SuccessStory)
from ngoso.livelihoods.services import LivelihoodError

pytestmark = pytest.mark.django_db


def _jpeg(w=800, h=600, color=(200, 120, 40), exif_gps=False) -> bytes:
    from PIL import Image

    im = Image.new("RGB", (w, h), color)
    buf = io.BytesIO()
    kw = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "SecretPhoneMaker"  # Make
        kw["exif"] = exif
    im.save(buf, "JPEG", quality=90, **kw)
    return buf.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def banh(people, users):
    """Chị Lý's bánh nhôm business in household H1 (poor household, phone on record), one product."""
    p = services.create_producer(people.h1, users.member, name="Bánh nhôm Ngọc Thiện", kind="craft",
                                 person=people.r1, phone="0987654321",
                                 description="Bánh nhôm truyền thống làm tay mỗi sáng.")
    Product.objects.create(producer=p, name="Bánh nhôm nhân đỗ xanh", price=45000, unit="hộp 10 chiếc",
                           season="quanh năm", ocop_stars=3, vietgap=False)
    return p


def _consent(resident, purpose, user, given=True, naming="short", story=None):
    return services.record_public_consent(resident, purpose, given, user, naming=naming, story=story)


# ---------------------------------------------------------------------------------------------- pure helpers

def test_price_and_money_formatting():
    assert services.format_price(45000) == "45.000 đ"
    assert services.format_price(1250000) == "1.250.000 đ"
    assert services.format_price(None) == ""
    assert services.money_words(4_500_000) == "4 triệu 500 nghìn đồng"
    assert services.money_words(45_000) == "45 nghìn đồng"
    assert services.money_words(1_200_000_000) == "1 tỷ 200 triệu đồng"


def test_spoken_text_has_no_urls_emojis_or_bullets():
    text = services.spoken("Xem https://shopee.vn/abc ngay 😀\n• Giá tốt\n#BanhNhom\n1. Gọi cho chị")
    assert "http" not in text and "😀" not in text and "•" not in text and "#" not in text
    assert "Giá tốt." in text and "Gọi cho chị." in text


def _story_view(**kw):
    view = {"who": "chị Lý", "place": "Thôn Đồng Bụt, Xã Ngọc Thiện", "title": "Bánh nhôm lên mạng",
            "before": "Trước đây chị chỉ bán ở chợ xã.", "change": "Chị học lập trang Facebook, nhận đơn qua Zalo.\n"
            "Xem thêm tại https://example.vn/p/abc 🎉", "income_before": 3_000_000, "income_after": 7_500_000,
            "period": "month", "figures": "Mỗi tháng gửi bánh đi 5 tỉnh.", "quote": "Điện thoại giúp tôi bán được xa."}
    view.update(kw)
    return view


def test_story_spoken_text_composition():
    text = services.story_spoken_text(_story_view())
    assert text.startswith("Câu chuyện hay ở Thôn Đồng Bụt, Xã Ngọc Thiện: Bánh nhôm lên mạng.")
    assert "Đây là câu chuyện của chị Lý." in text
    assert "3 triệu đồng mỗi tháng" in text and "7 triệu 500 nghìn đồng mỗi tháng" in text
    assert "http" not in text and "example.vn" not in text and "🎉" not in text
    assert "tổ công nghệ số cộng đồng" in text
    anon = services.story_spoken_text(_story_view(who=None))
    assert "Một người dân" in anon and "Lý" not in anon.replace("Lý do", "")


def test_article_spoken_text(db):
    a = FarmingArticle.objects.get(slug="lon-dich-ta-chau-phi")
    text = services.article_spoken_text(a)
    assert text.startswith("Bản tin khuyến nông: Phòng bệnh dịch tả lợn châu Phi.")
    assert "thú y" in text and "http" not in text and "\n" not in text


# ---------------------------------------------------------------------------------------------- producers

def test_member_sets_up_producer_end_to_end(login, people, users, media):
    c = login(users.member)
    r = c.get(reverse("household", args=["H1"]))
    assert r.status_code == 200 and "Thiết lập hộ sản xuất" in r.content.decode() or "Set up as a producer" in r.content.decode()
    r = c.post(reverse("livelihoods:producer_new", args=["H1"]), {
        "name": "Bánh nhôm chị Lý", "kind": "craft", "person": people.r1.pk, "description": "Làm tay.",
        "phone": "0987 654 321", "messenger_url": "https://m.me/banhnhomly"})
    assert r.status_code == 302
    p = Producer.objects.get(name="Bánh nhôm chị Lý")
    assert p.created_by == users.member and p.person == people.r1
    r = c.post(reverse("livelihoods:product_new", args=[p.uuid]), {
        "name": "Bánh nhôm nhân đỗ", "price": "45000", "unit": "hộp", "season": "quanh năm", "ocop_stars": "3",
        "vietgap": "on", "other_certifications": "", "description": "", "active": "on"})
    assert r.status_code == 302
    product = p.products.get()
    r = c.post(reverse("livelihoods:product_photo", args=[p.uuid, product.pk]),
               {"photo": _upload("banh.jpg", _jpeg(2400, 1800, exif_gps=True)), "caption": "Bánh mới ra lò"})
    assert r.status_code == 302
    ph = product.photos.get()
    assert max(ph.width, ph.height) == services.DISPLAY_SIZE and ph.thumb.endswith(".webp")
    assert b"SecretPhoneMaker" not in (media / ph.file).read_bytes()  # metadata stripped
    r = c.post(reverse("livelihoods:channel_new", args=[p.uuid]), {
        "kind": "social", "platform": "facebook", "address": "https://facebook.com/banhnhomly",
        "since": "2024-03-01", "skills": [_skill("sell-online"), _skill("take-photos-videos")], "show_publicly": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    c.post(reverse("livelihoods:channel_new", args=[p.uuid]), {
        "kind": "payment", "platform": "vietqr", "address": "Agribank", "since": "2024-05-01"})
    assert {ch.kind for ch in p.channels.all()} == {"social", "payment"}
    assert {s.code for s in p.channels.get(kind="social").skills.all()} == {"sell-online", "take-photos-videos"}
    # publishing without consent is refused with the reason
    r = c.post(reverse("livelihoods:producer_publish", args=[p.uuid]), {"on": "1"}, follow=True)
    p.refresh_from_db()
    assert not p.published and "Nguyễn Thị Lý" in r.content.decode()
    c.post(reverse("livelihoods:producer_consent", args=[p.uuid]),
           {"purpose": "producer_page", "given": "1", "naming": "short", "method": "signed", "reference": "PĐY-01"})
    r = c.post(reverse("livelihoods:producer_publish", args=[p.uuid]), {"on": "1"})
    p.refresh_from_db()
    assert p.published
    page = c.get(reverse("livelihoods:producer", args=[p.uuid])).content.decode()
    assert f"/p/{p.public_code}/" in page and "45.000 đ/hộp" in page and "textarea" in page
    assert "0987 654 321" not in c.get(f"/p/{p.public_code}/").content.decode()
    # the phone form as the page sends it (no naming field)
    c.post(reverse("livelihoods:producer_consent", args=[p.uuid]),
           {"purpose": "show_phone", "given": "1", "method": "oral", "reference": ""})
    public = c.get(f"/p/{p.public_code}/").content.decode()
    assert 'href="tel:0987654321"' in public and "https://m.me/banhnhomly" in public


def _upload(name, data, ctype="image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=ctype)


def _skill(code):
    from ngoso.skills.models import Skill

    return Skill.objects.get(catalogue__is_current=True, code=code).pk


def test_producer_owner_must_be_of_the_household(people, users):
    with pytest.raises(LivelihoodError):
        services.create_producer(people.h1, users.member, name="X", person=people.r3)
    with pytest.raises(LivelihoodError, match="Số điện thoại"):
        services.create_producer(people.h1, users.member, name="X", phone="12345")
    with pytest.raises(PermissionDenied):
        services.create_producer(people.h1, users.viewer, name="X")


def test_scoping_member_of_other_commune_cannot_see_or_edit(login, banh, users, people):
    from ngoso.accounts.models import Role, User

    other = User.objects.create(username="member_b", role=Role.MEMBER, place=people.h3.village)
    c = login(other)
    assert c.get(reverse("livelihoods:producer", args=[banh.uuid])).status_code == 404
    assert c.get(reverse("livelihoods:producer_edit", args=[banh.uuid])).status_code == 404
    assert c.post(reverse("livelihoods:product_new", args=[banh.uuid]), {"name": "x"}).status_code == 404
    assert c.post(reverse("livelihoods:producer_publish", args=[banh.uuid]), {"on": "1"}).status_code == 404
    assert c.get(reverse("livelihoods:producer_new", args=["H1"])).status_code == 404
    assert "Bánh nhôm" not in c.get(reverse("livelihoods:producers")).content.decode()
    # commune A's staff sees it
    c2 = login(users.commune_a)
    assert c2.get(reverse("livelihoods:producer", args=[banh.uuid])).status_code == 200


# ---------------------------------------------------------------------------------------------- public page

PRIVATE = ["Kinh", "Tày", "hộ nghèo", "Hộ nghèo", "cận nghèo", "H1", "0912345678", "số 12", "ngõ 3", "1978",
           "Trần Văn Bình"]


def test_public_page_needs_consent_and_shows_nothing_private(client, banh, people, users):
    url = reverse("livelihoods:public_producer", args=[banh.public_code])
    with pytest.raises(LivelihoodError, match="chưa đồng ý"):
        services.set_published(banh, True, users.member)
    assert client.get(url).status_code == 404
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member, naming="short")
    services.set_published(banh, True, users.member)
    r = client.get(url)
    html = r.content.decode()
    assert r.status_code == 200
    assert "Bánh nhôm nhân đỗ xanh" in html and "45.000 đ/hộp 10 chiếc" in html and "OCOP 3 sao" in html
    assert "chị Lý" in html and "Nguyễn Thị Lý" not in html
    for s in PRIVATE:
        assert s not in html, s
    # no phone (and no tel:/Zalo link) without its own consent
    assert "0987654321" not in html and "tel:" not in html and "zalo.me" not in html
    _consent(people.r1, Purpose.SHOW_PHONE, users.member)
    html = client.get(url).content.decode()
    assert 'href="tel:0987654321"' in html and "https://zalo.me/0987654321" in html
    # withdrawal of the page consent hides the page at once
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member, given=False)
    assert client.get(url).status_code == 404
    assert client.get(url + "qr.svg").status_code == 404


def test_public_page_is_small_and_has_qr(client, banh, people, users, media):
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member, naming="full")
    services.add_product_photo(banh.products.get(), _jpeg(1600, 1200), "a.jpg", users.member)
    services.set_published(banh, True, users.member)
    url = reverse("livelihoods:public_producer", args=[banh.public_code])
    r = client.get(url)
    html = r.content
    assert r.status_code == 200 and b"<script" not in html and b"stylesheet" not in html
    assert len(html) < 8_000, len(html)
    assert "Nguyễn Thị Lý".encode() in html  # full naming allowed
    ph = banh.products.get().photos.get()
    thumb = client.get(f"{url}img/{ph.pk}-t")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/webp"
    assert ph.thumb_bytes < 40_000
    svg = client.get(url + "qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get(url + "qr.png")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    import zxingcpp
    from PIL import Image

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded and decoded[0].text.endswith(f"/p/{banh.public_code}/")
    assert client.get(url + "qr.gif").status_code == 404


def test_paste_texts(banh, people, users):
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member)
    _consent(people.r1, Purpose.SHOW_PHONE, users.member)
    services.add_channel(banh, users.member, kind="marketplace", platform="postmart",
                         address="https://postmart.vn/shop/banhnhom", since=datetime.date(2024, 1, 1))
    services.set_published(banh, True, users.member)
    view = services.public_producer(banh)
    post = services.social_post_text(view)
    assert "• Bánh nhôm nhân đỗ xanh: 45.000 đ/hộp 10 chiếc (mùa quanh năm; OCOP 3 sao)" in post
    assert "Gọi / Zalo: 0987654321" in post and f"/p/{banh.public_code}/" in post and "#BánhNhômNhânĐỗXanh" in post
    listing = services.listing_text(view, view["products"][0])
    assert listing.splitlines()[0] == "Bánh nhôm nhân đỗ xanh Ngọc Thiện – OCOP 3 sao"
    assert "Giá: 45.000 đ/hộp 10 chiếc" in listing and "Xuất xứ: Thôn Đồng Bụt, Xã Ngọc Thiện" in listing
    assert view["channels"] == [{"platform": "Postmart", "kind": "marketplace", "url": "https://postmart.vn/shop/banhnhom"}]


def test_payment_channels_never_public_and_no_account_numbers(banh, users):
    with pytest.raises(LivelihoodError, match="số tài khoản"):
        services.add_channel(banh, users.member, kind="payment", platform="bank_app", address="1903 6543 2100 12",
                             since=datetime.date(2024, 1, 1))
    ch = services.add_channel(banh, users.member, kind="payment", platform="momo", address="https://momo.vn/x",
                              since=datetime.date(2024, 1, 1), show_publicly=True)
    assert ch.show_publicly is False
    with pytest.raises(LivelihoodError):
        services.add_channel(banh, users.member, kind="social", platform="facebook",
                             since=datetime.date.today() + datetime.timedelta(days=3))


# ---------------------------------------------------------------------------------------------- photos

@pytest.mark.parametrize("name,data,msg", [
    ("notes.jpg", b"this is not an image at all", "không phải ảnh|not a photo"),
    ("empty.jpg", b"", "trống|empty"),
    ("doc.gif", None, "GIF"),
])
def test_photo_bad_input_clear_error(banh, users, media, name, data, msg):
    if data is None:
        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, "GIF")
        data = buf.getvalue()
    with pytest.raises(LivelihoodError, match=name.replace(".", r"\.")) as exc:
        services.add_product_photo(banh.products.get(), data, name, users.member)
    assert re.search(msg, str(exc.value), re.IGNORECASE) or name in str(exc.value)
    assert banh.products.get().photos.count() == 0


def test_photo_too_big_through_the_page(login, banh, users, media):
    c = login(users.member)
    product = banh.products.get()
    big = _jpeg(50, 50) + b"\0" * (services.MAX_PHOTO_BYTES + 10)
    r = c.post(reverse("livelihoods:product_photo", args=[banh.uuid, product.pk]),
               {"photo": _upload("huge.jpg", big)}, follow=True)
    html = r.content.decode()
    assert "huge.jpg" in html and "8 MB" in html
    r = c.post(reverse("livelihoods:product_photo", args=[banh.uuid, product.pk]),
               {"photo": _upload("fake.jpg", b"%PDF-1.4 not a photo")}, follow=True)
    assert "fake.jpg" in r.content.decode()
    assert product.photos.count() == 0


def test_photo_pixels_limit(banh, users, media, monkeypatch):
    monkeypatch.setattr(services, "MAX_PIXELS", 1000)
    with pytest.raises(LivelihoodError, match="pixels|điểm ảnh"):
        services.add_product_photo(banh.products.get(), _jpeg(100, 100), "wide.jpg", users.member)


# ---------------------------------------------------------------------------------------------- articles

def test_starter_articles_loaded_with_sources():
    arts = FarmingArticle.objects.all()
    assert arts.count() >= 20
    subjects = set(arts.values_list("subject", flat=True))
    assert {"Lúa", "Vải thiều", "Lợn", "Gà", "Rau", "Bán hàng online"} <= subjects
    assert all(a.source and a.source_type for a in arts)
    assert all(a.revisions.count() == 1 for a in arts)
    assert services.load_starter_articles() == 0  # idempotent


def test_search_is_accent_insensitive():
    hits = services.search_articles("banh nhom")
    assert hits and hits[0].slug == "banh-nhom-dac-san-ban-online"
    assert "bánh nhôm" in hits[0].title.lower()
    assert services.search_articles("bánh nhôm")[0] == hits[0]
    assert any(a.subject == "Vải thiều" for a in services.search_articles("vai thieu"))
    assert services.search_articles("dich ta lon")[0].slug == "lon-dich-ta-chau-phi"  # đ folded to d
    assert [a.slug for a in services.search_articles("", subject="lua")] and all(
        a.subject == "Lúa" for a in services.search_articles("", subject="lua"))
    assert services.search_articles("xyzzy khong co") == []


def test_producer_search_accent_insensitive(banh, people, users):
    from ngoso.accounts.scope import scoped

    qs = scoped(Producer.objects.all(), users.member)
    assert list(services.search_producers(qs, "banh nhom")) == [banh]
    assert list(services.search_producers(qs, "nhan do xanh")) == [banh]  # a product's name
    assert list(services.search_producers(qs, "vai thieu")) == []
    # and the other way round: typed without accents, found with them ("Đ" folded too)
    plain = services.create_producer(people.h1, users.member, name="banh nhom co Ly", person=people.r1)
    Product.objects.create(producer=plain, name="dau phong rang")
    assert set(services.search_producers(qs, "Bánh Nhôm")) == {banh, plain}
    assert list(services.search_producers(qs, "ĐẬU PHÔNG RANG")) == [plain]


def test_article_search_page_and_send_to_household(login, people, users):
    c = login(users.member)
    html = c.get(reverse("livelihoods:articles"), {"q": "banh nhom", "household": "H1"}).content.decode()
    assert "Bán bánh nhôm" in html and "household=H1" in html
    r = c.post(reverse("livelihoods:article_send", args=["ray-nau-not-exists"]), {"household": "H1", "how": "zalo"})
    assert r.status_code == 404
    r = c.post(reverse("livelihoods:article_send", args=["lua-phong-tru-ray-nau"]),
               {"household": "H1", "how": "zalo", "note": "gửi qua Zalo của chị Lý"})
    assert r.status_code == 302 and r["Location"] == reverse("household", args=["H1"])
    send = ArticleSend.objects.get()
    assert send.sent_by == users.member and send.household == people.h1 and send.how == "zalo"
    assert "Phòng trừ rầy nâu hại lúa" in c.get(reverse("household", args=["H1"])).content.decode()
    # a household outside the member's area: refused, nothing recorded
    r = c.post(reverse("livelihoods:article_send", args=["lua-phong-tru-ray-nau"]), {"household": "H3", "how": "zalo"},
               follow=True)
    assert "H3" in r.content.decode() and ArticleSend.objects.count() == 1


def test_province_staff_edit_articles_with_versions(login, users):
    a = FarmingArticle.objects.get(slug="ga-phong-cum-gia-cam")
    c = login(users.member)
    assert c.get(reverse("livelihoods:article_edit", args=[a.slug])).status_code == 403
    c = login(users.province)
    data = {"title": a.title, "topic": a.topic, "subject": a.subject, "summary": a.summary,
            "body": a.body + "\nGọi đường dây nóng của thú y tỉnh khi cần.", "source_type": a.source_type,
            "source": a.source, "active": "on"}
    assert c.post(reverse("livelihoods:article_edit", args=[a.slug]), data).status_code == 302
    a.refresh_from_db()
    assert a.version == 2 and "đường dây nóng" in a.body and a.revisions.count() == 2
    assert a.revisions.get(version=1).body != a.body
    assert services.search_articles("duong day nong")[0] == a
    r = c.post(reverse("livelihoods:article_new"), {**data, "title": "Trồng na Lục Nam", "subject": "Na",
                                                     "body": "Tỉa cành sau thu hoạch.", "topic": "crops"})
    assert r.status_code == 302 and FarmingArticle.objects.get(title="Trồng na Lục Nam").slug == "trong-na-luc-nam"
    assert services.load_starter_articles() == 0
    a.refresh_from_db()
    assert "đường dây nóng" in a.body  # a staff edit survives the next reload of the starter file


# ---------------------------------------------------------------------------------------------- stories

def test_no_link_to_a_household_or_resident_page_for_who_may_not_open_it(login, story, banh, people, users):
    """Before: a radio operator read a producer's page and a story with links to the household and the resident,
    each a 403 (the commune demo's crawl as truyenthanh); staff keep the links."""
    producer, detail = f"/livelihoods/producers/{banh.uuid}/", f"/livelihoods/stories/{story.uuid}/"
    household, resident = f'href="/households/{people.h1.code}/"', f'href="/residents/{people.r1.uuid}/"'
    radio = login(users.radio)
    page = radio.get(producer).content.decode()
    assert people.h1.code in page and household not in page
    page = radio.get(detail).content.decode()
    assert people.r1.full_name in page and resident not in page
    staff = login(users.commune_a)
    assert household in staff.get(producer).content.decode() and resident in staff.get(detail).content.decode()


@pytest.fixture
def story(people, users, banh):
    return services.save_story(None, {
        "title": "Nguyễn Thị Lý đưa bánh nhôm lên mạng", "before": "Nguyễn Thị Lý chỉ bán bánh ở chợ xã.",
        "change": "Được tổ công nghệ số hướng dẫn, chị lập trang Facebook và nhận đơn qua Zalo.",
        "income_before": 3_000_000, "income_after": 7_500_000, "income_period": "month",
        "figures": "Gửi bánh đi 5 tỉnh", "quote": "Tôi không nghĩ bán được xa thế.", "producer": banh},
        users.member, resident=people.r1)


def test_story_needs_consent_before_approval_and_publishing(story, users, people, client):
    with pytest.raises(PermissionDenied):
        services.approve_story(story, users.member)
    with pytest.raises(LivelihoodError, match="Chưa ghi nhận sự đồng ý"):
        services.approve_story(story, users.commune_a)
    # a consent to the producer page is not a consent to publish the story
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member)
    with pytest.raises(LivelihoodError):
        services.approve_story(story, users.commune_a)
    _consent(people.r1, Purpose.STORY, users.member, naming="short", story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    story.refresh_from_db()
    assert story.status == "published" and story.published_at
    url = reverse("livelihoods:public_story", args=[story.public_code])
    html = client.get(url).content.decode()
    assert "Chị Lý đưa bánh nhôm lên mạng" in html and "Nguyễn Thị Lý" not in html
    assert "Chị Lý chỉ bán bánh ở chợ xã" in html
    assert "3.000.000 đ" in html and "7.500.000 đ" in html
    for s in PRIVATE:
        assert s not in html, s
    assert SuccessStory.objects.get(pk=story.pk).title.startswith("Nguyễn Thị Lý")  # staff keep the full name
    assert "Chị Lý đưa bánh nhôm" in client.get(reverse("livelihoods:public_stories")).content.decode()
    # withdrawal of consent removes it from the public pages at once
    _consent(people.r1, Purpose.STORY, users.member, given=False, story=story)
    assert client.get(url).status_code == 404
    assert "bánh nhôm" not in client.get(reverse("livelihoods:public_stories")).content.decode()
    with pytest.raises(LivelihoodError):
        services.story_to_bulletin(story, users.commune_a)


def test_story_not_named_when_consent_says_so(story, users, people):
    _consent(people.r1, Purpose.STORY, users.member, naming="none", story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    view = services.public_story(story)
    assert view["who"] is None
    text = " ".join(str(v) for v in view.values())
    assert "Lý" not in text and view["title"].startswith("Một người dân đưa bánh nhôm")
    assert "Lý" not in services.story_spoken_text(view)


def test_editing_a_published_story_sends_it_back_for_approval(story, users, people):
    _consent(people.r1, Purpose.STORY, users.member, story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    services.save_story(story, {"figures": "Gửi bánh đi 7 tỉnh"}, users.member)
    story.refresh_from_db()
    assert story.status == "draft" and services.public_story(story) is None
    with pytest.raises(LivelihoodError, match="phải được duyệt"):
        services.publish_story(story, users.commune_a)


def test_story_pages_flow(login, people, users):
    c = login(users.member)
    page = c.get(reverse("resident", args=[people.r1.uuid])).content.decode()
    assert reverse("livelihoods:story_new", args=[people.r1.uuid]) in page and "Viết câu chuyện hay" in page
    r = c.post(reverse("livelihoods:story_new", args=[people.r1.uuid]), {
        "title": "Chị Lý bán bánh qua mạng", "before": "Bán ở chợ.", "change": "Bán qua Facebook.",
        "income_before": "3000000", "income_after": "7000000", "income_period": "month"})
    assert r.status_code == 302
    s = SuccessStory.objects.get()
    c.post(reverse("livelihoods:story_action", args=[s.uuid, "consent"]),
           {"given": "1", "naming": "short", "method": "signed", "reference": "GĐY-7"})
    r = c.post(reverse("livelihoods:story_action", args=[s.uuid, "approve"]))
    s.refresh_from_db()
    assert s.status == "draft"  # a member cannot approve
    c = login(users.commune_a)
    c.post(reverse("livelihoods:story_action", args=[s.uuid, "approve"]))
    c.post(reverse("livelihoods:story_action", args=[s.uuid, "publish"]))
    s.refresh_from_db()
    assert s.status == "published"
    html = c.get(reverse("livelihoods:story", args=[s.uuid])).content.decode()
    assert "Câu chuyện hay ở" in html


# ---------------------------------------------------------------------------------------------- indicators

def test_indicators_by_place_and_over_time(banh, people, users, area):
    from ngoso.insights.dashboard import dashboard

    today = datetime.date.today()
    services.add_channel(banh, users.member, kind="social", platform="facebook",
                         since=today.replace(day=1) - datetime.timedelta(days=70))
    services.add_channel(banh, users.member, kind="payment", platform="vietqr", since=datetime.date(today.year - 1, 6, 1))
    p2 = services.create_producer(people.h2, users.commune_a, name="Gà đồi", kind="livestock", person=people.r3)
    ch = services.add_channel(p2, users.commune_a, kind="marketplace", platform="voso",
                              since=datetime.date(today.year - 2, 3, 1))
    services.end_channel(ch, users.commune_a, on=datetime.date(today.year - 1, 2, 1))
    services.create_producer(people.h3, users.commune_b, name="Tạp hoá", kind="shop", person=people.r4)
    d = dashboard(area.province)
    lv = d["livelihoods"]
    assert lv["producers"] == 3 and lv["producers_online"] == 1 and lv["households_epayment"] == 1
    assert lv["producers_online_pct"] == 33.3
    kids = {k["code"]: k for k in lv["children"]}
    assert kids["07351"]["producers"] == 2 and kids["07351"]["producers_online"] == 1
    assert kids["07210"]["producers"] == 1 and kids["07210"]["producers_online"] == 0
    years = {y["year"]: y for y in lv["years"]}
    assert years[today.year - 2]["producers_online"] == 1  # Gà đồi on Voso that year
    assert years[today.year - 1]["producers_online"] == 0  # stopped in February
    assert years[today.year - 1]["households_epayment"] == 1
    assert len(lv["months"]) == 12 and lv["months"][-1]["producers_online"] == 1
    assert lv["months"][0]["producers_online"] == 0
    # commune B's dashboard does not count commune A
    assert dashboard(area.b)["livelihoods"]["producers_online"] == 0
    # the former commune (before July 2025) rolls up by the old tree
    assert dashboard(area.old_commune)["livelihoods"]["producers"] == 1


def test_stories_counted_on_dashboard_page_xlsx_and_api(login, story, users, people, area):
    _consent(people.r1, Purpose.STORY, users.member, story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    c = login(users.commune_a)
    api = c.get(f"/api/v1/places/{area.a.code}/indicators").json()
    assert api["livelihoods"]["stories_published"] == 1 and api["livelihoods"]["stories_this_year"] == 1
    assert api["livelihoods"]["months"][-1]["stories"] == 1
    html = c.get(reverse("dashboard", args=[area.a.code])).content.decode()
    assert 'data-k="livelihoods.stories_published" data-v="1"' in html
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(c.get(reverse("dashboard_xlsx", args=[area.a.code])).content))
    rows = {r[0]: r[1] for r in wb["Dữ liệu máy"].iter_rows(values_only=True)}
    assert rows["livelihoods.stories_published"] == 1


# ---------------------------------------------------------------------------------------------- privacy

def test_subject_data_and_erasure_leave_no_story_in_audit(story, people, users):
    from ngoso.accounts.models import AuditEntry
    from ngoso.people.services import erase_resident, subject_data

    _consent(people.r1, Purpose.STORY, users.member, story=story)
    data = subject_data(people.r1)
    assert data["success_stories"][0]["income_after"] == 7_500_000 and data["public_consents"]
    assert data["producers"][0]["name"] == "Bánh nhôm Ngọc Thiện"
    erase_resident(people.r1, done_by="xa_a")
    assert not SuccessStory.objects.exists()
    leftovers = [e for e in AuditEntry.objects.filter(model="livelihoods.SuccessStory") if "chợ xã" in str(e.changes)]
    assert leftovers == []


def test_erasing_last_resident_removes_producer_without_trace(banh, people, users, media):
    from ngoso.accounts.models import AuditEntry
    from ngoso.people.services import erase_resident

    ph = services.add_product_photo(banh.products.get(), _jpeg(), "a.jpg", users.member)
    services.add_channel(banh, users.member, kind="social", platform="zalo", since=datetime.date(2024, 1, 1))
    erase_resident(people.r2, done_by="xa_a")
    erase_resident(people.r1, done_by="xa_a")  # the household had nobody left: removed with its producer
    assert not Producer.objects.exists() and not OnlineChannel.objects.exists()
    assert not (media / ph.file).exists() and not (media / ph.thumb).exists()
    for e in AuditEntry.objects.filter(model__startswith="livelihoods."):
        assert "Bánh nhôm" not in str(e.changes) and "0987654321" not in str(e.changes), e


@pytest.fixture
def fake_radio(monkeypatch):
    """A stand-in for ngoso.radio.services (merged separately) that records the calls it gets."""
    import sys
    import types

    calls = []
    radio = types.ModuleType("ngoso.radio")
    mod = types.ModuleType("ngoso.radio.services")

    def create_bulletin(*, title, text, category, place, author, priority="normal", source=""):
        calls.append(dict(title=title, text=text, category=category, place=place, author=author, priority=priority,
                          source=source))
        return types.SimpleNamespace(pk=len(calls))

    def withdraw_bulletin(bulletin_pk, reason):
        calls.append(dict(withdrawn=bulletin_pk, reason=reason))

    mod.create_bulletin = create_bulletin
    mod.withdraw_bulletin = withdraw_bulletin
    radio.services = mod
    monkeypatch.setitem(sys.modules, "ngoso.radio", radio)
    monkeypatch.setitem(sys.modules, "ngoso.radio.services", mod)
    return calls


def test_story_and_article_bulletin_wiring(fake_radio, story, people, users, area, login):
    _consent(people.r1, Purpose.STORY, users.member, naming="short", story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    with pytest.raises(PermissionDenied):
        services.story_to_bulletin(story, users.member)
    c = login(users.commune_a)
    c.post(reverse("livelihoods:story_action", args=[story.uuid, "bulletin"]))
    (call,) = fake_radio
    assert call["category"] == "story" and call["place"] == area.a and call["author"] == users.commune_a
    assert call["priority"] == "normal" and call["source"] == f"livelihoods.story:{story.uuid}"
    assert "câu chuyện của chị Lý" in call["text"] and "Nguyễn Thị Lý" not in call["text"] and "http" not in call["text"]
    story.refresh_from_db()
    assert story.bulletin_ref == "1"
    c.post(reverse("livelihoods:article_bulletin", args=["vai-thieu-khoanh-canh"]), {"place": area.a.code})
    assert fake_radio[1]["category"] == "agriculture" and fake_radio[1]["title"] == "Khoanh cành vải thiều cho ra hoa"
    # a place outside the user's area is refused
    assert c.post(reverse("livelihoods:article_bulletin", args=["vai-thieu-khoanh-canh"]),
                  {"place": area.b.code}).status_code == 403
    assert len(fake_radio) == 2


def test_demo_has_banh_nhom_producer_and_published_story(db, client):
    from ngoso.demo import builder
    from ngoso.insights.dashboard import dashboard

    summary = builder.build("village", seed=7, progress=lambda m: None, until=datetime.date(2026, 11, 27),
                            activity=False)
    assert summary.livelihoods["story"]
    p = Producer.objects.get(name__startswith="Bánh nhôm Ngọc Thiện")
    assert p.household.village.parent.code == "07351" and services.is_public(p)
    html = client.get(f"/p/{p.public_code}/").content.decode()
    assert "Bánh nhôm nhân đỗ xanh thịt mỡ" in html and "45.000 đ" in html and "chị Lý" in html
    s = SuccessStory.objects.get(public_code=summary.livelihoods["story"])
    assert services.story_is_public(s)
    assert "chị Lý" in client.get(f"/stories/{s.public_code}/").content.decode()
    d = dashboard(p.household.village.parent)["livelihoods"]
    assert d["producers_online"] >= 1 and d["households_epayment"] >= 1 and d["stories_published"] == 1
    builder.reset_database()
    assert not Producer.objects.exists() and FarmingArticle.objects.count() >= 20


def test_api_articles_producers_and_figures(login, banh, users, area):
    c = login(users.member)
    hits = c.get("/api/v1/livelihoods/articles", {"q": "banh nhom"}).json()
    assert hits[0]["slug"] == "banh-nhom-dac-san-ban-online"
    one = c.get("/api/v1/livelihoods/articles/lon-dich-ta-chau-phi").json()
    assert one["body"] and one["spoken_text"].startswith("Bản tin khuyến nông")
    prods = c.get("/api/v1/livelihoods/producers", {"q": "banh nhom"}).json()
    assert [p["name"] for p in prods] == ["Bánh nhôm Ngọc Thiện"] and prods[0]["public"] is False
    assert c.get(f"/api/v1/livelihoods/places/{area.b.code}").status_code == 403
    assert c.get(f"/api/v1/livelihoods/places/{area.va1.code}").json()["producers"] == 1
    other = login(users.commune_b)
    assert other.get("/api/v1/livelihoods/producers").json() == []


def test_import_articles_all_or_nothing(users):
    import json as _json

    good = {"title": "Trồng na Lục Nam", "topic": "crops", "subject": "Na", "summary": "Tỉa cành, thụ phấn.",
            "body": ["Tỉa cành sau thu hoạch.", "Thụ phấn bổ sung khi hoa nở."], "source_type": "practice",
            "source": "Kinh nghiệm nhà vườn Lục Nam"}
    bad = {**good, "title": "", "topic": "flowers"}
    with pytest.raises(LivelihoodError) as exc:
        services.import_articles(_json.dumps({"articles": [good, bad]}).encode(), "moi.json", users.province)
    assert "Article 2" in str(exc.value) or "Bài 2" in str(exc.value)
    assert "title" in str(exc.value) and "topic" in str(exc.value)
    assert not FarmingArticle.objects.filter(subject="Na").exists()
    with pytest.raises(LivelihoodError, match="moi.json"):
        services.import_articles(b"{not json", "moi.json", users.province)
    with pytest.raises(PermissionDenied):
        services.import_articles(_json.dumps([good]).encode(), "moi.json", users.commune_a)
    (a,) = services.import_articles(_json.dumps([good]).encode(), "moi.json", users.province)
    assert a.body == "Tỉa cành sau thu hoạch.\nThụ phấn bổ sung khi hoa nở." and a.version == 1
    (a2,) = services.import_articles(_json.dumps([{**good, "slug": a.slug, "summary": "Mới."}]).encode(), "m.json",
                                     users.province)
    assert a2.pk == a.pk and a2.version == 2


def test_cli_articles_and_figures(banh, area, capsys):
    from ngoso.commands import livelihoods as cmd
    from ngoso.cli import build_parser

    assert cmd.handle(build_parser().parse_args(["livelihoods", "articles", "vai thieu"])) == 0
    out = capsys.readouterr().out
    assert "vai-thieu-khoanh-canh" in out
    n = len(out.splitlines()) - 2  # one line per article, then the count: Vietnamese, then English, one msgid
    assert n > 0 and out.splitlines()[-2:] == [f"{n} bài", f"{n} articles"]
    assert cmd.handle(build_parser().parse_args(["livelihoods", "figures", "--place", area.a.code])) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{area.a.name}: hộ sản xuất 1 · bán qua mạng ") and \
        "· hộ sản xuất thanh toán điện tử " in lines[0] and "· câu chuyện hay " in lines[0]
    assert lines[1].startswith(f"{area.a.name}: producers 1 · selling online ") and \
        "· producer households with e-payment " in lines[1] and "· stories " in lines[1]
    assert lines[2:4] == ["theo tháng: bán qua mạng, hộ sản xuất thanh toán điện tử, câu chuyện hay",
                          "by month: selling online, producer households with e-payment, stories"]


def test_story_photos_public_only_while_published(login, story, people, users, media, client):
    c = login(users.member)
    r = c.post(reverse("livelihoods:story_action", args=[story.uuid, "photo"]),
               {"photo": _upload("quay.png", _png()), "caption": "Nguyễn Thị Lý bên quầy bánh"})
    assert r.status_code == 302
    ph = story.photos.get()
    assert c.get(reverse("livelihoods:photo", args=["story", ph.pk, "t"])).status_code == 200
    public_img = f"/stories/{story.public_code}/img/{ph.pk}-t"
    assert client.get(public_img).status_code == 404  # not published yet
    _consent(people.r1, Purpose.STORY, users.member, story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    assert client.get(public_img).status_code == 200
    html = client.get(f"/stories/{story.public_code}/").content.decode()
    assert 'alt="Chị Lý bên quầy bánh"' in html  # the caption follows the naming too
    services.withdraw_story(story, users.commune_a)
    assert client.get(public_img).status_code == 404
    # another commune's member cannot fetch the private photo either
    assert login(users.commune_b).get(reverse("livelihoods:photo", args=["story", ph.pk, "t"])).status_code == 404


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 120, 80, 128)).save(buf, "PNG")
    return buf.getvalue()


def test_pages_in_english(login, users):
    c = login(users.member)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = c.get(reverse("livelihoods:articles")).content.decode()
    assert "Farming library" in html
    c.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Thư viện kỹ thuật nông nghiệp" in c.get(reverse("livelihoods:articles")).content.decode()


def test_dashboard_figures_cached_until_something_changes(banh, people, users, area, django_assert_max_num_queries):
    from ngoso.livelihoods.indicators import livelihood_figures

    first = livelihood_figures(area.province)
    with django_assert_max_num_queries(1):  # the stamp only
        again = livelihood_figures(area.province)
    assert again == first and again is not first
    again["producers"] = 99  # callers get their own copy
    assert livelihood_figures(area.province)["producers"] == 1
    services.add_channel(banh, users.member, kind="social", platform="zalo", since=datetime.date(2024, 1, 1))
    assert livelihood_figures(area.province)["producers_online"] == 1
    people.h1.village = area.vb1  # the household moves to commune B
    people.h1.save()
    assert livelihood_figures(area.b)["producers_online"] == 1
    banh.delete()
    assert livelihood_figures(area.province)["producers"] == 0


# ---------------------------------------------------------------------------------------------- review fixes

def _story_with(people, users, **texts):
    data = {"title": "Bánh nhôm lên mạng", "before": "Bán ở chợ xã.", "change": "Lập trang Facebook.", **texts}
    return services.save_story(None, data, users.member, resident=people.r1)


def test_name_detection_whole_words_with_and_without_diacritics():
    names = ["Nguyễn Thị Lý", "Lý", "Bình"]
    assert services.names_found("Chị Lý lập trang", names) == ["Lý"]
    assert services.names_found("chi ly lap trang", names) == ["Lý"]           # no diacritics, after "chị"
    assert services.names_found("Lý lập trang từ 2022.", names) == ["Lý"]     # bare, capitalised
    assert services.names_found("NGUYEN THI LY", names) == ["Nguyễn Thị Lý", "Lý"]
    assert services.names_found("chồng là Bình", names) == ["Bình"]
    # ordinary words are not names: "quản lý", "bình thường", "Lỵ" has other diacritics, "Lýa" is no whole word
    assert services.names_found("Chị học quản lý đơn hàng, bình thường bán 20 hộp. Lỵ Lýa", names) == []


def test_not_named_consent_blocks_chi_ly_bare_ly_and_relatives(story, people, users):
    s = _story_with(people, users, change="Chị Lý lập trang Facebook. Lý nói: vui lắm.")
    _consent(people.r1, Purpose.STORY, users.member, naming="none", story=s)
    with pytest.raises(LivelihoodError, match="«Lý»"):
        services.approve_story(s, users.commune_a)
    services.save_story(s, {"change": "Lý lập trang Facebook."}, users.member)
    with pytest.raises(LivelihoodError, match="«Lý»"):
        services.approve_story(s, users.commune_a)
    # a relative's full name (and given name) is refused whatever the person's own naming
    services.save_story(s, {"change": "Chị lập trang, chồng là Trần Văn Bình giao hàng."}, users.member)
    with pytest.raises(LivelihoodError, match="«Trần Văn Bình», «Bình»"):
        services.approve_story(s, users.commune_a)
    services.save_story(s, {"change": "Chị lập trang, chồng giao hàng; chị quản lý đơn."}, users.member)
    services.approve_story(s, users.commune_a)
    services.publish_story(s, users.commune_a)
    assert "Lý" not in " ".join(str(v) for v in services.public_story(s).values())


def test_short_naming_allows_given_name_not_the_husband(people, users, client):
    s = _story_with(people, users, title="Nguyễn Thị Lý đưa bánh lên mạng",
                    change="Chị Lý lập trang; chồng là Trần Văn Bình. Lý lập trang từ năm 2022.")
    _consent(people.r1, Purpose.STORY, users.member, naming="short", story=s)
    with pytest.raises(LivelihoodError) as exc:
        services.approve_story(s, users.commune_a)
    assert "Trần Văn Bình" in str(exc.value) and "«Lý»" not in str(exc.value)
    services.save_story(s, {"change": "Chị Lý lập trang; chồng chị giao hàng. Lý lập trang từ năm 2022."}, users.member)
    services.approve_story(s, users.commune_a)
    services.publish_story(s, users.commune_a)
    view = services.public_story(s)
    assert view["title"].startswith("Chị Lý đưa bánh") and "Nguyễn Thị Lý" not in str(view)
    # a later consent that no longer allows the name takes the story off the public pages at once
    _consent(people.r1, Purpose.STORY, users.member, naming="none", story=s)
    assert services.public_story(s) is None
    assert client.get(reverse("livelihoods:public_story", args=[s.public_code])).status_code == 404
    with pytest.raises(LivelihoodError):
        services.story_to_bulletin(s, users.commune_a)


def test_producer_page_refused_while_it_names_someone(banh, people, users, client):
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member, naming="none")
    banh.name = "Bánh nhôm chị Lý"
    banh.save()
    with pytest.raises(LivelihoodError, match="«Lý»"):
        services.set_published(banh, True, users.member)
    banh.name, banh.description = "Bánh nhôm Ngọc Thiện", "Ông Trần Văn Bình gói bánh mỗi sáng."
    banh.save()
    with pytest.raises(LivelihoodError, match="Trần Văn Bình"):
        services.set_published(banh, True, users.member)
    banh.description = "Bánh gói tay mỗi sáng."
    banh.save()
    services.set_published(banh, True, users.member)
    assert services.is_public(banh)
    # a product renamed after publishing hides the page (and the member sees why)
    Product.objects.filter(producer=banh).update(name="Bánh nhôm bà Lý")
    assert not services.is_public(banh) and services.public_producer(banh) is None
    assert client.get(f"/p/{banh.public_code}/").status_code == 404
    assert any("«Lý»" in p for p in services.publish_problems(banh))


def test_phone_in_links_hidden_without_phone_consent(banh, people, users):
    assert services.contains_phone("https://zalo.me/0987654321") and services.contains_phone("Zalo +84 987 654 321")
    assert services.contains_phone("fb.com/banh.0987.654.321") and services.contains_phone("https://zalo.me/84987654")
    assert not services.contains_phone("https://facebook.com/profile.php?id=100012345678901")
    assert not services.contains_phone("https://shopee.vn/banhnhom") and not services.contains_phone("45.000 đ")
    banh.messenger_url = "https://zalo.me/0987654321"
    banh.save()
    services.add_channel(banh, users.member, kind="social", platform="zalo", since=datetime.date(2024, 1, 1),
                         address="https://zalo.me/0987654321")
    services.add_channel(banh, users.member, kind="marketplace", platform="shopee", since=datetime.date(2024, 1, 1),
                         address="https://shopee.vn/banhnhom")
    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member)
    services.set_published(banh, True, users.member)
    view = services.public_producer(banh)
    text = str(view) + services.social_post_text(view)
    assert "0987654321" not in text and "987654321" not in text
    assert view["messenger"] == "" and [c["url"] for c in view["channels"]] == ["https://shopee.vn/banhnhom"]
    _consent(people.r1, Purpose.SHOW_PHONE, users.member)
    view = services.public_producer(banh)
    assert view["messenger"] == "https://zalo.me/0987654321" and len(view["channels"]) == 2
    # a phone typed into a description needs the phone consent too
    _consent(people.r1, Purpose.SHOW_PHONE, users.member, given=False)
    banh.description = "Đặt bánh gọi 0987 654 321"
    banh.save()
    assert services.public_producer(banh) is None
    assert any("phone" in p or "điện thoại" in p for p in services.publish_problems(banh))


def _published(story, people, users):
    _consent(people.r1, Purpose.STORY, users.member, story=story)
    services.approve_story(story, users.commune_a)
    services.publish_story(story, users.commune_a)
    story.refresh_from_db()
    assert story.status == "published"


def test_photo_added_to_or_removed_from_a_published_story_needs_approval_again(story, people, users, media):
    ph = services.add_story_photo(story, _jpeg(), "a.jpg", users.member)
    _published(story, people, users)
    services.add_story_photo(story, _jpeg(), "b.jpg", users.member, caption="Quầy bánh")
    story.refresh_from_db()
    assert story.status == "draft" and services.public_story(story) is None
    _published(story, people, users)
    services.delete_photo(StoryPhoto_of(ph))
    story.refresh_from_db()
    assert story.status == "draft" and story.approved_at is None


def StoryPhoto_of(ph):
    from ngoso.livelihoods.models import StoryPhoto

    return StoryPhoto.objects.select_related("story").get(pk=ph.pk)


def test_withdrawing_story_or_consent_withdraws_the_bulletin(fake_radio, story, people, users):
    _published(story, people, users)
    services.withdraw_story(story, users.commune_a)  # no bulletin yet: nothing to tell the radio
    assert fake_radio == []
    story.status = "published"
    story.save()
    services.story_to_bulletin(story, users.commune_a)
    services.withdraw_story(story, users.commune_a)
    assert fake_radio[-1] == {"withdrawn": 1, "reason": "Câu chuyện đã được rút khỏi trang công khai."}
    story.status = "published"
    story.save()
    _consent(people.r1, Purpose.STORY, users.member, given=False, story=story)
    assert fake_radio[-1] == {"withdrawn": 1, "reason": "Người trong câu chuyện đã rút lại sự đồng ý."}
    assert len([c for c in fake_radio if "withdrawn" in c]) == 2


def test_withdrawal_stands_even_if_the_radio_fails(fake_radio, story, people, users, monkeypatch):
    import sys

    def down(bulletin_pk, reason):
        raise RuntimeError("radio database locked")

    monkeypatch.setattr(sys.modules["ngoso.radio.services"], "withdraw_bulletin", down)
    _published(story, people, users)
    story.bulletin_ref = "3"
    story.save()
    with pytest.raises(RuntimeError):
        _consent(people.r1, Purpose.STORY, users.member, given=False, story=story)
    assert services.current_public_consent(people.r1, Purpose.STORY, story).given is False
    assert services.public_story(SuccessStory.objects.get(pk=story.pk)) is None
    with pytest.raises(RuntimeError):
        services.withdraw_story(story, users.commune_a)
    assert SuccessStory.objects.get(pk=story.pk).status == "withdrawn"


def test_withdrawing_without_radio_module_is_fine(story, people, users, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ngoso.radio", None)  # importing it raises ModuleNotFoundError
    story.bulletin_ref = "7"
    story.save()
    assert services.withdraw_story_bulletin(story, "test") is False
    services.withdraw_story(story, users.commune_a)
    assert SuccessStory.objects.get(pk=story.pk).status == "withdrawn"


def test_erasing_the_owner_clears_phone_and_unpublishes(banh, people, users):
    from ngoso.people.services import erase_resident

    _consent(people.r1, Purpose.PRODUCER_PAGE, users.member)
    banh.name, banh.messenger_url = "Bánh nhôm chị Lý", "https://facebook.com/banhnhomly"
    banh.save()
    services.set_published(banh, True, users.member)
    erase_resident(people.r1, done_by="xa_a")  # Trần Văn Bình stays: the household and its business remain
    banh.refresh_from_db()
    assert banh.phone == "" and banh.messenger_url == "" and banh.published is False and banh.person_id is None
    assert "Lý" not in banh.name


def test_reimporting_articles_is_a_no_op_and_slugs_are_checked(users):
    import json as _json

    art = {"slug": "trong-na-luc-nam", "title": "Trồng na Lục Nam", "topic": "crops", "subject": "Na",
           "summary": "Tỉa cành.", "body": "Tỉa cành sau thu hoạch.", "source_type": "practice", "source": "Nhà vườn"}
    data = _json.dumps([art, {**art, "slug": "na-2", "title": "Na dai"}]).encode()
    first = services.import_articles(data, "na.json", users.province)
    assert [a.slug for a in first] == ["trong-na-luc-nam", "na-2"]
    n = FarmingArticle.objects.count()
    again = services.import_articles(data, "na.json", users.province)
    assert FarmingArticle.objects.count() == n and [a.version for a in again] == [1, 1]
    # without slugs, the title's slug identifies the article: still no duplicate
    bare = _json.dumps([{k: v for k, v in art.items() if k != "slug"}]).encode()
    services.import_articles(bare, "na.json", users.province)
    assert FarmingArticle.objects.count() == n
    with pytest.raises(LivelihoodError) as exc:
        services.import_articles(_json.dumps([{**art, "slug": "x"}, {**art, "slug": "x"},
                                              {**art, "slug": "Bad Slug!"}]).encode(), "d.json", users.province)
    assert "«x»" in str(exc.value) and "«Bad Slug!»" in str(exc.value)
    assert not FarmingArticle.objects.filter(slug="x").exists()


def test_channel_and_photo_writes_leave_nothing_half_done(banh, users, media, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    from django.db import transaction

    from ngoso.livelihoods.models import ProductPhoto

    def broken(*a, **k):
        raise RuntimeError("disk full")

    # a channel whose skills cannot be written is not recorded at all
    monkeypatch.setattr(OnlineChannel.skills.related_manager_cls, "set", broken)
    with pytest.raises(RuntimeError):
        services.add_channel(banh, users.member, kind="social", platform="zalo", since=datetime.date(2024, 1, 1))
    assert not OnlineChannel.objects.exists()
    # a photo whose row cannot be written leaves no file behind
    product = banh.products.get()
    real_create = ProductPhoto.objects.create
    monkeypatch.setattr(ProductPhoto.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.add_product_photo(product, _jpeg(), "a.jpg", users.member)
    assert not [f for f in media.rglob("*") if f.is_file()]
    monkeypatch.setattr(ProductPhoto.objects, "create", real_create)
    ph = services.add_product_photo(product, _jpeg(), "a.jpg", users.member)
    files = [media / ph.file, media / ph.thumb]
    # a deletion rolled back keeps the files; a committed one removes them
    with pytest.raises(RuntimeError), transaction.atomic():
        services.delete_photo(ProductPhoto.objects.get(pk=ph.pk))
        raise RuntimeError("later step failed")
    assert ProductPhoto.objects.filter(pk=ph.pk).exists() and all(f.exists() for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_photo(ProductPhoto.objects.get(pk=ph.pk))
    assert not ProductPhoto.objects.exists() and not any(f.exists() for f in files)


def test_epayment_rate_over_producer_households_and_gaps_between_channels(banh, people, users, area):
    from ngoso.livelihoods.indicators import livelihood_figures

    today = datetime.date(2025, 12, 15)
    services.create_producer(people.h2, users.commune_a, name="Gà đồi", kind="livestock", person=people.r3)
    ch = services.add_channel(banh, users.member, kind="payment", platform="vietqr", since=datetime.date(2024, 1, 1))
    # selling on Facebook Jan–Mar 2025, then nothing, then Shopee from June: not online in April or May
    fb = services.add_channel(banh, users.member, kind="social", platform="facebook", since=datetime.date(2025, 1, 10))
    services.end_channel(fb, users.member, on=datetime.date(2025, 3, 20))
    services.add_channel(banh, users.member, kind="marketplace", platform="shopee", since=datetime.date(2025, 6, 1))
    d = livelihood_figures(area.a, today=today, households=500)
    assert d["producer_households"] == 2 and d["households_epayment"] == 1
    assert d["households_epayment_pct"] == 50.0  # over producer households, not the 500 households
    months = {m["month"]: m["producers_online"] for m in d["months"]}
    assert months["2025-02"] == 1 and months["2025-03"] == 0 and months["2025-04"] == 0 and months["2025-05"] == 0
    assert months["2025-06"] == 1 and d["producers_online"] == 1
    services.end_channel(ch, users.member, on=datetime.date(2025, 6, 30))
    assert livelihood_figures(area.a, today=today)["households_epayment_pct"] == 0.0


def test_dashboard_labels_epayment_as_producer_households(login, banh, users, area):
    html = login(users.commune_a).get(reverse("dashboard", args=[area.a.code])).content.decode()
    assert "hộ sản xuất dùng thanh toán điện tử" in html and "trên số hộ sản xuất" in html


def test_social_post_keeps_product_hashtags_without_commune():
    view = {"name": "Bánh nhôm", "place": "Thôn X", "description": "", "products": [
        {"name": "Bánh nhôm đỗ xanh", "price": None, "price_text": "", "unit": "", "season": "", "certifications": []}],
        "phone": "", "messenger": "", "url": "https://x/p/a/", "commune": ""}
    assert services.social_post_text(view).splitlines()[-1] == "#BánhNhômĐỗXanh"


def test_story_follows_the_person_when_the_household_moves(story, people, users, area, login):
    _published(story, people, users)
    people.h1.village = area.vb1  # the household moves to commune B
    people.h1.save()
    assert login(users.commune_b).get(reverse("livelihoods:story", args=[story.uuid])).status_code == 200
    assert login(users.commune_a).get(reverse("livelihoods:story", args=[story.uuid])).status_code == 404
    from ngoso.livelihoods.indicators import livelihood_figures

    assert livelihood_figures(area.b)["stories_published"] == 1
    assert livelihood_figures(area.a)["stories_published"] == 0


def test_public_story_list_and_api_producers_use_a_fixed_number_of_queries(people, users, client, login,
                                                                            django_assert_max_num_queries):
    from ngoso.people.models import Resident

    for i in range(10):
        r = Resident.objects.create(household=people.h1 if i % 2 else people.h2, full_name=f"Đỗ Thị Hoa{i}",
                                    sex="female", birth_year=1980, ethnicity=people.r1.ethnicity)
        # commune staff write them: half the households are in village 2, outside the village member's area
        s = services.save_story(None, {"title": f"Câu chuyện số {i}", "before": "Trước.", "change": "Sau."},
                                users.commune_a, resident=r)
        _consent(r, Purpose.STORY, users.commune_a, story=s)
        services.approve_story(s, users.commune_a)
        services.publish_story(s, users.commune_a)
        p = services.create_producer(r.household, users.commune_a, name=f"Cơ sở {i}", person=r)
        Product.objects.create(producer=p, name="Gà", price=1000)
        _consent(r, Purpose.PRODUCER_PAGE, users.commune_a)
        services.set_published(p, True, users.commune_a)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("livelihoods:public_stories")).content.decode()
    assert html.count('class="card"') == 10
    c = login(users.commune_a)
    with django_assert_max_num_queries(14):
        prods = c.get("/api/v1/livelihoods/producers").json()
    assert len(prods) == 10 and all(p["public"] for p in prods)


def test_story_missing_fields_named_in_vietnamese(people, users):
    from django.utils import translation

    with translation.override("vi"), pytest.raises(LivelihoodError) as exc:
        services.save_story(None, {"title": "T", "before": " ", "change": ""}, users.member, resident=people.r1)
    assert "trước đây, đổi thay" in str(exc.value) and "before" not in str(exc.value)


def test_a_consent_form_left_incomplete_comes_back_as_filled_with_the_error_beside_it(login, banh, users):
    """Before: an incomplete consent form redirected to the producer page with a message at the top; what was
    chosen (how, the reference) was gone."""
    c = login(users.member)
    c.cookies["django_language"] = "vi"
    r = c.post(reverse("livelihoods:producer_consent", args=[banh.uuid]),
               {"purpose": "show_phone", "method": "signed", "reference": "PĐY-07"})
    assert r.status_code == 400
    html = r.content.decode()
    assert '<details id="consent-forms" open>' in html
    phone_form = html[html.index('value="show_phone"'):]
    phone_form = phone_form[:phone_form.index("</form>")]
    assert 'value="PĐY-07"' in phone_form and '<option value="signed" selected>' in phone_form
    assert '<span class="field-error">Hãy chọn người dân đồng ý hay không đồng ý.</span>' in phone_form
    page_form = html[html.index('value="producer_page"'):]
    assert "field-error" not in page_form[:page_form.index("</form>")]  # the other form is untouched
    from ngoso.livelihoods.models import PublicConsent

    assert not PublicConsent.objects.exists()


def test_a_consent_sent_again_from_history_is_recorded_once(login, banh, story, users):
    """Before: browser Back after recording a consent, then the button again, recorded a second consent (the
    producer's and the story's consent forms had no token of their own, core/once.py)."""
    from ngoso.livelihoods.models import PublicConsent

    c = login(users.member)
    url = reverse("livelihoods:producer_consent", args=[banh.uuid])
    form = {"purpose": "show_phone", "given": "1", "method": "oral", "once": "3f1c0d7e-0b5a-4c1e-9d2a-7b6e5f4a3c21"}
    before = PublicConsent.objects.count()
    first, again = c.post(url, form), c.post(url, form)
    assert first.status_code == again.status_code == 302 and again.url == first.url
    assert PublicConsent.objects.count() == before + 1
    c.post(url, {**form, "once": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"})  # a new form is a new consent
    assert PublicConsent.objects.count() == before + 2
    story_url = reverse("livelihoods:story_action", args=[story.uuid, "consent"])
    form = {"given": "1", "method": "signed", "naming": "short", "once": "0c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5"}
    c.post(story_url, form), c.post(story_url, form)
    assert PublicConsent.objects.count() == before + 3
    html = c.get(reverse("livelihoods:producer", args=[banh.uuid])).content.decode()
    assert html.count('name="once"') == 2 and 'data-once hidden' in html  # each form has its own token
