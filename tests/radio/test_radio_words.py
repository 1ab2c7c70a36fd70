"""Issue 18, "the radio speaks in codes": days, levels, faults and alerts in words; an emergency is confirmed
first, says honestly how many clusters can play it, shows its delivery per cluster (live, from a JSON
endpoint) and says what stopping did."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.templatetags.static import static
from django.utils import timezone

from ngoso.radio import delivery, services, words
from ngoso.radio.models import Alert, Command, Emergency, SpeakerCluster
from tests.radio.test_radio import _post, radio, wav_bytes  # noqa: F401  (the shared radio fixture)

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies["django_language"] = "en"
    return client


def text(r) -> str:
    """The words a person reads: no tags, no style or script bodies."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", r.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def quick_speech(monkeypatch):
    """espeak-ng is real in other tests; here the sound only has to exist."""
    def rendered(bulletin):
        services.attach_upload(bulletin, wav_bytes(1.0), "khan.wav")
        return bulletin

    monkeypatch.setattr(services, "render_audio", rendered)


# --- days and levels ------------------------------------------------------------------------------------------

def test_weekdays_and_levels_in_words():
    assert words.weekdays_label([0, 2, 4]) == "T2, T4, T6"
    assert words.weekdays_label([5, 6]) == "T7, CN"
    assert words.weekdays_label([]) == "hằng ngày" == words.weekdays_label(range(7))
    assert [words.priority_label(p) for p in ("normal", "priority", "emergency")] == ["Thường", "Ưu tiên", "Khẩn cấp"]
    assert [label for _, label in words.weekday_choices()] == ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]


def test_programme_list_shows_days_and_level_in_words_in_both_languages(login, radio, area, users):  # noqa: F811
    b = radio.bulletin(title="Tin ưu tiên", priority="priority")
    services.create_programme(place=area.a, title="Sáng", times=["06:00"], targets=[area.va1], bulletin=b,
                              start_date=timezone.localdate(), weekdays=[0, 2, 4], user=users.radio)
    services.create_programme(place=area.a, title="Cuối tuần", times=["17:00"], targets=[area.va1],
                              bulletin=radio.bulletin(title="Tin thường"), start_date=timezone.localdate(),
                              weekdays=[5, 6], user=users.radio)
    page = text(login(users.radio).get("/radio/programmes/"))
    assert "T2, T4, T6" in page and "T7, CN" in page and "Ưu tiên" in page and "Thường" in page
    assert "thứ 0" not in page and "thứ 5,6" not in page and ">priority<" not in page and " normal " not in page
    page = text(english(login(users.radio)).get("/radio/programmes/"))
    assert "Mon, Wed, Fri" in page and "Sat, Sun" in page and "Priority" in page and "Broadcast schedule" in page
    assert "Lịch phát" not in page and "Ưu tiên" not in page


def test_form_offers_the_same_day_names_the_list_shows(login, radio, users):  # noqa: F811
    page = login(users.radio).get("/radio/programmes/new/").content.decode()
    assert [m for m in re.findall(r'name="weekdays" value="\d" > (\S+)</label>', page)] == \
        ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]


def test_faults_and_alerts_are_words_not_codes(login, client, radio, area, users):  # noqa: F811
    _post(client, "/radio/device/v1/heartbeat", radio.tokens["A1"], {"volume": 60, "faults": ["amplifier_overheat"]})
    page = text(login(users.radio).get("/radio/"))
    assert "bộ khuếch đại quá nóng" in page and "amplifier_overheat" not in page
    page = text(login(users.radio).get("/radio/clusters/A1/"))
    assert "bộ khuếch đại quá nóng" in page and "amplifier_overheat" not in page
    SpeakerCluster.objects.filter(code="A2").update(last_seen_at=timezone.now() - dt.timedelta(hours=1))
    services.check()
    page = text(login(users.radio).get("/radio/"))
    assert "Cụm loa A2 mất kết nối từ" in page and "offline since" not in page
    page = text(english(login(users.radio)).get("/radio/"))
    assert "Cluster A2 offline since" in page and "mất kết nối" not in page and "amplifier overheating" in page


# --- the emergency: confirm, honest result, delivery, stop ------------------------------------------------

def test_emergency_needs_confirmation_showing_clusters_online_now(login, client, radio, area, users,  # noqa: F811
                                                                   quick_speech):
    _post(client, "/radio/device/v1/heartbeat", radio.tokens["A1"], {"volume": 60})  # A1 online, A2 not
    form = {"title": "Lũ quét", "text": "Lũ quét ở khe suối, sơ tán ngay.", "targets": [area.a.code], "repeat": "2"}
    r = login(users.radio).post("/radio/emergency/", form)
    page = text(r)
    assert r.status_code == 200 and Emergency.objects.count() == 0 and Command.objects.count() == 0
    assert "1/2 cụm loa đang kết nối" in page and "Đồng ý, phát khẩn cấp ngay" in page
    assert "lũ quét ở khe suối" in page.lower()  # what the machine will read
    # "back to edit" keeps everything typed
    r = login(users.radio).post("/radio/emergency/", {**form, "edit": "1"})
    assert Emergency.objects.count() == 0 and "Lũ quét ở khe suối, sơ tán ngay." in r.content.decode()
    assert f'value="{area.a.code}" selected' in r.content.decode()


