"""Shared factories for tests: one way to make the records many test files need (instead of a fixture written
again in each file). Plain functions, called from fixtures or tests."""

from __future__ import annotations

from ngoso.teams.models import Member, Membership, Team
from tests.conftest import PASSWORD
from ngoso.visits import services as visits


def user(username, role, place, **fields):
    """A user of ``role`` bound to ``place``, who logs in with ``PASSWORD``."""
    from ngoso.accounts.models import User

    u = User(username=username, role=role, place=place, **fields)
    u.set_password(PASSWORD)
    u.save()
    return u


def village_team(area, users, households=(), *, name="Tổ", leader=True):
    """The village team of ``area.va1``: ``users.member`` as member (returned) and, with ``leader``,
    ``users.leader`` as its leader; ``households`` are assigned to the member (by the leader)."""
    team = Team.objects.create(place=area.va1, level="village", name=name)
    member = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=member, team=team, role="member", started_on="2024-01-01")
    if leader:
        lead = Member.objects.create(place=area.va1, full_name="Lê Văn Tổ", user=users.leader)
        Membership.objects.create(member=lead, team=team, role="leader", started_on="2024-01-01")
    if households:
        visits.assign(users.leader, list(households), member)
    return member
