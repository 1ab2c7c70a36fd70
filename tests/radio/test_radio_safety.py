"""Radio and photos, issue 14 item 9: no orphan drafts from failed emergencies, only those who approve archive an
approved bulletin, a revoked speaker token stops on the push port at once (waiting long-polls too), and a truncated
photo is refused even after weasyprint has been imported."""

from __future__ import annotations

import http.client
import io
import json
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied

from ngoso.radio import services
from ngoso.radio.models import Bulletin, Emergency, SpeakerCluster
from tests.radio.test_radio import radio, wav_bytes  # noqa: F401  (the shared radio fixture)

pytestmark = pytest.mark.django_db


# --- emergencies leave no orphan draft ------------------------------------------------------------------------

def test_a_refused_emergency_leaves_no_draft_each_time(login, radio, area, users):  # noqa: F811
    c = login(users.radio)
    before = Bulletin.objects.count()
    for form in ({"title": "Cháy rừng", "text": "Cháy ở đồi thông.", "targets": [area.vb1.code]},  # not their area
                 {"title": "Cháy rừng", "text": "Cháy ở đồi thông."},                              # no target
                 {"title": "Cháy rừng", "text": "Cháy ở đồi thông.", "targets": [area.va1.code], "repeat": "99"},
                 {"title": "Cháy rừng", "text": "Cháy ở đồi thông.", "targets": [area.va1.code], "repeat": "ba"},
                 {"title": "Cháy rừng", "text": "", "targets": [area.va1.code]}):                  # nothing to read
        r = c.post("/radio/emergency/", {**form, "confirm": "1"})  # confirmed: the send itself refuses
        assert r.status_code == 200, form
        assert c.post("/radio/emergency/", form).status_code == 200  # and the confirm step refuses it too
    assert Bulletin.objects.count() == before  # before: one draft "Cháy rừng" per attempt
    assert Emergency.objects.count() == 0


def test_an_emergency_whose_speech_fails_leaves_no_draft(radio, area, users, monkeypatch):  # noqa: F811
    def broken(bulletin):
        Bulletin.objects.filter(pk=bulletin.pk).update(audio_status=Bulletin.Audio.FAILED)
        raise services.RadioError("espeak-ng không chạy / espeak-ng failed")

    monkeypatch.setattr(services, "render_audio", broken)
    with pytest.raises(services.RadioError):
        services.send_emergency(title="Lũ", text="Lũ về.", targets=[area.va1], user=users.radio)
    assert not Bulletin.objects.filter(title="Lũ").exists()


def test_a_good_emergency_still_goes_out(radio, area, users, monkeypatch):  # noqa: F811
    def rendered(bulletin):
        services.attach_upload(bulletin, wav_bytes(1.0), "lu.wav", users.province)
        return bulletin

    monkeypatch.setattr(services, "render_audio", rendered)
    em = services.send_emergency(title="Lũ", text="Lũ về.", targets=[area.va1], user=users.radio, repeat="3")
    assert em.repeat == 3 and em.bulletin.status == Bulletin.Status.APPROVED and Bulletin.objects.filter(title="Lũ").count() == 1


# --- archiving an approved bulletin --------------------------------------------------------------------------

def test_a_radio_operator_cannot_archive_an_approved_bulletin(login, radio, users):  # noqa: F811
    b = radio.bulletin(title="Lịch tiêm chủng")
    assert b.status == Bulletin.Status.APPROVED
    with pytest.raises(PermissionDenied, match="only commune staff may archive an approved bulletin"):
        services.archive_bulletin(b, users.radio)
    login(users.radio).post(f"/radio/bulletins/{b.pk}/", {"action": "archive"})
    assert Bulletin.objects.get(pk=b.pk).status == Bulletin.Status.APPROVED  # before: archived by the operator
    login(users.commune_a).post(f"/radio/bulletins/{b.pk}/", {"action": "archive"})
    assert Bulletin.objects.get(pk=b.pk).status == Bulletin.Status.ARCHIVED


def test_a_radio_operator_archives_their_own_draft(radio, area, users):  # noqa: F811
    d = services.create_bulletin(title="Nháp", text="x", category="policy", place=area.a, author=users.radio)
    assert services.archive_bulletin(d, users.radio).status == Bulletin.Status.ARCHIVED
    with pytest.raises(PermissionDenied):
        services.archive_bulletin(radio.bulletin(), users.viewer)