def test_all_clusters_offline_is_said_not_hidden(login, radio, area, users, quick_speech):  # noqa: F811
    form = {"title": "Cháy", "text": "Cháy rừng.", "targets": [area.a.code], "confirm": "1"}
    c = login(users.radio)
    r = c.post("/radio/emergency/", form, follow=True)
    page = text(r)
    assert "0/2 cụm loa đang kết nối" in page and "kết nối lại" in page
    assert "Đã phát khẩn cấp tới" not in page  # the old message claimed a broadcast nobody heard
    em = Emergency.objects.get()
    assert r.redirect_chain[-1][0] == f"/radio/emergency/{em.pk}/"
    assert delivery.result_message(0, 2).startswith("0/2")
    assert delivery.result_message(2, 2) == "Đã phát khẩn cấp tới cả 2 cụm loa, tất cả đang kết nối."
    assert "1/2" in delivery.result_message(1, 2) and "1 cụm mất kết nối" in delivery.result_message(1, 2)


def test_delivery_per_cluster_follows_what_the_clusters_report(login, client, radio, area, users,  # noqa: F811
                                                               quick_speech):
    for code in ("A1", "A2"):
        _post(client, "/radio/device/v1/heartbeat", radio.tokens[code], {"volume": 60})
    em = services.send_emergency(title="Bão", text="Bão vào.", targets=[area.a], user=users.radio)
    seq = Command.objects.get(emergency=em).pk
    states = lambda: {r["code"]: r["state"] for r in delivery.emergency_status(em)["clusters"]}  # noqa: E731
    assert states() == {"A1": "sending", "A2": "sending"}
    _post(client, "/radio/device/v1/heartbeat", radio.tokens["A1"], {"volume": 60, "last_seq": seq,
                                                                     "now_playing": "Bão"})
    _post(client, "/radio/device/v1/heartbeat", radio.tokens["A2"], {"volume": 60, "last_seq": seq})
    assert states() == {"A1": "playing", "A2": "received"}
    r = _post(client, "/radio/device/v1/logs", radio.tokens["A2"], {"logs": [{
        "uuid": "5b0f3a9e-0000-4000-8000-000000000001", "key": em.item_key, "status": "played",
        "scheduled_at": em.issued_at.isoformat(), "started_at": timezone.now().isoformat(), "duration": 1}]})
    assert r.status_code == 200, r.content
    assert states() == {"A1": "playing", "A2": "played"}
    SpeakerCluster.objects.filter(code="A1").update(last_seen_at=timezone.now() - dt.timedelta(minutes=10),
                                                    last_seq=0)
    assert states()["A1"] == "offline"
    # the page polls this JSON; scoped like the page
    data = login(users.radio).get(f"/radio/emergency/{em.pk}/status.json").json()
    assert {r["code"]: r["label"] for r in data["clusters"]} == {"A1": "mất kết nối", "A2": "đã phát"}
    assert login(users.commune_b).get(f"/radio/emergency/{em.pk}/status.json").status_code == 404
    page = login(users.radio).get(f"/radio/emergency/{em.pk}/").content.decode()
    assert static("radio/delivery.js") in page and "<script>" not in page and 'data-live="1"' in page


def test_stopping_says_what_it_did(login, client, radio, area, users, quick_speech):  # noqa: F811
    _post(client, "/radio/device/v1/heartbeat", radio.tokens["A1"], {"volume": 60})
    em = services.send_emergency(title="Bão", text="Bão vào.", targets=[area.a], user=users.radio)
    r = login(users.radio).post(f"/radio/emergency/{em.pk}/stop/", {"next": f"/radio/emergency/{em.pk}/"},
                                follow=True)
    page = text(r)
    assert "Đã dừng tin khẩn cấp «Bão»" in page and "1/2 cụm loa" in page
    assert Command.objects.filter(kind="stop", emergency=em).count() == 1
    em.refresh_from_db()
    assert {r["state"] for r in delivery.emergency_status(em)["clusters"]} == {"stopped"}
    page = text(login(users.radio).post(f"/radio/emergency/{em.pk}/stop/", follow=True))
    assert "đã được dừng trước đó" in page and Command.objects.filter(kind="stop").count() == 1


def test_emergency_pages_in_english(login, client, radio, area, users, quick_speech):  # noqa: F811
    c = english(login(users.radio))
    page = text(c.post("/radio/emergency/", {"title": "Flood", "text": "Lũ về.", "targets": [area.a.code]}))
    assert "0 of 2 clusters online now" in page and "Yes, broadcast the emergency now" in page
    page = text(c.post("/radio/emergency/", {"title": "Flood", "text": "Lũ về.", "targets": [area.a.code],
                                             "confirm": "1"}, follow=True))
    assert "0 of 2 clusters online" in page and "Delivery" in page and "Tình trạng" not in page


