"""A year of door-to-door work for the demo: assignments, visits and the skills residents learned.

Deterministic for a seed and an end date. Each village team shares its village's households (each alley
with one member, loads balanced, as ``visits.services.suggest_split`` does); over the year before
``until`` most households are visited a few times; at each visit one to three residents practise the
next skills their prerequisites allow, younger people progressing faster than the elderly; some members
go quiet in the last weeks. Derived tables (current levels, household status, the dashboards' counters)
are filled at the end, so the demo opens with realistic dashboards.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.core.db import insert_rows, reset_sequences
from ngoso.core.messages import Message, both
from ngoso.insights import counters
from ngoso.people.models import Household, Resident
from ngoso.skills.models import Skill
from ngoso.skills.rules import basic5_skill_ids, has_basic_five
from ngoso.teams.models import Membership
from ngoso.visits import rules
from ngoso.visits.models import Assignment, ResidentSkill, SkillRecord, Visit

VILLAGE_CHUNK = 100
ALONE, HELP = 2, 1
BASELINE_CAP = 15
COMMON_FIRST = ["smartphone-basics", "get-online", "install-update-apps", "take-photos-videos", "passwords-otp",
                "social-account", "zalo-messaging", "video-calls", "share-photos", "web-search", "bank-app",
                "scan-qr-code", "qr-payment", "online-shopping", "recognise-scams", "vneid-level2",
                "public-services-portal", "commune-zalo-oa"]


def _skills():
    skills = list(Skill.objects.filter(catalogue__is_current=True).prefetch_related("prerequisites")
                  .order_by("area__order", "order"))
    prereq = {s.pk: [p.pk for p in s.prerequisites.all()] for s in skills}
    basic5 = [s.pk for s in skills if s.basic5]
    # catalogue order, but every skill after its prerequisites (the catalogue is a DAG)
    order, done = [], set()

    def visit(sid):
        if sid in done:
            return
        done.add(sid)
        for p in prereq[sid]:
            visit(p)
        order.append(sid)

    by_code = {s.code: s.pk for s in skills}
    for code in COMMON_FIRST:  # what most people pick up first, then the catalogue's order
        if code in by_code:
            visit(by_code[code])
    for s in skills:
        visit(s.pk)
    # the national target first: the five basic skills and everything they need
    chain, todo = set(), list(basic5)
    while todo:
        sid = todo.pop()
        if sid not in chain:
            chain.add(sid)
            todo += prereq[sid]
    order.sort(key=lambda sid: sid not in chain)  # stable: keeps prerequisites first
    return order, prereq, basic5


def _split(households, member_ids):
    groups = defaultdict(list)
    for h in households:
        groups[h[2] or f"#{h[0]}"].append(h[0])
    load = {m: 0 for m in member_ids}
    plan = []
    for g in sorted(groups.values(), key=lambda g: (-len(g), g[0])):
        m = min(member_ids, key=lambda x: (load[x], x))
        load[m] += len(g)
        plan += [(hid, m) for hid in g]
    return plan


def build_activity(seed: int, until: datetime.date, progress=lambda m: None) -> dict:
    rng = random.Random(f"activity-{seed}")

    def uid():
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    order, prereq, _unused = _skills()
    basic5 = basic5_skill_ids()
    start = until - datetime.timedelta(days=364)
    ops = connection.ops
    team_members = defaultdict(list)
    for place_id, member_id in Membership.objects.filter(team__level="village", ended_on__isnull=True) \
            .order_by("team__place_id", "member_id").values_list("team__place_id", "member_id"):
        team_members[place_id].append(member_id)
    quiet = {m for ms in team_members.values() for m in ms if rng.random() < 0.08}
    villages = sorted(team_members)
    assigned_at = ops.adapt_datetimefield_value(timezone.make_aware(datetime.datetime.combine(start, datetime.time(8))))
    ids = {"a": 0, "v": 0, "s": 0}
    totals = {"assignments": 0, "visits": 0, "skill_records": 0}
    for i in range(0, len(villages), VILLAGE_CHUNK):
        chunk = villages[i:i + VILLAGE_CHUNK]
        households = defaultdict(list)
        for hid, vid, alley in Household.objects.filter(village_id__in=chunk).order_by("id") \
                .values_list("id", "village_id", "alley"):
            households[vid].append((hid, vid, alley))
        residents = defaultdict(list)
        for rid, hid, by in Resident.objects.filter(household__village_id__in=chunk).order_by("id") \
                .values_list("id", "household_id", "birth_year"):
            residents[hid].append((rid, by))
        a_rows, v_rows, s_rows, rs_rows, st_rows = [], [], [], [], []
        for vid in chunk:
            members = team_members[vid]
            for hid, mid in _split(households[vid], members):
                ids["a"] += 1
                a_rows.append((ids["a"], hid, mid, start - datetime.timedelta(days=rng.randint(0, 200)), None, None,
                               assigned_at))
                people = residents[hid]
                levels: dict[int, dict[int, int]] = {rid: {} for rid, _ in people}
                assessed: set[int] = set()
                n_visits = 0 if rng.random() < 0.12 else rng.choice([1, 1, 1, 2, 2, 3, 4])
                days = sorted(rng.randint(0, 364) for _ in range(n_visits))
                if mid in quiet:
                    days = [min(d, 364 - 45 - rng.randint(0, 30)) for d in days]
                recs, hvisits = [], []  # what the project derives the current levels and the status from
                for d in days:
                    day = start + datetime.timedelta(days=d)
                    ids["v"] += 1
                    vuuid = uid()
                    nxt = day + datetime.timedelta(days=rng.choice([14, 21, 30, 45])) if rng.random() < 0.6 else None
                    recorded = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9 + rng.randint(0, 8))))
                    v_rows.append((ids["v"], vuuid, hid, mid, day, ops.adapt_datetimefield_value(recorded), "",
                                   nxt, Visit.Source.DEMO))
                    hvisits.append((day, recorded, ids["v"], nxt))
                    # members spend their time on those who need it: young adults only now and then
                    learners = [p for p in people if 1945 <= p[1] <= until.year - 15
                                and (p[1] <= until.year - 35 or rng.random() < 0.25)] or people
                    for rid, by in rng.sample(learners, k=min(len(learners), rng.randint(1, 2))):
                        age = until.year - by
                        young = age < 45
                        if rid not in assessed:
                            # first meeting: the member notes what the person can already do
                            assessed.add(rid)
                            ability = 0.97 if age < 30 else 0.92 if age < 45 else 0.7 if age < 60 else 0.25
                            for s in order:
                                if len(levels[rid]) >= BASELINE_CAP:  # a first meeting covers so much, no more
                                    break
                                if all(levels[rid].get(p) == ALONE for p in prereq[s]) and rng.random() < ability:
                                    levels[rid][s] = ALONE if rng.random() < 0.85 else HELP
                                    ids["s"] += 1
                                    s_rows.append((ids["s"], uid(), rid, s, levels[rid][s], ids["v"], mid, day,
                                                   ops.adapt_datetimefield_value(recorded), SkillRecord.Source.VISIT))
                                    recs.append((rid, s, levels[rid][s], day, recorded, ids["s"]))
                        ready = [s for s in order if levels[rid].get(s, 0) < ALONE
                                 and all(levels[rid].get(p) == ALONE for p in prereq[s])]
                        for s in ready[:rng.randint(1, 2)]:
                            up = 2 if (young and rng.random() < 0.7) or rng.random() < 0.3 else 1
                            lvl = min(ALONE, levels[rid].get(s, 0) + up)
                            levels[rid][s] = lvl
                            ids["s"] += 1
                            s_rows.append((ids["s"], uid(), rid, s, lvl, ids["v"], mid, day,
                                           ops.adapt_datetimefield_value(recorded), SkillRecord.Source.VISIT))
                            recs.append((rid, s, lvl, day, recorded, ids["s"]))
                # the derived rows, by the rules real visits use (``visits.rules``, ``skills.rules``)
                current: dict[int, dict[int, int]] = defaultdict(dict)
                for (rid, s), (lvl, observed) in rules.current_levels(recs).items():
                    rs_rows.append((rid, s, lvl, observed))
                    current[rid][s] = lvl
                last, nxt, n = rules.visit_status(hvisits)
                st_rows.append((hid, last, nxt, n, any(has_basic_five(lv, basic5) for lv in current.values())))
        with transaction.atomic():
            _insert(a_rows, v_rows, s_rows, rs_rows, st_rows)
        totals["assignments"] += len(a_rows)
        totals["visits"] += len(v_rows)
        totals["skill_records"] += len(s_rows)
        progress(both(Message(_("visits: %(visits)s · skill records: %(records)s (%(done)s/%(total)s villages)"),
                              visits=f"{totals['visits']:,}", records=f"{totals['skill_records']:,}",
                              done=min(i + VILLAGE_CHUNK, len(villages)), total=len(villages))))
    reset_sequences(Assignment, Visit, SkillRecord, ResidentSkill)
    with transaction.atomic():
        rows = counters.rebuild(progress)
    progress(both(Message(_("indicators: %(rows)s rows"), rows=f"{rows:,}")))
    return totals


def _insert(a_rows, v_rows, s_rows, rs_rows, st_rows):
    insert_rows("visits_assignment", ["id", "household_id", "member_id", "started_on", "ended_on",
                                      "assigned_by_id", "changed_at"], a_rows)
    insert_rows("visits_visit", ["id", "uuid", "household_id", "member_id", "visited_on", "recorded_at", "note",
                                     "next_visit_on", "source"],
                    [(r[0], _u(r[1]), *r[2:]) for r in v_rows])
    insert_rows("visits_skillrecord", ["id", "uuid", "resident_id", "skill_id", "level", "visit_id", "member_id",
                                           "observed_on", "recorded_at", "source"],
                    [(r[0], _u(r[1]), *r[2:]) for r in s_rows])
    insert_rows("visits_residentskill", ["resident_id", "skill_id", "level", "observed_on"], rs_rows)
    insert_rows("visits_householdstatus", ["household_id", "last_visit_on", "next_visit_on", "visits", "basic5"],
                    st_rows)


def _u(value: uuid.UUID):
    """UUIDs as the backend stores them (SQLite: 32 hex characters; PostgreSQL: native)."""
    return value.hex if connection.vendor == "sqlite" else value
