"""Door-to-door services: assignments, priorities, the member's day, visits, corrections, follow-ups.

Views, the API (sync) and the CLI call these; they check the user's area and permission themselves.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid as uuidlib
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.accounts import audit, permissions
from ngoso.accounts.scope import scoped
from ngoso.core import changes
from ngoso.core.messages import ByLanguage, UserError
from ngoso.core.text import street_order
from ngoso.people import privacy
from ngoso.people.models import Household, Resident
from ngoso.people.targets import information_deprivation, is_elderly
from ngoso.skills.models import Level, Skill
from ngoso.skills.rules import age_in, has_basic_five, offered
from ngoso.teams.models import Member, Membership, Team
from ngoso.teams.services import member_for, team_members  # noqa: F401 - the field's member, a team's members

from . import rules
from . import status as hh_status
from .models import Assignment, HouseholdStatus, PriorityFactor, ResidentSkill, SkillRecord, Visit

EARLIEST_VISIT = datetime.date(2020, 1, 1)
CLOCK_TOLERANCE = datetime.timedelta(days=1)  # a phone a little ahead of the server is not an error
DEFAULT_NEXT_VISIT_DAYS = 14
DAY_LIST_SIZE = 12
LEVELS = frozenset(Level.values)
SKILL_NS = uuidlib.UUID("0b6e4f00-5a1e-4d0c-9c37-6e676f736f00")


class VisitError(UserError, ValueError):
    """Bad input for a visit: ``field`` names what is wrong, the message (one msgid) says why."""


# --- priority factors (data) ----------------------------------------------------------------------------

def load_priority_factors() -> int:
    """Create missing factors from ``data/priority.json``; weights changed by staff are kept."""
    data = json.loads(resources.files("ngoso.visits").joinpath("data/priority.json").read_text("utf-8"))
    n = 0
    for i, f in enumerate(data["factors"]):
        _, created = PriorityFactor.objects.get_or_create(
            code=f["code"], defaults={"weight": f["weight"], "label_vi": f["label_vi"], "label_en": f["label_en"],
                                      "order": i})
        n += created
    return n


@dataclass
class Reason:
    code: str
    points: float
    vi: str
    en: str


@dataclass
class Priority:
    household: Household
    score: float
    reasons: list[Reason] = field(default_factory=list)
    due_days: int | None = None  # days past the follow-up date (0 = today), None if no follow-up is due

    @property
    def text_vi(self) -> str:
        return "; ".join(r.vi for r in self.reasons)

    @property
    def text_en(self) -> str:
        return "; ".join(r.en for r in self.reasons)


def priorities(households, today: datetime.date | None = None) -> list[Priority]:
    """Score and explain each household, highest need first."""
    today = today or timezone.localdate()
    factors = {f.code: f for f in PriorityFactor.objects.filter(active=True)}
    if not factors:
        load_priority_factors()
        factors = {f.code: f for f in PriorityFactor.objects.filter(active=True)}
    hh = list(households.select_related("status").prefetch_related("residents__ethnicity")
              if hasattr(households, "select_related") else households)
    basic5 = list(Skill.objects.filter(catalogue__is_current=True).exclude(basic5="").values_list("id", "basic5"))
    public = {sid for sid, b in basic5 if b == "public_services"}
    basic5_ids = {sid for sid, _ in basic5}
    levels: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, sid, lvl in ResidentSkill.objects.filter(resident__household__in=[h.pk for h in hh],
                                                      skill_id__in=[s for s, _ in basic5]) \
            .values_list("resident_id", "skill_id", "level"):
        levels[rid][sid] = lvl
    out = []
    for h in hh:
        reasons: list[Reason] = []

        def add(code, n=None, points=None):
            f = factors.get(code)
            if f is None:
                return
            pts = f.weight if points is None else points
            reasons.append(Reason(code, pts, *_reason_words(f, n)))

        residents = list(h.residents.all())
        elderly = [r for r in residents if is_elderly(r.birth_year, today.year)]
        status = getattr(h, "status", None) if _has_status(h) else None
        due_days = None
        if status and status.next_visit_on and status.next_visit_on <= today:
            due_days = (today - status.next_visit_on).days
            add("due", due_days)
        if len(residents) == 1 and elderly:
            add("elderly_alone")
        if basic5 and not any(has_basic_five(levels[r.pk], basic5_ids) for r in residents):
            add("no_basic5")
        if public and not any(levels[r.pk].get(s) == Level.ALONE for r in residents for s in public):
            add("no_public_services")
        if h.poverty_status == "poor":
            add("poor")
        elif h.poverty_status == "near_poor":
            add("near_poor")
        if information_deprivation(h):
            add("info_poverty")
        if not h.has_smartphone:
            add("no_smartphone")
        if elderly and not (len(residents) == 1):
            f = factors.get("elderly")
            if f:
                add("elderly", len(elderly), f.weight * len(elderly))
        if any(r.ethnicity.is_minority for r in residents):
            add("minority")
        if any(r.disability for r in residents):
            add("disability")
        if status is None or status.last_visit_on is None:
            add("never_visited")
        else:
            days = (today - status.last_visit_on).days
            f = factors.get("days_since_visit")
            if f and days >= 7:
                add("days_since_visit", days, f.weight * min(days, 365))
        reasons.sort(key=lambda r: -r.points)
        out.append(Priority(h, round(sum(r.points for r in reasons), 1), reasons, due_days))
    out.sort(key=lambda p: (-p.score, p.household.code))
    return out


def _reason_words(factor: PriorityFactor, n) -> tuple[str, str]:
    """A factor's label in Vietnamese and English with its number: a follow-up due today says "today", not
    "0 days ago", and one day or one person is said in the singular in English (the labels are data, written
    for many)."""
    from django.utils import translation

    if factor.code == "due" and n == 0:
        words = []
        for lang in ("vi", "en"):
            with translation.override(lang):
                words.append(str(_("follow-up due today")))
        return words[0], words[1]
    vi, en = factor.label_vi.replace("{n}", str(n)), factor.label_en.replace("{n}", str(n))
    if n == 1:
        en = _ONE_PERSON.sub(r"\1person", _ONE_DAY.sub(r"\1day", en))
    return vi, en


_ONE_DAY = re.compile(r"\b(1 (?:[a-z-]+ )?)days\b")
_ONE_PERSON = re.compile(r"\b(1 (?:[a-z-]+ )?)people\b")


def _has_status(h) -> bool:
    try:
        h.status
    except HouseholdStatus.DoesNotExist:
        return False
    return True


# --- assignments ------------------------------------------------------------------------------------------

def current_assignments(households_qs):
    return Assignment.objects.filter(household__in=households_qs, ended_on__isnull=True)


def assign(user, households, member: Member, today: datetime.date | None = None) -> int:
    """Make ``member`` responsible for ``households`` (ending earlier assignments). Returns how many changed."""
    today = today or timezone.localdate()
    permissions.require(user, "change", member)  # its list of households
    households = list(households)
    for h in households:
        permissions.require(user, "create", Assignment(household=h, member=member))
    changed = 0
    with transaction.atomic(), audit.acting_as(user):
        current = {a.household_id: a for a in Assignment.objects.select_for_update()
                   .filter(household__in=households, ended_on__isnull=True)}
        for h in households:
            a = current.get(h.pk)
            if a is not None and a.member_id == member.pk:
                continue
            if a is not None:
                a.ended_on = today
                a.save(update_fields=["ended_on"])
            Assignment.objects.create(household=h, member=member, started_on=today, assigned_by=user)
            changed += 1
    return changed


def assign_preview(households, member: Member) -> list[tuple]:
    """What ``assign`` would do, without doing it: each household with its responsible member now (or None),
    and whether it changes hands — shown to the leader before they confirm."""
    households = list(households)
    current = {a.household_id: a.member for a in Assignment.objects.filter(household__in=households,
                                                                          ended_on__isnull=True)
               .select_related("member")}
    return [(h, current.get(h.pk), current.get(h.pk) is None or current[h.pk].pk != member.pk) for h in households]


def leave_preview(membership: Membership) -> dict:
    """What a member leaving (``teams.services.leave`` → ``hand_over``) would do: the member's households and who would take each (the same split)."""
    households = list(Household.objects.filter(assignments__member=membership.member,
                                               assignments__ended_on__isnull=True).select_related("village")
                      .prefetch_related("residents").order_by("village__path", *street_order()))
    rest = [m for m in team_members(membership.team) if m.pk != membership.member_id]
    plan = suggest_split(households, rest, member_loads(rest))
    by_id = {m.pk: m for m in rest}
    return {"households": households, "rest": rest,
            "plan": [(by_id[mid], hs) for mid, hs in plan.items() if hs]}