def test_the_preview_reads_weekday_abbreviations_as_days():
    assert "thứ bảy" in services.preview("Họp dân lúc 8 giờ T7 tuần này.")
    assert "chủ nhật" in services.preview("Phát lại vào CN.").lower()
    assert "thứ hai, thứ tư, thứ sáu" in services.preview("Phát T2, T4, T6 lúc 6h30.")
    assert "tê bảy" in services.preview("Xe T7 của đội đã sửa xong.")  # not a day: stays a code


def test_radio_pages_have_no_untranslated_msgid():
    """Every msgid the radio's templates and words use has a Vietnamese translation (half-translated pages)."""
    from tests.i18n_check import untranslated

    from pathlib import Path

    root = Path(services.__file__).parent
    files = sorted((root / "templates" / "radio").glob("*.html")) + [root / "words.py", root / "delivery.py"]
    assert untranslated(files) == []


def test_json_is_utf8_not_escaped(login, radio, area, users, quick_speech):  # noqa: F811
    em = services.send_emergency(title="Bão", text="Bão vào.", targets=[area.a], user=users.radio)
    raw = login(users.radio).get(f"/radio/emergency/{em.pk}/status.json").content.decode()
    assert "mất kết nối" in raw and json.loads(raw)["total"] == 2


VI_LETTERS = re.compile(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđăâêôơưàáèéìíòóùúýãõĩũ]", re.I)
ENGLISH_WORDS = re.compile(r"\b(scheduled|priority|normal|approved|done|offline since|last seen|Revoke|Field app|"
                           r"amplifier_overheat|audio_missing|skipped|interrupted)\b")


def _radio_urls(radio, area, users, em):  # noqa: F811
    b = radio.bulletin(title="Tin sáng", priority="priority")
    services.create_programme(place=area.a, title="Sáng", times=["06:00"], targets=[area.va1], bulletin=b,
                              start_date=timezone.localdate(), weekdays=[5], user=users.radio)
    return ["/radio/", "/radio/clusters/", "/radio/clusters/A1/", "/radio/clusters/new/", "/radio/bulletins/",
            f"/radio/bulletins/{b.pk}/", "/radio/programmes/", "/radio/programmes/new/", "/radio/emergency/",
            f"/radio/emergency/{em.pk}/", "/radio/reports/"]


def _data_strings():
    from ngoso.accounts.models import User
    from ngoso.places.models import Place
    from ngoso.radio.models import Bulletin, Programme

    out = set(Programme.objects.values_list("title", flat=True)) | set(Place.objects.values_list("name", flat=True)) | set(Place.objects.values_list("short_name", flat=True))
    out |= set(SpeakerCluster.objects.values_list("name", flat=True)) | set(Bulletin.objects.values_list("title", flat=True))
    out |= {u.get_full_name() for u in User.objects.all()} | {"Ngõ Số", "Tiếng Việt"}
    return sorted((s for s in out if s), key=len, reverse=True)


def test_every_radio_page_in_one_language(login, client, radio, area, users, quick_speech):  # noqa: F811
    _post(client, "/radio/device/v1/heartbeat", radio.tokens["A1"], {"volume": 60, "faults": ["amplifier_overheat"]})
    SpeakerCluster.objects.filter(code="A2").update(last_seen_at=timezone.now() - dt.timedelta(hours=1))
    services.check()
    em = services.send_emergency(title="Bão", text="Bão vào.", targets=[area.a], user=users.radio)
    urls = _radio_urls(radio, area, users, em)
    data = _data_strings()
    vi = login(users.radio)
    for url in urls:
        r = vi.get(url)
        assert r.status_code == 200, url
        page = text(r)
        assert not ENGLISH_WORDS.search(page), (url, ENGLISH_WORDS.search(page))
    en = english(login(users.radio))
    for url in urls:
        page = text(en.get(url))
        for s in data:
            page = page.replace(s, " ")
        left = [w for w in page.split() if VI_LETTERS.search(w)]
        assert left == [], (url, left[:10])


def test_action_messages_are_in_one_language(login, radio, area, users):  # noqa: F811
    """Before: "Đã duyệt / approved", "Đã lên lịch «…» / scheduled", "Đã thu hồi mã truy cập / token revoked"."""
    b = services.create_bulletin(title="Tin chiều", text="", category="policy", place=area.a, author=users.radio)
    services.attach_upload(b, wav_bytes(1.0), "t.wav")
    page = text(login(users.commune_a).post(f"/radio/bulletins/{b.pk}/", {"action": "approve"}, follow=True))
    assert "Đã duyệt." in page and "approved" not in page
    page = text(login(users.radio).post("/radio/programmes/new/", {
        "bulletin": str(b.pk), "times": "06:00", "targets": [area.va1.code],
        "start_date": timezone.localdate().isoformat()}, follow=True))
    assert "Đã lên lịch «Tin chiều»." in page and "scheduled" not in page
    page = text(english(login(users.radio)).post("/radio/clusters/A1/", {"action": "revoke"}, follow=True))
    assert "Access token revoked." in page and "Đã thu hồi" not in page