# --- a revoked token stops on the push port at once ------------------------------------------------------------

def _call(port, method, path, token, body=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    return r.status, json.loads(r.read())


@pytest.mark.django_db(transaction=True)
def test_revoking_closes_a_waiting_long_poll_and_refuses_at_once(radio, users):  # noqa: F811
    from ngoso.radio import push

    server = push.start("127.0.0.1", 0, hold=20.0, poll_interval=0.05, check_interval=3600)
    try:
        tok = radio.tokens["A1"]
        assert _call(server.port, "POST", "/heartbeat", tok, {})[0] == 200
        got = {}

        def wait():
            t0 = time.monotonic()
            got["answer"] = _call(server.port, "GET", f"/wait?after={server.last_seq}&hold=15", tok)
            got["seconds"] = time.monotonic() - t0

        th = threading.Thread(target=wait)
        th.start()
        deadline = time.monotonic() + 5
        while not server.waiters and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.waiters
        t0 = time.monotonic()
        services.revoke_cluster_token(SpeakerCluster.objects.get(code="A1"), users.radio)
        assert _call(server.port, "POST", "/heartbeat", tok, {})[0] == 401  # at once: before, 5 s more
        th.join(5)
        assert got["answer"][0] == 401 and time.monotonic() - t0 < 2.0  # before: held for the whole 15 s
        # another cluster is untouched
        assert _call(server.port, "POST", "/heartbeat", radio.tokens["A2"], {})[0] == 200
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_revocation_by_another_process_stops_within_a_poll(radio):  # noqa: F811
    """The CLI revoking in another process writes only the database: the push server sees it on its next poll,
    well before its full token reload (``TOKEN_REFRESH``, 5 s)."""
    from ngoso.radio import push

    server = push.start("127.0.0.1", 0, hold=20.0, poll_interval=0.05, check_interval=3600)
    try:
        tok = radio.tokens["A1"]
        assert _call(server.port, "POST", "/heartbeat", tok, {})[0] == 200
        got = {}
        th = threading.Thread(target=lambda: got.setdefault("a", _call(server.port, "GET",
                                                                       f"/wait?after={server.last_seq}&hold=15", tok)))
        th.start()
        deadline = time.monotonic() + 5
        while not server.waiters and time.monotonic() < deadline:
            time.sleep(0.02)
        SpeakerCluster.objects.get(code="A1").revoke_token()  # the model only: as another process would
        t0 = time.monotonic()
        th.join(5)
        assert got["a"][0] == 401 and time.monotonic() - t0 < 1.0
        assert _call(server.port, "POST", "/heartbeat", tok, {})[0] == 401
        # a cluster given a new token: the old one stops, the new one works
        c = SpeakerCluster.objects.get(code="A2")
        old = radio.tokens["A2"]
        new = c.issue_token()
        time.sleep(0.3)
        assert _call(server.port, "POST", "/heartbeat", old, {})[0] == 401
        assert _call(server.port, "POST", "/heartbeat", new, {})[0] == 200
    finally:
        server.stop()


# --- truncated photos --------------------------------------------------------------------------------------------

def _truncated_jpeg() -> bytes:
    import random

    from PIL import Image

    rnd = random.Random(4)
    im = Image.frombytes("RGB", (320, 240), bytes(rnd.randrange(256) for _ in range(320 * 240 * 3)))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()[: len(buf.getvalue()) // 2]


def test_a_truncated_photo_is_refused_even_after_weasyprint_was_imported(settings, tmp_path):
    from PIL import ImageFile

    import weasyprint  # noqa: F401  (sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process)
    from ngoso.livelihoods.services import LivelihoodError, store_photo

    settings.MEDIA_ROOT = tmp_path
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as weasyprint leaves it
    with pytest.raises(LivelihoodError, match="cut off|cắt cụt"):
        store_photo(_truncated_jpeg(), "ban-banh.jpg", "products")
    assert not list(tmp_path.rglob("*.jpg"))


def test_pdf_rendering_leaves_the_flag_off():
    from PIL import ImageFile

    from ngoso.core.pdf import html_to_pdf

    assert html_to_pdf("<p>Xin chào</p>").startswith(b"%PDF")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