def suggest_split(households, members: list[Member], load: dict[int, int] | None = None) -> dict[int, list]:
    """A balanced split of ``households`` over ``members``, keeping each alley (ngõ) with one member.

    Largest alleys first, each to the member with the fewest households so far (counting ``load``,
    what they already have): the classic longest-processing-time rule, within one alley of the optimum.
    """
    if not members:
        return {}
    groups: dict[tuple, list] = defaultdict(list)
    for h in households:
        groups[(h.village_id, h.alley or f"#{h.code}")].append(h)
    # single households without an alley go last, to even out the totals
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0].code))
    totals = {m.pk: (load or {}).get(m.pk, 0) for m in members}
    plan: dict[int, list] = {m.pk: [] for m in members}
    for g in ordered:
        target = min(members, key=lambda m: (totals[m.pk], m.full_name)).pk
        plan[target].extend(g)
        totals[target] += len(g)
    return plan


def member_loads(members) -> dict[int, int]:
    """How many households each member has in their care (their open assignments): the team page's count."""
    return dict(Assignment.objects.filter(member__in=members, ended_on__isnull=True).values("member")
                .annotate(n=Count("id")).values_list("member", "n"))


def in_care_of(member: Member):
    """The households ``member_loads`` counts for the member: the list its count links to."""
    return Household.objects.filter(assignments__member=member, assignments__ended_on__isnull=True)


