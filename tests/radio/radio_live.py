"""Helpers for tests that run a real ``ngoso serve`` and real ``ngoso speaker`` processes.

``python -m tests.radio.radio_live setup`` (with NGOSO_DATA_DIR set) migrates a fresh database and creates a
province, two communes, three villages, users and one cluster per village (heartbeat every 2 s);
prints JSON with the tokens. ``query`` prints the play logs and cluster status as JSON.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def env(data_dir) -> dict:
    e = dict(os.environ)
    e["NGOSO_DATA_DIR"] = str(data_dir)
    e["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{ROOT}"
    e.pop("DJANGO_SETTINGS_MODULE", None)
    # its own server and database in data_dir (SQLite), never the database the suite was pointed at
    e.pop("NGOSO_DATABASE_URL", None)
    e.pop("NGOSO_JOBS_IMMEDIATE", None)  # a real server: jobs go through the queue to its worker
    return e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(data_dir, *args, timeout=120) -> str:
    p = subprocess.run([sys.executable, *args], env=env(data_dir), capture_output=True, text=True, timeout=timeout,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stdout


def ngoso(data_dir, *args) -> str:
    return run(data_dir, "-m", "ngoso", *args)


def start(data_dir, *args, log=None):
    out = open(log, "w") if log else subprocess.DEVNULL
    return subprocess.Popen([sys.executable, "-m", "ngoso", *args], env=env(data_dir), stdout=out,
                            stderr=subprocess.STDOUT, cwd=ROOT)


def wait_for(predicate, timeout=30.0, what="condition", interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def wait_port(port, timeout=30.0):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            return False
    wait_for(up, timeout, f"port {port}")


def _setup():
    from ngoso.accounts.models import Role, User
    from ngoso.places.models import Place, PlaceType
    from ngoso.places.services import REFORM_DATE, add_village
    from ngoso.radio import services

    t = {x.code: x for x in PlaceType.objects.all()}
    province = Place.objects.create(code="24", official_code="24", name="Tỉnh Bắc Ninh", short_name="Bắc Ninh",
                                    type=t["tinh"], valid_from=REFORM_DATE)
    a = Place.objects.create(code="07351", official_code="07351", name="Xã Ngọc Thiện", short_name="Ngọc Thiện",
                             type=t["xa"], parent=province, valid_from=REFORM_DATE)
    b = Place.objects.create(code="07210", official_code="07210", name="Phường Bắc Giang", short_name="Bắc Giang",
                             type=t["phuong"], parent=province, valid_from=REFORM_DATE)
    villages = {"A1": add_village(a, "Đồng Bụt"), "A2": add_village(a, "Tân Lập"), "B1": add_village(b, "Số 1")}
    User.objects.create_user("tinh", password="x", role=Role.PROVINCE_ADMIN, place=province, is_superuser=True)
    User.objects.create_user("xa_a", password="x", role=Role.COMMUNE_STAFF, place=a)
    tokens = {}
    for name, village in villages.items():
        c, _ = services.register_cluster(place=village, code=name, name=f"Cụm {name}", heartbeat_interval=2)
        tokens[name] = c.issue_token()
    return {"tokens": tokens, "villages": {k: v.code for k, v in villages.items()}}


def _query():
    from ngoso.radio.models import Alert, PlayLog, SpeakerCluster

    return {"logs": [{"cluster": p.cluster.code, "key": p.item_key, "status": p.status, "late": p.late_seconds,
                      "bulletin": p.bulletin_id, "duration": p.duration_seconds, "reason": p.reason}
                     for p in PlayLog.objects.select_related("cluster").order_by("started_at")],
            "clusters": {c.code: {"last_seen": c.last_seen_at.isoformat() if c.last_seen_at else None,
                                  "pending": c.pending_logs} for c in SpeakerCluster.objects.all()},
            "alerts": [(a.cluster.code if a.cluster else "", a.kind, a.key, a.resolved_at is not None)
                       for a in Alert.objects.select_related("cluster")]}


if __name__ == "__main__":
    from ngoso.cli import setup_django

    setup_django()
    print(json.dumps(_setup() if sys.argv[1] == "setup" else _query(), ensure_ascii=False))


def speaker_log(cache):
    """What an ``ngoso speaker`` wrote to its log in ``cache`` (empty before it starts)."""
    p = cache / "speaker.log"
    return p.read_text("utf-8") if p.exists() else ""


def programme_items(cache):
    """The programme an ``ngoso speaker`` holds in ``cache`` (none while it has not written one)."""
    try:
        return json.loads((cache / "programme.json").read_text("utf-8"))["items"]
    except (OSError, ValueError, KeyError):
        return []
