"""Erasure is complete (issue 14, item 8): the bulletin made from the person's story no longer names them, its
audio is gone, and audit entries keep THAT an erasure happened, not what was erased — of every audited model,
including a poverty review deleted before (its income)."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import pytest
from django.conf import settings

from ngoso.accounts import audit
from ngoso.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def _wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * 1600)
    return buf.getvalue()


@pytest.fixture
def story_bulletin(people, users, area):
    from ngoso.livelihoods import services
    from ngoso.livelihoods.models import Product, Purpose
    from ngoso.radio import services as radio

    p = services.create_producer(people.h1, users.member, name="Bánh nhôm Ngọc Thiện", kind="craft", person=people.r1)
    Product.objects.create(producer=p, name="Bánh nhôm", price=45000, unit="hộp")
    s = services.save_story(None, {"title": "Nguyễn Thị Lý bán bánh nhôm qua mạng",
                                   "before": "Nguyễn Thị Lý chỉ bán ở chợ xã.",
                                   "change": "Chị lập trang Facebook, nhận đơn qua Zalo.",
                                   "income_before": 3_000_000, "income_after": 7_500_000}, users.member,
                            resident=people.r1)
    services.record_public_consent(people.r1, Purpose.STORY, True, users.member, naming="short", story=s)
    services.approve_story(s, users.commune_a)
    services.publish_story(s, users.commune_a)
    b = services.story_to_bulletin(s, users.commune_a)
    radio.attach_upload(b, _wav(), "doc.wav")  # the story read aloud: a sound file that names her
    b.refresh_from_db()
    return b


def _everything_about(text: str) -> list[str]:
    """Where ``text`` still appears: bulletins and audit entries."""
    from ngoso.radio.models import Bulletin

    found = []
    for b in Bulletin.objects.all():
        if text in f"{b.title} {b.text} {b.spoken_text} {b.source}":
            found.append(f"bulletin {b.pk}")
    for e in AuditEntry.objects.all():
        if text in json.dumps(e.changes, ensure_ascii=False) + e.object_repr:
            found.append(f"audit {e.model} {e.object_pk} {e.action}")
    return found


def test_the_bulletin_made_from_her_story_no_longer_names_her(story_bulletin, people, users, area):
    from ngoso.people.services import erase_resident
    from ngoso.radio.models import Bulletin

    audio = Path(settings.DATA_DIR) / story_bulletin.audio_path
    assert audio.exists() and "chị Lý" in story_bulletin.text
    assert _everything_about("chị Lý")  # in the bulletin and in its audit entries
    erase_resident(people.r1, done_by="xa_a")
    b = Bulletin.objects.get(pk=story_bulletin.pk)
    assert b.status == Bulletin.Status.ARCHIVED and b.text == "" and b.title == audit.ERASED
    assert b.audio_path == "" and not audio.exists()  # the spoken story is gone
    assert _everything_about("chị Lý") == [] and _everything_about("Nguyễn Thị Lý") == []
    assert _everything_about("7500000") == [] and _everything_about("7 triệu") == []


def test_copies_sent_down_are_erased_too(story_bulletin, people, users, area):
    from ngoso.people.services import erase_resident
    from ngoso.places.models import Place
    from ngoso.radio import services as radio
    from ngoso.radio.models import Bulletin

    story_bulletin.place = area.province
    story_bulletin.save()
    village_copy = radio.send_down(story_bulletin, [Place.objects.get(pk=area.a.pk)], users.province)[0]
    assert "chị Lý" in village_copy.text
    erase_resident(people.r1, done_by="xa_a")
    assert Bulletin.objects.get(pk=village_copy.pk).text == ""
    assert _everything_about("chị Lý") == []


def test_audit_keeps_that_an_erasure_happened_not_what(people, users):
    from ngoso.people.services import erase_resident
    from ngoso.people.models import Erasure

    people.r1.phone = "0987000999"
    people.r1.save()
    erase_resident(people.r1, done_by="xa_a", reason="Bà Nguyễn Thị Lý yêu cầu, chị Lý gọi điện")
    assert _everything_about("Nguyễn Thị Lý") == [] and _everything_about("0987000999") == []
    assert _everything_about("Lý") == []
    e = AuditEntry.objects.get(action="erase")
    assert e.changes["household"] == "H1" and "yêu cầu" in e.changes["reason"]
    assert Erasure.objects.filter(household_code="H1").exists()


def test_a_poverty_review_deleted_earlier_keeps_no_income_after_the_household_is_erased(people, users):
    from ngoso.people.services import erase_resident
    from ngoso.poverty import services as poverty
    from ngoso.poverty.models import PovertyReview

    r2024 = poverty.record_review(users.commune_a, people.h2, 2024, "rural", 2_718_281, [])
    poverty.record_review(users.commune_a, people.h2, 2025, "rural", 1_765_432, [])
    with audit.acting_as(users.commune_a):
        PovertyReview.objects.get(pk=r2024.pk).delete()  # removed last year: its entries still hold the income
    assert _everything_about("2718281") and _everything_about("1765432")
    erase_resident(people.r3, done_by="xa_a")  # the household's only resident: the household goes too
    assert _everything_about("2718281") == [] and _everything_about("1765432") == []
    assert _everything_about("Hoàng Văn Nông") == []
    # that reviews existed and were deleted stays visible
    assert AuditEntry.objects.filter(model="poverty.PovertyReview", action="delete").count() == 2


def test_a_household_that_stays_keeps_its_own_history(people, users):
    from ngoso.people.services import erase_resident
    from ngoso.poverty import services as poverty

    poverty.record_review(users.commune_a, people.h1, 2025, "rural", 1_500_001, [])
    erase_resident(people.r2, done_by="xa_a")  # Trần Văn Bình; Nguyễn Thị Lý stays in H1
    assert _everything_about("Trần Văn Bình") == []
    assert _everything_about("1500001")  # the household's review is not the erased person's data
    assert _everything_about("Nguyễn Thị Lý")