def apply_split(user, plan: dict[int, list], today=None) -> int:
    members = {m.pk: m for m in Member.objects.filter(pk__in=plan)}
    return sum(assign(user, hs, members[mid], today) for mid, hs in plan.items() if hs)


def unassigned(households_qs):
    return households_qs.exclude(pk__in=Assignment.objects.filter(ended_on__isnull=True).values("household_id"))


def hand_over(user, membership: Membership, today) -> int:
    """A member has left (``teams.services.leave``, through ``changes.MEMBER_LEFT``): their open assignments
    end today and their households are shared among the rest of the team (``suggest_split``)."""
    households = list(Household.objects.filter(assignments__member=membership.member,
                                               assignments__ended_on__isnull=True))
    Assignment.objects.filter(member=membership.member, ended_on__isnull=True).update(ended_on=today,
                                                                                      changed_at=timezone.now())
    rest = [m for m in team_members(membership.team) if m.pk != membership.member_id]
    plan = suggest_split(households, rest, member_loads(rest))
    return apply_split(user, plan, today)


# --- the member's day -------------------------------------------------------------------------------------

@dataclass
class DayPlan:
    stops: list[Priority]
    distance_m: float | None
    without_gps: int
    done: set = field(default_factory=set)  # ids of the households on the list visited today


def _visited_today(ranked: list[Priority], today) -> tuple[dict[int, int], list[Priority]]:
    """The households of ``ranked`` visited today, as they stood before that visit: {id: days the follow-up was
    past due} for those whose follow-up was due (the last earlier visit's next date was today or before), and the
    others in the order they were visited today."""
    done = [p for p in ranked if _has_status(p.household) and p.household.status.last_visit_on == today]
    if not done:
        return {}, []
    ids = [p.household.pk for p in done]
    was_due: dict[int, int] = {}
    seen = set()
    for hid, nxt in (Visit.objects.filter(household_id__in=ids, visited_on__lt=today, corrections__isnull=True)
                     .order_by("household_id", "-visited_on", "-id").values_list("household_id", "next_visit_on")):
        if hid not in seen:
            seen.add(hid)
            if nxt is not None and nxt <= today:
                was_due[hid] = (today - nxt).days
    first = {}
    for hid in Visit.objects.filter(household_id__in=ids, visited_on=today).order_by("id").values_list(
            "household_id", flat=True):
        first.setdefault(hid, len(first))
    others = sorted([p for p in done if p.household.pk not in was_due], key=lambda p: first.get(p.household.pk, 0))
    return was_due, others


def todays_list(member: Member, today: datetime.date | None = None, size: int = DAY_LIST_SIZE) -> DayPlan:
    """The households to visit today: due follow-ups first, then by need; then ordered as a walk.

    The households visited today stay on the list in their place (``done``), each where it was before its visit
    (with the due follow-ups or with the others), and the list is filled up to ``size`` with the rest: so the
    list and its order are the ones the member started the day with, not a new walk after every visit."""
    from .route import order_route

    today = today or timezone.localdate()
    mine = Household.objects.filter(assignments__member=member, assignments__ended_on__isnull=True)
    ranked = priorities(mine, today)
    was_due, done_rest = _visited_today(ranked, today)
    done = set(was_due) | {p.household.pk for p in done_rest}
    # the due follow-ups in the morning's order (most overdue first: the walk starts at the first), those
    # visited today among them with the days they were overdue before the visit
    overdue = {p.household.pk: p.due_days for p in ranked if p.due_days is not None and p.household.pk not in done}
    due = sorted([p for p in ranked if p.household.pk in overdue], key=lambda p: (-p.due_days, -p.score))
    rest = [p for p in ranked if p.due_days is None and p.household.pk not in done]
    room = max(0, size - len(done))
    chosen_due = sorted([p for p in ranked if p.household.pk in was_due] + due[:room],
                        key=lambda p: (-(was_due.get(p.household.pk, p.due_days) or 0), -p.score))
    chosen_rest = done_rest + rest[: max(0, room - len(due[:room]))]
    stops, total, start = [], 0.0, None
    missing = 0
    for part in (chosen_due, chosen_rest):
        with_gps = [p for p in part if p.household.latitude is not None and p.household.longitude is not None]
        without = [p for p in part if p not in with_gps]
        order, dist = order_route([(p.household.latitude, p.household.longitude) for p in with_gps], start)
        stops += [with_gps[i] for i in order] + without
        total += dist
        missing += len(without)
        if order:
            last = with_gps[order[-1]].household
            start = (last.latitude, last.longitude)
    return DayPlan(stops, total if len(stops) - missing > 1 else None, missing, done)


