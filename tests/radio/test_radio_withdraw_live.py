"""Real processes: a bulletin withdrawn (a story's consent ended: ``withdraw_bulletin``) leaves the loudspeakers
at once — the online cluster drops it from its programme and audio cache through the push channel; a cluster
that was off when it happened drops it on its next contact, before it plays anything."""

from __future__ import annotations

import datetime as dt
import json
import time
import zoneinfo

import pytest

from tests.radio import radio_live as live

pytestmark = pytest.mark.slow

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_withdrawn_bulletin_leaves_every_loudspeaker_at_once(tmp_path):
    data = tmp_path / "server"
    info = json.loads(live.run(data, "-m", "tests.radio.radio_live", "setup").strip().splitlines()[-1])
    bul = int(live.ngoso(data, "radio", "--user", "tinh", "bulletin", "24", "Câu chuyện thành công", "--text",
                         "Chị Lý bán vải thiều qua mạng.", "--category", "agriculture", "--approve").split("\t")[0])
    port, push_port = live.free_port(), live.free_port()
    server = live.start(data, "serve", "--demo", "--port", str(port), "--push-port", str(push_port), "--threads", "4",
                        log=tmp_path / "server.log")
    speakers, caches = {}, {n: tmp_path / f"cache-{n}" for n in ("A1", "A2")}

    def speaker(name):
        return live.start(data, "speaker", "--server", f"http://127.0.0.1:{port}", "--token", info["tokens"][name],
                          "--cache", str(caches[name]), "--quiet")

    try:
        live.wait_port(port)
        live.wait_port(push_port)
        for name in caches:
            speakers[name] = speaker(name)
        t1 = dt.datetime.now(TZ).replace(microsecond=0) + dt.timedelta(seconds=30)
        live.ngoso(data, "radio", "--user", "tinh", "schedule", str(bul), "--times", t1.strftime("%H:%M:%S"),
                   "--targets", "07351")
        live.wait_for(lambda: all({i.get("bulletin") for i in live.programme_items(c)} == {bul} and list((c / "audio").iterdir())
                                  for c in caches.values()), 15, "programme and audio cached")
        audio = [i["audio"] for i in live.programme_items(caches["A1"])][0]
        # A2 goes off (its cache keeps the bulletin); then the story's consent ends
        speakers["A2"].terminate()
        speakers["A2"].wait(10)
        live.run(data, "-c", "from ngoso.cli import setup_django; setup_django(); "
                             f"from ngoso.radio.services import withdraw_bulletin; withdraw_bulletin({bul}, 'consent')")
        sent = time.monotonic()
        live.wait_for(lambda: "WITHDRAWN" in live.speaker_log(caches["A1"]), 5, "withdrawal pushed")
        assert time.monotonic() - sent < 3.0
        assert live.programme_items(caches["A1"]) == [] and not (caches["A1"] / "audio" / audio).exists()
        assert (caches["A2"] / "audio" / audio).exists() and live.programme_items(caches["A2"])  # off: still cached
        # A2 comes back a moment before the item was due: it hears of the withdrawal before playing
        time.sleep(max(0.0, t1.timestamp() - 1.0 - time.time()))
        speakers["A2"] = speaker("A2")
        live.wait_for(lambda: "WITHDRAWN" in live.speaker_log(caches["A2"]), 10, "withdrawal on next contact")
        time.sleep(max(0.0, t1.timestamp() + 4 - time.time()))
        for name, c in caches.items():
            assert "PLAYED" not in live.speaker_log(c), (name, live.speaker_log(c))
            assert not (c / "audio" / audio).exists(), name
            assert all(i.get("bulletin") != bul for i in live.programme_items(c)), name
    finally:
        for p in speakers.values():
            p.terminate()
        server.terminate()
        for p in [*speakers.values(), server]:
            p.wait(15)


def test_archiving_tells_the_clusters_that_hold_it_and_one_back_after_three_days_still_hears(area, users, settings,
                                                                                               tmp_path):
    """Archiving (the UI) and withdrawing (consent ended) both queue a ``withdraw`` for the places that may
    hold the bulletin; a cluster whose last contact was before it gets it in its heartbeat three days later
    (other commands are kept 6 hours). Fails before: no command, and the 6-hour window for all."""
    from django.utils import timezone

    from ngoso.radio import services
    from ngoso.radio.models import Command
    from tests.radio.test_radio import wav_bytes

    settings.DATA_DIR = tmp_path
    a1, _ = services.register_cluster(place=area.va1, code="A1", name="Cụm A1")
    b1, _ = services.register_cluster(place=area.vb1, code="B1", name="Cụm B1")
    after = services.last_command_seq()
    b = services.create_bulletin(title="Tin", text="", category="policy", place=area.a, author=users.radio)
    services.attach_upload(b, wav_bytes(1.0), "tin.wav")
    b = services.approve(b, users.commune_a)
    b.refresh_from_db()
    services.archive_bulletin(b, users.commune_a)
    cmd = Command.objects.get(kind="withdraw")
    assert cmd.payload["bulletins"] == [b.pk] and cmd.payload["audio"] == [b.audio_sha256 + ".wav"]
    assert cmd.target_paths == [area.a.path]
    Command.objects.filter(pk=cmd.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    Command.objects.create(kind="refresh", target_paths=[area.a.path],
                           created_at=timezone.now() - dt.timedelta(days=3))  # an old refresh: long gone
    got = services.pending_commands(a1, after)
    assert [c["type"] for c in got] == ["withdraw"] and got[0]["bulletins"] == [b.pk]
    assert services.pending_commands(b1, after) == []  # another commune never held it

    other = services.create_bulletin(title="Chuyện", text="", category="policy", place=area.a, author=users.radio)
    services.withdraw_bulletin(other.pk, "consent")
    assert Command.objects.filter(kind="withdraw", payload__bulletins=[other.pk]).exists()
