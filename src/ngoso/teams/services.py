"""Team rules: who is a member of which team, and a member leaving it.

The visit plan (which member answers for which household, ``visits.Assignment``) is the visits app's, above
teams: when a member leaves, this module ends the membership and announces it (``core.changes.MEMBER_LEFT``);
visits then shares the member's households among the rest of the team, in the same transaction.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from ngoso.accounts import audit, permissions
from ngoso.core import changes
from ngoso.core.text import vi_key, vi_order
from ngoso.places.models import Level

from .models import Member, Membership, Team


def member_for(user) -> Member | None:
    """The team member a user acts as in the field (None: not a member)."""
    return Member.objects.filter(user=user).first() if user and user.is_authenticated else None


def in_list_order(teams) -> list[Team]:
    """Teams as a list shows them: the province's first, then each commune's team followed by its villages'
    teams, communes and villages in Vietnamese order (``teams`` with ``place__parent`` selected)."""
    def key(t: Team):
        p = t.place
        commune = p.parent if p.level == Level.VILLAGE and p.parent_id else p
        return (p.level != Level.PROVINCE, vi_key(commune.name), commune.path, p.level == Level.VILLAGE,
                vi_key(p.name), vi_key(t.name), t.pk)

    return sorted(teams, key=key)


def team_members(team: Team) -> list[Member]:
    """The team's current members, by name."""
    return [m.member for m in team.current_memberships().order_by(vi_order("member__full_name"), "member_id")]


def leave(user, membership: Membership, today: datetime.date | None = None) -> int:
    """End a membership (``user`` must be allowed to change it); the member's households go to the rest of the
    team (visits, through ``changes.MEMBER_LEFT``). Returns how many households were handed over."""
    today = today or timezone.localdate()
    permissions.require(user, "change", membership)
    handed = {"households": 0}
    with transaction.atomic(), audit.acting_as(user):
        membership.ended_on = today
        membership.save(update_fields=["ended_on"])
        changes.send(changes.MEMBER_LEFT, membership=membership, user=user, today=today, handed=handed)
    return handed["households"]
