"""Real processes: ``ngoso serve`` and three ``ngoso speaker`` clients.

One bulletin is scheduled for all three clusters; an emergency for commune A interrupts it on A1 and A2
and not on B1; then the server goes down, every cluster plays the next item from its cache, and when the
server is back the clusters upload the logs they kept.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import zoneinfo

import pytest

from tests.radio import radio_live as live

pytestmark = pytest.mark.slow

TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def test_speakers_play_obey_an_emergency_and_survive_an_outage(tmp_path):
    data = tmp_path / "server"
    info = json.loads(live.run(data, "-m", "tests.radio.radio_live", "setup").strip().splitlines()[-1])
    text = ("Bà con chú ý. Vụ đông năm nay xã khuyến khích trồng ngô và khoai tây trên đất hai lúa. "
            "Hội nông dân sẽ hướng dẫn kỹ thuật tại nhà văn hoá các thôn. Xin cảm ơn bà con.")
    bul = int(live.ngoso(data, "radio", "--user", "tinh", "bulletin", "24", "Tin nông nghiệp", "--text", text,
                         "--category", "agriculture", "--approve").split("\t")[0])
    health = int(live.ngoso(data, "radio", "--user", "tinh", "bulletin", "24", "Tin sức khoẻ", "--text",
                            "Tiêm chủng sáng thứ bảy.", "--category", "health", "--approve").split("\t")[0])
    fire = int(live.ngoso(data, "radio", "--user", "xa_a", "bulletin", "07351", "Cháy rừng", "--text",
                          "Cháy rừng ở đồi thông. Bà con tránh xa khu vực.", "--category", "emergency").split("\t")[0])

    port = live.free_port()
    push_port = live.free_port()
    server_args = ("serve", "--demo", "--port", str(port), "--push-port", str(push_port), "--threads", "4")
    server = live.start(data, *server_args, log=tmp_path / "server.log")
    speakers, caches = {}, {}
    try:
        live.wait_port(port)
        live.wait_port(push_port)
        for name, token in info["tokens"].items():
            caches[name] = tmp_path / f"cache-{name}"
            speakers[name] = live.start(data, "speaker", "--server", f"http://127.0.0.1:{port}", "--token", token,
                                        "--cache", str(caches[name]), "--quiet")
        live.wait_for(lambda: all("PROGRAMME" in live.speaker_log(c) for c in caches.values()), 30, "first programme")

        t1 = dt.datetime.now(TZ).replace(microsecond=0) + dt.timedelta(seconds=9)
        t2 = t1 + dt.timedelta(seconds=22)
        live.ngoso(data, "radio", "--user", "tinh", "schedule", str(bul), "--times", t1.strftime("%H:%M:%S"),
                   "--targets", "07351", "07210")
        live.ngoso(data, "radio", "--user", "tinh", "schedule", str(health), "--times", t2.strftime("%H:%M:%S"),
                   "--targets", "07351", "07210")
        # the push channel tells the clusters to fetch the new programme (no polling wait)
        live.wait_for(lambda: all({i["bulletin"] for i in live.programme_items(c)} == {bul, health} for c in caches.values()), 8, "programme refresh by push")

        time.sleep(max(0.0, t1.timestamp() + 1.5 - time.time()))  # the bulletin is playing everywhere
        live.ngoso(data, "radio", "--user", "xa_a", "emergency", str(fire), "--targets", "07351", "--repeat", "1")
        sent = time.monotonic()
        live.wait_for(lambda: all("EMERGENCY RECEIVED" in live.speaker_log(caches[n]) for n in ("A1", "A2")), 5, "emergency")
        assert time.monotonic() - sent < 2.0
        live.wait_for(lambda: all("PLAYED e" in live.speaker_log(caches[n]) for n in ("A1", "A2")), 20, "emergency played")
        live.wait_for(lambda: "PLAYED p" in live.speaker_log(caches["B1"]), 20, "B1 plays the bulletin through")
        assert "EMERGENCY" not in live.speaker_log(caches["B1"])

        # the network goes: the server stops before the second item is due
        server.terminate()
        server.wait(10)
        live.wait_for(lambda: all("OFFLINE" in live.speaker_log(c) for c in caches.values()), 15, "clusters notice the outage")
        live.wait_for(lambda: all(live.speaker_log(c).count("PLAYED p") >= 1 and "Tin sức khoẻ" in live.speaker_log(c)
                                  for c in caches.values()), 30, "second item played from cache while offline")
        assert all(list((c / "outbox").glob("*.json")) for c in caches.values())  # logs kept on disk

        server = live.start(data, *server_args, log=tmp_path / "server2.log")
        live.wait_for(lambda: all(not list((c / "outbox").glob("*.json")) for c in caches.values()), 40,
                      "logs uploaded after reconnection")
    finally:
        for p in speakers.values():
            p.terminate()
        server.terminate()
        for p in [*speakers.values(), server]:
            p.wait(10)

    q = json.loads(live.run(data, "-m", "tests.radio.radio_live", "query").strip().splitlines()[-1])
    by = {}
    for row in q["logs"]:
        by.setdefault((row["cluster"], row["bulletin"]), []).append(row["status"])
    assert by[("A1", bul)] == ["interrupted"] and by[("A2", bul)] == ["interrupted"]
    assert by[("B1", bul)] == ["played"]
    assert by[("A1", fire)] == ["played"] and by[("A2", fire)] == ["played"] and ("B1", fire) not in by
    for name in ("A1", "A2", "B1"):
        assert by[(name, health)] == ["played"], name  # played while offline, uploaded later
    lates = [r["late"] for r in q["logs"] if r["bulletin"] == health]
    assert all(abs(x) <= 2 for x in lates), lates  # on time from the cache
