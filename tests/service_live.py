"""Helpers for tests that run real ``ngoso worker`` / ``ngoso serve`` processes on their own data directory.

``python -m tests.service_live setup N`` (NGOSO_DATA_DIR set): the radio_live area and users, plus N households
in village A1. ``submit KIND COUNT``: queue COUNT jobs (``ping`` or ``export``), print their ids. ``jobs``: every
job as JSON. ``visits``: the uuids of every stored visit.
"""

from __future__ import annotations

import json
import sys


def _setup(n: int) -> dict:
    from ngoso.people.models import Ethnicity, Household, Resident
    from ngoso.places.models import Place
    from tests.radio_live import _setup as radio_setup

    out = radio_setup()
    village = Place.objects.get(code=out["villages"]["A1"])
    kinh = Ethnicity.objects.get(code="01")
    hh = Household.objects.bulk_create([Household(code=f"S{i:05d}", village=village, address=f"Số {i}")
                                        for i in range(n)])
    Resident.objects.bulk_create([Resident(household=h, full_name=f"Người Số {h.code}", sex="female",
                                           birth_year=1960 + i % 50, ethnicity=kinh, relation="head")
                                  for i, h in enumerate(hh)])
    return out


def _submit(kind: str, count: int) -> list[int]:
    from ngoso.accounts.models import User
    from ngoso.core import jobs

    ids = []
    for _ in range(count):
        if kind == "export":
            u = User.objects.get(username="xa_a")
            ids.append(jobs.submit("export_people", {"place": "07351", "user_id": u.pk}, user=u,
                                   place_path=u.place.path).pk)
        else:
            ids.append(jobs.submit(kind, {}).pk)
    return ids


def _jobs() -> list[dict]:
    from ngoso.core.models import Job

    return [{"id": j.pk, "kind": j.kind, "status": j.status, "attempts": j.attempts, "error": j.error,
             "result": j.result, "file": j.file, "done": j.done}
            for j in Job.objects.order_by("pk")]


if __name__ == "__main__":
    from ngoso.cli import setup_django

    setup_django()
    cmd = sys.argv[1]
    if cmd == "setup":
        print(json.dumps(_setup(int(sys.argv[2]))))
    elif cmd == "submit":
        print(json.dumps(_submit(sys.argv[2], int(sys.argv[3]))))
    elif cmd == "jobs":
        print(json.dumps(_jobs(), ensure_ascii=False))
