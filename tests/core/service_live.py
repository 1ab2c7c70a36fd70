"""Helpers for tests that run real ``ngoso worker`` / ``ngoso serve`` processes on their own data directory.

``python -m tests.core.service_live setup N`` (NGOSO_DATA_DIR set): the radio_live area and users, plus N households
in village A1. ``submit KIND COUNT``: queue COUNT jobs (``ping`` or ``export``), print their ids. ``jobs``: every
job as JSON. ``visits``: the uuids of every stored visit.
"""

from __future__ import annotations

import json
import sys


def _setup(n: int) -> dict:
    from ngoso.people.models import Ethnicity, Household, Resident
    from ngoso.places.models import Place
    from tests.radio.radio_live import _setup as radio_setup

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


def _sync_setup(devices: int) -> dict:
    """A team in village A1 whose member is assigned the first household; ``devices`` device tokens for them."""
    from ngoso.accounts.models import Role, User
    from ngoso.people.models import Household
    from ngoso.places.models import Place
    from ngoso.sync.models import DeviceToken
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    h = Household.objects.order_by("code").first()
    village = h.village
    member_user = User.objects.create_user("member_a1", password="x", role=Role.MEMBER, place=village)
    leader_user = User.objects.create_user("leader_a1", password="x", role=Role.TEAM_LEADER, place=village)
    t = Team.objects.create(place=village, level="village", name="Tổ")
    mem = Member.objects.create(place=village, full_name="Phạm Thị Viên", user=member_user)
    lead = Member.objects.create(place=village, full_name="Lê Văn Tổ", user=leader_user)
    Membership.objects.create(member=mem, team=t, role="member", started_on="2024-01-01")
    Membership.objects.create(member=lead, team=t, role="leader", started_on="2024-01-01")
    services.assign(leader_user, [h], mem)
    tokens = [DeviceToken.issue(member_user, f"Máy {i}", device_key=f"k{i}")[1] for i in range(devices)]
    return {"tokens": tokens, "household": h.code, "resident": str(h.residents.first().uuid)}


def _visits() -> list[str]:
    from ngoso.visits.models import Visit

    return [str(u) for u in Visit.objects.values_list("uuid", flat=True)]


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
    elif cmd == "sync-setup":
        print(json.dumps(_sync_setup(int(sys.argv[2]))))
    elif cmd == "visits":
        print(json.dumps(_visits()))
    elif cmd == "jobs":
        print(json.dumps(_jobs(), ensure_ascii=False))
