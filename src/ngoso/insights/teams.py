"""A team's activity for its page: each member's households, visits in 7 and 30 days, last visit, visits due
and overdue, and who has gone quiet. Reads visits and teams; writes nothing."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Max
from django.utils import timezone

from ngoso.teams.models import Member, Team
from ngoso.teams.services import team_members
from ngoso.visits.models import Visit
from ngoso.visits.services import _followup_rows, member_loads

QUIET_DAYS = 14  # a member with no visit for this long has "gone quiet"


@dataclass
class MemberActivity:
    member: Member
    households: int
    visits_7: int
    visits_30: int
    last_visit: datetime.date | None
    due_today: int
    overdue: int

    @property
    def quiet(self) -> bool:
        return self.last_visit is None or (timezone.localdate() - self.last_visit).days > QUIET_DAYS


def team_activity(team: Team, today=None) -> list[MemberActivity]:
    today = today or timezone.localdate()
    members = team_members(team)
    ids = [m.pk for m in members]
    visits = Visit.objects.filter(member_id__in=ids, corrections__isnull=True)
    v7 = dict(visits.filter(visited_on__gt=today - datetime.timedelta(days=7)).values("member")
              .annotate(n=Count("id")).values_list("member", "n"))
    v30 = dict(visits.filter(visited_on__gt=today - datetime.timedelta(days=30)).values("member")
               .annotate(n=Count("id")).values_list("member", "n"))
    last = dict(visits.values("member").annotate(d=Max("visited_on")).values_list("member", "d"))
    loads = member_loads(members)
    due = Counter()
    overdue = Counter()
    for mid, nxt in _followup_rows(ids, today, "due").values_list("household__assignments__member_id",
                                                                   "next_visit_on"):
        (due if nxt == today else overdue)[mid] += 1
    return [MemberActivity(m, loads.get(m.pk, 0), v7.get(m.pk, 0), v30.get(m.pk, 0), last.get(m.pk),
                           due[m.pk], overdue[m.pk]) for m in members]