@dataclass
class DayStop:
    household: Household
    due: bool
    why_vi: str
    why_en: str
    done: bool = False  # visited today: it keeps its place on the list, marked


def day_stops(user, member: Member, today: datetime.date | None = None) -> tuple[DayPlan, list[DayStop]]:
    """The member's day as both the web's today page and the field app show it: ``todays_list``'s households
    in its order, each with the words that say why (the priority reasons, shown only when the user may see
    the categories they reveal, as ``people.privacy`` decides). The field app receives this in its pull."""
    plan = todays_list(member, today)
    out = []
    for p in plan.stops:
        reasons = {"poverty", "ethnicity", "disability"} <= privacy.visible_fields(user, p.household, responsible=True)
        out.append(DayStop(p.household, p.due_days is not None, p.text_vi if reasons else "",
                           p.text_en if reasons else "", p.household.pk in plan.done))
    return plan, out


def day_payload(user, member: Member | None, today: datetime.date | None = None) -> dict | None:
    """``day_stops`` as the field app keeps it (codes, not objects), with the level words of the web's form."""
    from django.utils import translation

    if member is None:
        return None
    today = today or timezone.localdate()
    _, stops = day_stops(user, member, today)
    with translation.override("vi"):
        levels = [[str(v), str(label)] for v, label in Level.choices]
    with translation.override("en"):
        levels_en = [str(label) for _, label in Level.choices]
    return {"date": today.isoformat(), "levels": [[v, vi, en] for (v, vi), en in zip(levels, levels_en)],
            "stops": [{"code": s.household.code, "due": s.due, "why_vi": s.why_vi, "why_en": s.why_en,
                       "done": s.done} for s in stops]}


# --- visits ------------------------------------------------------------------------------------------------

@dataclass
class SkillResult:
    resident: int | str        # Resident pk or uuid
    skill: int | str           # Skill pk or code
    level: int


def _check_dates(visited_on, next_visit_on, today):
    if not isinstance(visited_on, datetime.date):
        raise VisitError(_("Invalid visit date"), field="visited_on")
    if visited_on > today + CLOCK_TOLERANCE:
        raise VisitError(_("Visit date %(visited_on)s is in the future — check the phone's date"),
                         field="visited_on", visited_on=f"{visited_on:%d/%m/%Y}")
    if visited_on < EARLIEST_VISIT:
        raise VisitError(_("Visit date %(visited_on)s is too far in the past"), field="visited_on",
                         visited_on=f"{visited_on:%d/%m/%Y}")
    if next_visit_on is not None:
        if next_visit_on <= visited_on:
            raise VisitError(_("The next visit must be after the visit"), field="next_visit_on")
        if next_visit_on > visited_on + datetime.timedelta(days=366):
            raise VisitError(_("The next visit is more than a year away"), field="next_visit_on")


def check_not_empty(present, rows) -> None:
    """A visit where nobody was present and nothing was recorded is not a visit: refused, not stored or counted
    (the one rule for the form, the field app's sync and the API)."""
    if not present and not rows:
        raise VisitError(_("Empty visit: nobody is marked present and no skill result is recorded, so it is not "
                           "saved. Tick who was present or record at least one skill."), field="present")


@dataclass
class VisitIn:
    """One visit as sent by a form or a phone. References are pks or UUIDs (residents), pks or codes (skills)."""

    household: Household | str        # a Household, or its code
    visited_on: datetime.date
    present: list = field(default_factory=list)
    results: list[SkillResult] = field(default_factory=list)
    note: str = ""
    next_visit_on: datetime.date | None = None
    uuid: uuidlib.UUID | None = None
    client_recorded_at: datetime.datetime | None = None


@dataclass
class Outcome:
    uuid: str
    status: str                        # "created", "duplicate" or "rejected"
    visit_id: int | None = None
    error: VisitError | None = None
    _visit: Visit | None = None

    @property
    def visit(self) -> Visit | None:
        """The stored visit (loaded on first use: a sync batch only needs the status)."""
        if self._visit is None and self.visit_id is not None:
            self._visit = Visit.objects.get(pk=self.visit_id)
        return self._visit

    def as_dict(self) -> dict:
        d = {"uuid": self.uuid, "status": self.status}
        if self.error is not None:
            d |= {"field": self.error.field, "error": self.error.vi, "error_en": self.error.en}
        return d


