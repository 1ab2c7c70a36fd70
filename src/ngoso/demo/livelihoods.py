"""Demo livelihoods: producers with products and online channels, consents, article sends, and the
published success story of chị Nguyễn Thị Lý, who sells her traditional bánh nhôm from Ngọc Thiện online.

Deterministic per seed. About 3 % of households produce something to sell (more in the plains); of those
about half sell through a social page or an e-commerce shop and a little more take e-payments, with start
dates spread over the last three years so that the dashboard has a history.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ngoso.accounts import audit
from ngoso.accounts.models import User
from ngoso.core.messages import Message, both
from ngoso.core.text import fold
from ngoso.insights.providers import touch
from ngoso.livelihoods import services
from ngoso.livelihoods.models import (ArticleSend, FarmingArticle, Naming, OnlineChannel, Producer, Product,
                                      ProductPhoto, PublicConsent, Purpose, StoryPhoto, SuccessStory)
from ngoso.people.models import Household, Resident
from ngoso.places.models import Place
from ngoso.skills.models import Skill

# kind -> [(product, price in đồng or None, unit, season, ocop stars, vietgap, other certifications)]
CATALOGUE = {
    "crops": [("Vải thiều", 35000, "kg", "tháng 6 – tháng 7", None, True, "Mã số vùng trồng"),
              ("Gạo nếp cái hoa vàng", 38000, "kg", "sau vụ mùa", None, False, ""),
              ("Rau cải ngọt", 20000, "kg", "quanh năm", None, True, ""),
              ("Na dai", 45000, "kg", "tháng 7 – tháng 9", None, False, ""),
              ("Bưởi Diễn", 40000, "quả", "tháng 10 – Tết", None, True, "")],
    "livestock": [("Gà đồi thả vườn", 140000, "kg", "quanh năm", 4, False, "Chỉ dẫn địa lý Gà đồi Yên Thế"),
                  ("Trứng gà ta", 4000, "quả", "quanh năm", None, False, ""),
                  ("Mật ong rừng", 350000, "lít", "tháng 3 – tháng 5", 3, False, "")],
    "aquaculture": [("Cá trắm giòn", 120000, "kg", "quanh năm", None, False, "")],
    "craft": [("Bánh gai", 9000, "chiếc", "quanh năm", 3, False, ""),
              ("Mì Chũ", 60000, "kg", "quanh năm", 4, False, ""),
              ("Rổ rá mây tre đan", 80000, "bộ", "quanh năm", None, False, "")],
    "shop": [("Tạp hoá, nhận thanh toán QR", None, "", "", None, False, "")],
}
KINDS = [("crops", 45), ("livestock", 25), ("craft", 12), ("shop", 12), ("aquaculture", 6)]


def _pick(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for v, w in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][0]


def build_livelihoods(seed: int, today: datetime.date, demo_commune_code: str, progress=lambda m: None) -> dict:
    rng = random.Random(f"livelihoods-{seed}")
    skills = {s.code: s for s in Skill.objects.filter(catalogue__is_current=True)}
    member = User.objects.filter(role="member").order_by("id").first()
    staff = User.objects.filter(role="commune_staff").order_by("id").first()
    producers, products, owners = [], [], []
    with transaction.atomic():
        for hid, vid, hill, phone in Household.objects.order_by("id").values_list(
                "id", "village_id", "village__mountainous", "phone").iterator(chunk_size=20000):
            if rng.random() >= (0.02 if hill else 0.035):
                continue
            kind = _pick(rng, KINDS)
            items = rng.sample(CATALOGUE[kind], k=min(len(CATALOGUE[kind]), rng.randint(1, 2)))
            name = f"{items[0][0]} – hộ {hid}" if kind != "shop" else f"Tạp hoá thôn – hộ {hid}"
            producers.append(Producer(household_id=hid, name=name, kind=kind, phone=phone or "",
                                      search_key=fold(name), published=False, created_by=member))
            products.append(items)
        Producer.objects.bulk_create(producers, batch_size=2000)
        heads = dict(Resident.objects.filter(household_id__in=[p.household_id for p in producers], relation="head")
                     .values_list("household_id", "id"))
        rows, channels, links = [], [], []
        for p, items in zip(producers, products):
            p.person_id = heads.get(p.household_id)
            for name, price, unit, season, ocop, vietgap, other in items:
                rows.append(Product(producer=p, name=name, price=price, unit=unit, season=season, ocop_stars=ocop,
                                    vietgap=vietgap, other_certifications=other,
                                    search_key=fold(" ".join([name, other]))))
            if rng.random() < 0.5:
                since = today - datetime.timedelta(days=rng.randint(20, 3 * 365))
                platform, kind = rng.choice([("facebook", "social"), ("zalo", "social"), ("tiktok", "social"),
                                             ("postmart", "marketplace"), ("voso", "marketplace"),
                                             ("shopee", "marketplace")])
                ended = since + datetime.timedelta(days=rng.randint(60, 400)) if rng.random() < 0.12 else None
                channels.append((OnlineChannel(producer=p, kind=kind, platform=platform, since=since,
                                               ended_on=ended if ended and ended < today else None, recorded_by=member),
                                 ["social-account", "take-photos-videos", "sell-online"] +
                                 (["ecommerce-shop"] if kind == "marketplace" else [])))
            if rng.random() < 0.6:
                since = today - datetime.timedelta(days=rng.randint(10, 3 * 365))
                channels.append((OnlineChannel(producer=p, kind="payment", platform=rng.choice(
                    ["vietqr", "bank_app", "viettel_money", "momo"]), since=since, recorded_by=member),
                    ["bank-app", "qr-payment", "recognise-scams"]))
        Producer.objects.bulk_update(producers, ["person"], batch_size=2000)
        Product.objects.bulk_create(rows, batch_size=2000)
        OnlineChannel.objects.bulk_create([c for c, _ in channels], batch_size=2000)
        through = OnlineChannel.skills.through
        through.objects.bulk_create([through(onlinechannel_id=c.pk, skill_id=skills[code].pk)
                                     for c, codes in channels for code in codes if code in skills], batch_size=5000)
        # a few articles sent by the demo member to households of the demo village
        if member is not None and member.place_id:
            arts = list(FarmingArticle.objects.order_by("slug"))
            sends = [ArticleSend(article=rng.choice(arts), household_id=h, sent_by=member,
                                 how=rng.choice(["zalo", "printed", "in_person"]))
                     for h in Household.objects.filter(village_id=member.place_id).order_by("id")
                     .values_list("id", flat=True)[:12]]
            ArticleSend.objects.bulk_create(sends)
        story = _banh_nhom(rng, today, demo_commune_code, member, staff, skills)
        touch()  # the bulk inserts above sent no signals
    summary = {"producers": len(producers) + 1, "products": len(rows) + 1,
               "channels": len(channels) + 3, "story": story.public_code if story else None,
               "consents": PublicConsent.objects.count()}
    progress(both(Message(_("livelihoods: %(producers)s producers, %(channels)s online channels, 1 good story"),
                          producers=f"{summary['producers']:,}", channels=f"{summary['channels']:,}")))
    return summary


def _banh_nhom(rng, today, commune_code, member, staff, skills):
    """Chị Nguyễn Thị Lý, Ngọc Thiện: bánh nhôm sold online, public page, published story with consent."""

    now_year = today.year
    r = (Resident.objects.filter(household__village__path__startswith=f"{_path(commune_code)}", sex="female",
                                 relation="head", birth_year__gte=now_year - 55, birth_year__lte=now_year - 35)
         .select_related("household__village__parent").order_by("id").first())
    if r is None or member is None or staff is None:
        return None

    # the team member of her own village sets her up (a member writes only in their own area)
    member = User.objects.filter(role="member", place=r.household.village).order_by("id").first() or staff
    with audit.acting_as("system:demo"):
        r.full_name = "Nguyễn Thị Lý"
        r.save()
        hh = r.household
        if not hh.phone:
            hh.phone = "0986" + "".join(str(rng.randint(0, 9)) for _ in range(6))
            hh.save()
        p = services.create_producer(hh, member, name="Bánh nhôm Ngọc Thiện – chị Lý", kind="craft", person=r,
                                     phone=hh.phone, messenger_url="https://m.me/banhnhomngocthien",
                                     description="Bánh nhôm truyền thống của làng, gói lá, làm tay trong ngày. "
                                                 "Nhận đặt cho cỗ, lễ, Tết; gửi xe khách đi các tỉnh.")
        Product.objects.create(producer=p, name="Bánh nhôm nhân đỗ xanh thịt mỡ", price=45000, unit="hộp 10 chiếc",
                               season="quanh năm", ocop_stars=3, description="Làm trong ngày, dùng trong 2 ngày.")
        Product.objects.create(producer=p, name="Bánh nhôm chay", price=40000, unit="hộp 10 chiếc", season="quanh năm")
        start = today - datetime.timedelta(days=540)
        services.add_channel(p, member, kind="social", platform="facebook",
                             address="https://www.facebook.com/banhnhomngocthien", since=start,
                             skills=[skills[c] for c in ("social-account", "take-photos-videos", "sell-online") if c in skills])
        services.add_channel(p, member, kind="social", platform="zalo", address="Zalo: Bánh nhôm chị Lý",
                             since=start + datetime.timedelta(days=20),
                             skills=[skills[c] for c in ("zalo-messaging", "online-groups") if c in skills])
        services.add_channel(p, member, kind="payment", platform="vietqr", address="Mã QR ngân hàng tại quầy",
                             since=start + datetime.timedelta(days=45),
                             skills=[skills[c] for c in ("bank-app", "qr-payment", "recognise-scams") if c in skills])
        services.record_public_consent(r, Purpose.PRODUCER_PAGE, True, member, naming=Naming.SHORT,
                                       method="signed", reference="Phiếu đồng ý số 01")
        services.record_public_consent(r, Purpose.SHOW_PHONE, True, member, naming=Naming.SHORT,
                                       method="signed", reference="Phiếu đồng ý số 01")
        services.set_published(p, True, member)
        story = services.save_story(None, {
            "title": "Nguyễn Thị Lý đưa bánh nhôm Ngọc Thiện lên mạng",
            "before": "Trước đây Nguyễn Thị Lý chỉ bán bánh nhôm ở chợ xã vào phiên chợ, ngày mưa gần như không bán được.",
            "change": "Được tổ công nghệ số cộng đồng của thôn hướng dẫn, chị học chụp ảnh sản phẩm, lập trang Facebook, "
                      "nhận đơn qua Zalo và dán mã QR ngân hàng ở quầy. Khách ở Hà Nội, Bắc Ninh, Thái Nguyên đặt bánh "
                      "cho cỗ, lễ; chị gửi bánh theo xe khách buổi sáng.",
            "income_before": 3_000_000, "income_after": 7_500_000, "income_period": "month",
            "figures": "Khoảng 300 hộp bánh mỗi tháng, bán đi 5 tỉnh.",
            "quote": "Trước tôi nghĩ điện thoại chỉ để nghe gọi, giờ nó là cái quầy hàng của tôi.", "producer": p},
            member, resident=r)
        services.record_public_consent(r, Purpose.STORY, True, member, naming=Naming.SHORT, method="signed",
                                       reference="Phiếu đồng ý số 02", story=story)
        services.approve_story(story, staff)
        services.publish_story(story, staff)
    return story


def _path(commune_code: str) -> str:
    place = Place.objects.filter(code=commune_code, valid_to__isnull=True).first()
    return place.path if place else "~none~"


def reset_livelihoods() -> None:
    """Drop the demo's livelihood rows (before the people they refer to); starter articles stay."""

    for model in (StoryPhoto, ProductPhoto, PublicConsent, ArticleSend, SuccessStory, OnlineChannel.skills.through,
                  OnlineChannel, Product, Producer):
        model.objects.all()._raw_delete(model.objects.db)

    touch()
