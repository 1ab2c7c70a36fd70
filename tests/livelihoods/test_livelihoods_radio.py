"""Livelihoods → radio, against the real ``ngoso.radio`` (built in parallel; run after merging).

The agreed service: ``ngoso.radio.services.create_bulletin(*, title, text, category, place, author,
priority="normal", source="") -> Bulletin`` creates a draft awaiting the commune's approval.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

import ngoso.radio.services  # noqa: E402,F401  (the radio module is part of the project)

from ngoso.livelihoods import services  # noqa: E402
from ngoso.livelihoods.models import FarmingArticle, Product, Purpose  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_story(people, users):
    p = services.create_producer(people.h1, users.member, name="Bánh nhôm Ngọc Thiện", kind="craft", person=people.r1)
    Product.objects.create(producer=p, name="Bánh nhôm", price=45000, unit="hộp")
    s = services.save_story(None, {"title": "Nguyễn Thị Lý bán bánh nhôm qua mạng",
                                   "before": "Nguyễn Thị Lý chỉ bán ở chợ xã.",
                                   "change": "Chị lập trang Facebook, nhận đơn qua Zalo https://zalo.me/x.",
                                   "income_before": 3_000_000, "income_after": 7_500_000}, users.member,
                            resident=people.r1)
    services.record_public_consent(people.r1, Purpose.STORY, True, users.member, naming="short", story=s)
    services.approve_story(s, users.commune_a)
    services.publish_story(s, users.commune_a)
    return s


def test_story_to_bulletin_creates_a_draft_story_bulletin(published_story, users, area):
    b = services.story_to_bulletin(published_story, users.commune_a)
    assert b.pk
    assert b.category == "story"
    assert b.place == area.a  # the commune of the story's village
    assert "chị Lý" in b.text and "Nguyễn Thị Lý" not in b.text
    assert "http" not in b.text and "7 triệu 500 nghìn đồng" in b.text
    assert b.title.startswith("Câu chuyện hay")
    published_story.refresh_from_db()
    assert published_story.bulletin_ref == str(b.pk)


def test_article_to_bulletin_creates_a_draft_agriculture_bulletin(users, area):
    a = FarmingArticle.objects.get(slug="lua-phong-tru-ray-nau")
    b = services.article_to_bulletin(a, area.a, users.commune_a)
    assert b.category == "agriculture" and b.place == area.a and b.title == a.title
    assert b.text == services.article_spoken_text(a)


def test_one_step_buttons(login, published_story, users, area):
    c = login(users.commune_a)
    r = c.post(reverse("livelihoods:story_action", args=[published_story.uuid, "bulletin"]), follow=True)
    assert r.status_code == 200
    published_story.refresh_from_db()
    assert published_story.bulletin_ref
    r = c.post(reverse("livelihoods:article_bulletin", args=["ga-phong-cum-gia-cam"]), {"place": area.a.code})
    assert r.status_code == 302


def test_unpublished_story_cannot_go_on_air(people, users):
    s = services.save_story(None, {"title": "T", "before": "B", "change": "C"}, users.member, resident=people.r1)
    with pytest.raises(services.LivelihoodError):
        services.story_to_bulletin(s, users.commune_a)


def test_withdrawn_story_archives_its_real_bulletin(published_story, users):
    from ngoso.radio.models import Bulletin

    b = services.story_to_bulletin(published_story, users.commune_a)
    services.withdraw_story(published_story, users.commune_a)
    assert Bulletin.objects.get(pk=b.pk).status == Bulletin.Status.ARCHIVED