def record_visit(user, household: Household, *, visited_on: datetime.date, present=(), results=(), note: str = "",
                 next_visit_on: datetime.date | None = None, uuid=None, client_recorded_at=None,
                 source: str = Visit.Source.WEB, today: datetime.date | None = None) -> tuple[Visit, bool]:
    """Record one visit and its skill results. Idempotent on ``uuid``: returns (visit, created)."""
    permissions.require(user, "create", Visit(household=household))
    [out] = record_visits(user, [VisitIn(household, visited_on, list(present), list(results), note, next_visit_on,
                                         uuid, client_recorded_at)], source=source, today=today)
    if out.status == "rejected":
        raise out.error
    return out.visit, out.status == "created"


@dataclass
class _HouseholdRef:
    """What checking and writing a visit needs of its household (plain values: a batch may touch hundreds)."""

    pk: int
    code: str
    village_id: int
    residents: dict = field(default_factory=dict)   # pk -> (pk, uuid text, full name)
    by_uuid: dict = field(default_factory=dict)     # uuid text -> same


def _households_in_scope(user, codes) -> dict[str, _HouseholdRef]:
    out = {code: _HouseholdRef(pk, code, vid) for pk, code, vid in
           scoped(Household.objects.filter(code__in=codes), user).values_list("id", "code", "village_id")}
    by_pk = {h.pk: h for h in out.values()}
    if by_pk:
        for rid, ruuid, hid, name in Resident.objects.filter(household_id__in=list(by_pk)) \
                .values_list("id", "uuid", "household_id", "full_name"):
            h = by_pk[hid]
            h.residents[rid] = h.by_uuid[str(ruuid)] = (rid, str(ruuid), name)
    return out


def record_visits(user, items: list[VisitIn], *, source: str = Visit.Source.WEB, today: datetime.date | None = None
                  ) -> list[Outcome]:
    """Record many visits at once (a sync batch, or one form). Each is checked on its own: a bad one is
    rejected with its reason, the good ones are written together in one transaction — all or none of
    them, so an interrupted request leaves nothing half-written and is simply sent again. A UUID already
    stored (by an earlier request, earlier in this batch, or by a request running at the same time) is
    reported as a duplicate and not stored twice.

    Set-based: a batch of N visits costs a fixed number of queries whatever N, and the derived data
    (current levels, household status, place counters) is updated from what the batch adds, in the same
    transaction."""
    today = today or timezone.localdate()
    permissions.require(user, "create", Visit)  # each household is then looked up within the user's area
    uuids = [it.uuid for it in items if it.uuid is not None]
    stored = {u: (hid, pk) for u, hid, pk in Visit.objects.filter(uuid__in=uuids)
              .values_list("uuid", "household_id", "id")} if uuids else {}
    codes = {it.household if isinstance(it.household, str) else it.household.code for it in items}
    households = _households_in_scope(user, codes)
    skills = {pk: (pk, code, name_vi, name_en) for pk, code, name_vi, name_en in
              Skill.objects.filter(catalogue__is_current=True).values_list("id", "code", "name_vi", "name_en")}
    by_code = {s[1]: s for s in skills.values()}
    member = member_for(user)
    outcomes: list[Outcome] = []
    todo: list[tuple[Outcome, _HouseholdRef, VisitIn, set, list]] = []
    seen: set = set()
    for it in items:
        vid = it.uuid or uuidlib.uuid4()
        out = Outcome(str(vid), "created")
        outcomes.append(out)
        code = it.household if isinstance(it.household, str) else it.household.code
        try:
            hh = households.get(code)
            if vid in stored or vid in seen:
                if vid in stored and (hh is None or stored[vid][0] != hh.pk):
                    raise VisitError(_("This visit id belongs to another household"), field="uuid")
                out.status, out.visit_id = "duplicate", stored[vid][1] if vid in stored else None
                continue
            if hh is None:
                raise VisitError(_("No household '%(code_)s' in your area"), field="household", code_=code)
            _check_dates(it.visited_on, it.next_visit_on, today)
            present, rows = _resolve(hh, it, skills, by_code)
            check_not_empty(present, rows)
        except VisitError as exc:
            out.status, out.error = "rejected", exc
            continue
        seen.add(vid)
        it.uuid = vid
        todo.append((out, hh, it, present, rows))
    if not todo:
        return outcomes
    hids = sorted({hh.pk for _, hh, _, _, _ in todo})
    with transaction.atomic(), audit.acting_as(user), changes.households(hids, visits=False):
        received = timezone.now()
        # receive times in batch order, so "the latest visit" of a household is well defined within a batch
        stamps = [received + datetime.timedelta(microseconds=i) for i in range(len(todo))]
        ids = _insert_visits([
            (it.uuid, hh.pk, member.pk if member else None, user.pk, it.visited_on, at, it.client_recorded_at,
             (it.note or "").strip()[:2000], it.next_visit_on, source)
            for (_, hh, it, _, _), at in zip(todo, stamps)])
        present_rows, records, added = [], [], []
        for (out, hh, it, present, rows), at in zip(todo, stamps):
            pk = ids.get(it.uuid)
            if pk is None:
                # stored by a request that committed after our check: the same visit, sent twice
                out.status = "duplicate"
                out.visit_id = Visit.objects.filter(uuid=it.uuid).values_list("id", flat=True).first()
                continue
            out.visit_id = pk
            added.append((hh.pk, hh.village_id, it.visited_on, it.next_visit_on, at))
            present_rows += [(pk, rid) for rid in present | {r[0] for r, _, _ in rows}]
            for (rid, ruuid, _name), (sid, scode, _vi, _en), lvl in rows:
                records.append((uuidlib.uuid5(SKILL_NS, f"{it.uuid}:{ruuid}:{scode}"), rid, sid, lvl, pk,
                                it.visited_on))
        _insert_fast(present_rows, records, member.pk if member else None, user.pk, received)
        advance_levels(records)
        hh_status.visits_added(added)
        changes.send(changes.VISITS_ADDED, rows=added)
    return outcomes


