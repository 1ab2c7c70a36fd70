"""The cluster client's player logic without a network: priorities on the device, emergency and stop, missed items."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

from ngoso.radio.client import Speaker


class RecordingPlayer:
    name = "recording"

    def __init__(self):
        self.played = []

    def play(self, item, path, seconds, stop):
        t0 = time.monotonic()
        stop.wait(seconds)
        self.played.append((item["key"], round(time.monotonic() - t0, 1), stop.is_set()))
        return "interrupted" if stop.is_set() else "played"


def _item(key, start, seconds, **kw):
    return {"key": key, "title": key, "kind": "audio", "priority": "normal", "scheduled_at": start.isoformat(),
            "start": start.isoformat(), "end": (start + dt.timedelta(seconds=seconds)).isoformat(),
            "duration": seconds, "status": "scheduled", "audio": "a" * 64 + ".wav", **kw}


def _speaker(tmp_path, items):
    (tmp_path / "audio").mkdir(parents=True)
    (tmp_path / "audio" / ("a" * 64 + ".wav")).write_bytes(b"RIFF")
    (tmp_path / "programme.json").write_text(json.dumps({"items": items, "valid_until": "2099-01-01T00:00:00+00:00"}))
    player = RecordingPlayer()
    return Speaker("http://127.0.0.1:9", tmp_path, token="spk_x", player=player, log=lambda line: None), player


def _outbox(tmp_path):
    return sorted((json.loads(f.read_text()) for f in (tmp_path / "outbox").glob("*.json")),
                  key=lambda e: (e["started_at"] or "", e["key"]))


def test_emergency_interrupts_the_item_then_stop_ends_the_emergency(tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    sp, player = _speaker(tmp_path, [_item("p1@x", now - dt.timedelta(seconds=1), 30)])
    t = threading.Thread(target=sp.step)
    t.start()
    time.sleep(0.5)
    sp.handle_commands([{"seq": 5, "type": "emergency", "key": "e9", "title": "Bão", "audio": "a" * 64 + ".wav",
                         "duration": 30, "repeat": 2, "issued_at": now.isoformat()}])
    t.join(5)
    assert player.played[0][0] == "p1@x" and player.played[0][2]  # cut at once
    t = threading.Thread(target=sp.step)
    t.start()
    time.sleep(0.5)
    sp.handle_commands([{"seq": 6, "type": "stop", "key": "e9"}])
    t.join(5)
    logs = {e["key"]: e for e in _outbox(tmp_path)}
    assert logs["p1@x"]["status"] == "interrupted" and logs["p1@x"]["reason"] == "emergency"
    assert logs["e9"]["status"] == "interrupted" and logs["e9"]["reason"] == "stopped by operator"
    assert [k for k, _, _ in player.played] == ["p1@x", "e9"]  # not repeated after the stop
    assert sp.last_seq == 6


def test_stale_emergency_is_ignored_and_stop_of_another_emergency_does_not_cut_the_programme(tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    sp, player = _speaker(tmp_path, [_item("p1@x", now - dt.timedelta(seconds=0.2), 1.5)])
    sp.handle_commands([{"seq": 1, "type": "emergency", "key": "e1", "title": "cũ", "audio": "a" * 64 + ".wav",
                         "duration": 5, "issued_at": (now - dt.timedelta(hours=1)).isoformat()},
                        {"seq": 2, "type": "stop", "key": "e7"}])
    assert sp.step()
    assert [(k, cut) for k, _, cut in player.played] == [("p1@x", False)]


def test_missed_and_conflict_items_are_confirmed_as_skipped(tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    sp, player = _speaker(tmp_path, [
        _item("p1@old", now - dt.timedelta(minutes=10), 60),
        _item("p2@conflict", now - dt.timedelta(seconds=5), 0, status="skipped", reason="conflict"),
        _item("p3@later", now + dt.timedelta(hours=1), 60)])
    assert not sp.step()
    logs = {e["key"]: e for e in _outbox(tmp_path)}
    assert logs["p1@old"]["status"] == "skipped" and "missed" in logs["p1@old"]["reason"]
    assert logs["p2@conflict"]["reason"] == "conflict" and "p3@later" not in logs and player.played == []
    assert not sp.step() and len(_outbox(tmp_path)) == 2  # confirmed once