VISIT_COLUMNS = ("uuid", "household_id", "member_id", "recorded_by_id", "visited_on", "recorded_at",
                 "client_recorded_at", "note", "next_visit_on", "source")


def _insert_visits(rows: list[tuple]) -> dict:
    """Insert visit rows (``VISIT_COLUMNS``) skipping UUIDs already stored; returns {uuid: id} of those
    inserted. One multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING`` per chunk (SQLite ≥ 3.35,
    PostgreSQL): the unique UUID is the idempotency check, even against a concurrent request. No conflict
    target: on PostgreSQL the visits are partitioned and the UUID is unique with the visit date (decision 0020),
    on SQLite alone; the only other unique key, the id, is new."""
    ops = connection.ops
    uuid_field = Visit._meta.get_field("uuid")
    qn = ops.quote_name
    size = max(1, ops.bulk_batch_size([Visit._meta.get_field("id")] * len(VISIT_COLUMNS), rows))
    out = {}
    with connection.cursor() as c:
        for i in range(0, len(rows), size):
            chunk = rows[i:i + size]
            params = []
            for u, hid, mid, uid, day, at, client_at, note, nxt, src in chunk:
                params += [uuid_field.get_db_prep_value(u, connection), hid, mid, uid, ops.adapt_datefield_value(day),
                           ops.adapt_datetimefield_value(at), ops.adapt_datetimefield_value(client_at), note,
                           ops.adapt_datefield_value(nxt), src]
            values = ", ".join(["(" + ", ".join(["%s"] * len(VISIT_COLUMNS)) + ")"] * len(chunk))
            c.execute(f"INSERT INTO {qn('visits_visit')} ({', '.join(qn(col) for col in VISIT_COLUMNS)}) "
                      f"VALUES {values} ON CONFLICT DO NOTHING RETURNING {qn('id')}, {qn('uuid')}",
                      params)
            for pk, u in c.fetchall():
                out[u if isinstance(u, uuidlib.UUID) else uuidlib.UUID(str(u))] = pk
    return out


def _insert_fast(present_rows, records, member_id, user_id, received) -> None:
    """The rows of a batch, inserted with executemany: Django's bulk_create costs more than the database here.
    ``records``: (uuid, resident id, skill id, level, visit id, observed on)."""
    ops = connection.ops
    now = ops.adapt_datetimefield_value(received)
    # what UUIDField.get_db_prep_value does, without its per-value overhead (thousands of rows a batch)
    prep_uuid = (lambda u: u) if connection.features.has_native_uuid_field else (lambda u: u.hex)
    days = {day: ops.adapt_datefield_value(day) for day in {r[5] for r in records}}
    with connection.cursor() as c:
        if present_rows:
            c.executemany("INSERT INTO visits_visit_present (visit_id, resident_id) VALUES (%s, %s)", present_rows)
        if records:
            c.executemany(
                "INSERT INTO visits_skillrecord (uuid, resident_id, skill_id, level, visit_id, member_id, recorded_by_id, "
                "observed_on, recorded_at, source) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(prep_uuid(u), rid, sid, lvl, vid, member_id, user_id, days[day], now, SkillRecord.Source.VISIT)
                 for u, rid, sid, lvl, vid, day in records])


def _resolve(hh: _HouseholdRef, it: VisitIn, skills, by_code):
    def resident_of(ref):
        r = hh.residents.get(ref) if isinstance(ref, int) else hh.by_uuid.get(str(ref))
        if r is None:
            raise VisitError(_("Resident '%(ref)s' is not in household %(code_)s"), field="resident", ref=ref,
                             code_=hh.code)
        return r

    present = {resident_of(p)[0] for p in it.present}
    rows, seen = [], set()
    for res in it.results:
        r = resident_of(res.resident)
        s = skills.get(res.skill) if isinstance(res.skill, int) else by_code.get(res.skill)
        if s is None:
            raise VisitError(_("Unknown skill '%(skill)s'"), field="skill", skill=res.skill)
        if res.level not in LEVELS:
            raise VisitError(_("Invalid level '%(level)s'"), field="level", level=res.level)
        if (r[0], s[0]) in seen:
            raise VisitError(_("Skill '%(skill)s' recorded twice for %(name)s"), field="skill", name=r[2],
                             skill=ByLanguage(vi=s[2], en=s[3]))
        seen.add((r[0], s[0]))
        rows.append((r, s, res.level))
    return present, rows


def _after_records(household_ids, pairs) -> None:
    """Bring visits' derived tables up to date after new visits or skill records for these households (inside
    ``changes.households(household_ids)``, which brings the figures of places)."""
    derive_levels(pairs)
    hh_status.household_status_refresh(household_ids)


def advance_levels(records) -> None:
    """Fresh records (nothing supersedes them yet), as (uuid, resident id, skill id, level, visit id, observed on):
    each one becomes the current level unless the current one was observed later. Reads only the current
    levels, not the whole history (``derive_levels``)."""
    if not records:
        return
    newest: dict[tuple, tuple] = {}
    for rec in records:
        key = (rec[1], rec[2])
        if key not in newest or rec[5] >= newest[key][5]:
            newest[key] = rec
    current = {(rid, sid): day for rid, sid, day in ResidentSkill.objects.filter(
        resident_id__in={k[0] for k in newest}, skill_id__in={k[1] for k in newest})
        .values_list("resident_id", "skill_id", "observed_on")}
    rows = [(rid, sid, r[3], connection.ops.adapt_datefield_value(r[5]))
            for (rid, sid), r in newest.items() if (rid, sid) not in current or r[5] >= current[(rid, sid)]]
    if rows:
        with connection.cursor() as c:
            c.executemany(
                "INSERT INTO visits_residentskill (resident_id, skill_id, level, observed_on) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (resident_id, skill_id) DO UPDATE SET level = excluded.level, "
                "observed_on = excluded.observed_on", rows)


def derive_levels(pairs) -> None:
    """Set each (resident, skill)'s current level from its latest record that nothing supersedes."""
    pairs = set(pairs)
    if not pairs:
        return
    residents = {r for r, _ in pairs}
    skills = {s for _, s in pairs}
    latest = rules.current_levels(
        row for row in SkillRecord.objects.filter(resident_id__in=residents, skill_id__in=skills,
                                                  superseded_by__isnull=True)
        .values_list("resident_id", "skill_id", "level", "observed_on", "recorded_at", "id").iterator(chunk_size=10000)
        if (row[0], row[1]) in pairs)
    gone = [p for p in pairs if p not in latest]
    if gone:
        cond = Q()
        for r, s in gone:
            cond |= Q(resident_id=r, skill_id=s)
        ResidentSkill.objects.filter(cond).delete()
    if latest:
        with connection.cursor() as c:
            c.executemany(
                "INSERT INTO visits_residentskill (resident_id, skill_id, level, observed_on) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (resident_id, skill_id) DO UPDATE SET level = excluded.level, "
                "observed_on = excluded.observed_on",
                [(r, s, lvl, connection.ops.adapt_datefield_value(day)) for (r, s), (lvl, day) in latest.items()])


def correct_skill(user, record: SkillRecord, level: int) -> SkillRecord:
    """A correction: a new record with the right level that supersedes ``record`` (kept, never edited)."""
    household = record.resident.household
    permissions.require(user, "change", record)
    if level not in Level.values:
        raise VisitError(_("Invalid level '%(level)s'"), field="level", level=level)
    if SkillRecord.objects.filter(supersedes=record).exists():
        raise VisitError(_("This record was already corrected; correct the latest one"), field="record")
    with transaction.atomic(), audit.acting_as(user), changes.households([household.pk]):
        new = SkillRecord.objects.create(resident=record.resident, skill=record.skill, level=level, visit=record.visit,
                                         member=member_for(user), recorded_by=user, observed_on=record.observed_on,
                                         supersedes=record, source=SkillRecord.Source.CORRECTION)
        _after_records([household.pk], [(record.resident_id, record.skill_id)])
    return new


def record_skill_event(resident: Resident, skill: Skill, level: int, *, source: str, user=None,
                       observed_on: datetime.date | None = None) -> SkillRecord:
    """One skill event outside a visit (a lesson's self-check): appended like a visit's, then the derived levels,
    the household's status and the place counters follow, as for a visit.

    Recorded by ``user``: ``SkillRecord.WRITE_ROLES["create"]`` in the user's area (``accounts.permissions``).
    Without a user only a self-check's event: the resident's own, through the personal code of a handout that
    ``lessons.services.self_check`` has checked."""
    if user is not None or source != SkillRecord.Source.SELF_CHECK:
        permissions.require(user, "create", SkillRecord(resident=resident, skill=skill, level=level))
    if level not in Level.values:
        raise VisitError(_("Invalid level '%(level)s'"), field="level", level=level)
    household = resident.household
    with transaction.atomic(), changes.households([household.pk]):
        rec = SkillRecord.objects.create(resident=resident, skill=skill, level=level,
                                         member=member_for(user) if user is not None else None, recorded_by=user,
                                         observed_on=observed_on or timezone.localdate(), source=source)
        _after_records([household.pk], [(resident.pk, skill.pk)])
    return rec


def correct_visit(user, visit: Visit, *, visited_on=None, note=None, next_visit_on=None, today=None) -> Visit:
    """Correct a visit's date, note or next date: a new visit record replaces it; its skill records move with it."""
    today = today or timezone.localdate()
    household = visit.household
    permissions.require(user, "change", visit)
    if visit.corrections.exists():
        raise VisitError(_("This visit was already corrected"), field="visit")
    day = visited_on or visit.visited_on
    nxt = visit.next_visit_on if next_visit_on is None else next_visit_on
    _check_dates(day, nxt, today)
    with transaction.atomic(), audit.acting_as(user):
        with changes.households([household.pk]):
            new = _correcting_visit(user, visit, household, day, note, nxt)
        if fixed_lastv_may_drop(visit, day):
            changes.send(changes.VILLAGES, village_ids=[household.village_id])
    return new


def _correcting_visit(user, visit: Visit, household, day, note, nxt) -> Visit:
    """The new visit record that replaces ``visit``; its skill records move with it."""
    new = Visit.objects.create(household=household, member=visit.member, recorded_by=user, visited_on=day,
                               note=visit.note if note is None else note, next_visit_on=nxt, corrects=visit,
                               source=visit.source)
    new.present.set(visit.present.all())
    pairs = []
    for rec in visit.skill_records.filter(superseded_by__isnull=True):
        SkillRecord.objects.create(resident=rec.resident, skill=rec.skill, level=rec.level, visit=new,
                                   member=rec.member, recorded_by=user, observed_on=day, supersedes=rec,
                                   source=SkillRecord.Source.CORRECTION)
        pairs.append((rec.resident_id, rec.skill_id))
    _after_records([household.pk], pairs)
    return new


def levels_by_resident(residents) -> dict[int, dict[int, int]]:
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, sid, lvl in ResidentSkill.objects.filter(resident__in=list(residents)) \
            .values_list("resident_id", "skill_id", "level"):
        out[rid][sid] = lvl
    return out


def fixed_lastv_may_drop(visit: Visit, new_day) -> bool:
    """A corrected date earlier than the original can lower the village's latest visit: recount it."""
    return new_day < visit.visited_on


# --- suggestions ------------------------------------------------------------------------------------------

def next_skills(resident: Resident, limit: int = 3) -> list[Skill]:
    """Skills to teach next (``skills.rules.offered``: level, prerequisites, age); catalogue order."""
    levels = dict(ResidentSkill.objects.filter(resident=resident).values_list("skill_id", "level"))
    skills = list(Skill.objects.filter(catalogue__is_current=True).prefetch_related("prerequisites")
                  .order_by("area__order", "order"))
    ready = offered(skills, levels, age_in(resident.birth_year, timezone.localdate().year))
    # one started with help comes first: finish what was begun
    ready.sort(key=lambda s: (-(levels.get(s.pk, 0)), 0))
    return ready[:limit]


# --- follow-ups and activity ----------------------------------------------------------------------------

FOLLOWUP_KINDS = ("overdue", "today", "due", "upcoming")


def _followup_rows(member_ids, today, kind: str):
    """Follow-up dates of the members' assigned households, by kind: ``overdue`` (before today), ``today``,
    ``due`` (today or before), ``upcoming`` (today to 7 days ahead). The one rule behind the member's
    day, the team page's counts and the lists those counts link to."""
    qs = HouseholdStatus.objects.filter(household__assignments__member_id__in=member_ids,
                                        household__assignments__ended_on__isnull=True, next_visit_on__isnull=False)
    if kind == "overdue":
        return qs.filter(next_visit_on__lt=today)
    if kind == "today":
        return qs.filter(next_visit_on=today)
    if kind == "due":
        return qs.filter(next_visit_on__lte=today)
    if kind == "upcoming":
        return qs.filter(next_visit_on__gte=today, next_visit_on__lte=today + datetime.timedelta(days=7))
    raise ValueError(kind)


def followups(member: Member, today=None, kind: str = "upcoming"):
    """The member's households with a follow-up date of this ``kind`` (see ``_followup_rows``), soonest first;
    "in the next 7 days" holds no date already past: those are ``overdue``."""
    today = today or timezone.localdate()
    return (_followup_rows([member.pk], today, kind).select_related("household__village")
            .prefetch_related("household__residents").order_by("next_visit_on", "household__code"))
