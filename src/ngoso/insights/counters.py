"""Indicators per place, kept fresh incrementally.

Every figure on a dashboard is a sum over villages. Each village's figures are computed from the raw
records (``village_counters``) and stored in ``PlaceCounter``; every ancestor — today's commune and
province, and the commune, district and province of before July 2025 — stores the sum of its villages.
When something changes in a village (a visit, an import, an erasure) ``refresh([village])`` recomputes
that village only (a few hundred households), and adds the difference to each ancestor: a new visit
reaches the province dashboard in milliseconds, and reading a dashboard reads a few hundred rows,
whatever the size of the area. ``rebuild()`` recomputes everything (the demo, a new year, repairs).

Keys (all sums over villages):

- ``nvill`` villages; ``vteam`` villages with an active village team;
- ``hh``, ``hh:<g>`` households (g: poor, minority, elderly = has such a member), those someone lives in
  (``people.targets.counted_households``: not once everyone moved away or died);
- ``res``, ``res:<g>`` residents (g: elderly, poor, minority, disability, women);
- ``sk:<skill id>:<level>[:<g>]`` residents at level 1 (with help) or 2 (alone) for a skill;
- ``b5hh[:<g>]`` households with at least one member doing all 5 basic skills alone (national target);
  ``b5res[:<g>]`` residents doing all 5 alone;
- ``v`` visits; ``vw:<Monday ISO date>`` visits per week;
- ``vrecent`` villages visited in the last 30 days (``RECENT_DAYS``; corrected daily by ``refresh_recent``);
- village only: ``lastv`` the ordinal day of the latest visit (not summed);
- the keys other apps count from their own records (``contribute``): poverty's ``pv:…`` and ``ac:…``
  (``ngoso.poverty.figures``).

Without contention: a write never updates a counter row. It appends its deltas (``CounterDelta``: one row per
changed counter of the village and of each ancestor) in its own transaction, holding only its villages' row
locks; ``roll_up()`` (the worker, a few seconds after a write and every minute) folds them into
``PlaceCounter`` in (place, key) order, deleting them in the same transaction, one roll-up at a time. Every
read (``read``, ``counters``, ``counters_for``) adds the pending deltas to the counters in the same
statement, so a visit shows on every level at once. See ``docs/decisions/0017-counter-deltas.md``.

Ages depend on the year, so the counters remember theirs (``CounterState``). Reading never writes: the
switch to a new year is the explicit ``prepare_year(year)`` (``switch_year()`` for today's), run by the
schedule or ``ngoso`` around midnight on 1 January; until it has run, a dashboard shows the counters as they
are (last year's ages), and a write first rebuilds them. Counters that were never built are computed from
the records for the places asked, without storing anything.

The writers do not call this module: they announce what changed through ``ngoso.core.changes``, and
``listen()`` (from ``InsightsConfig.ready``) connects the counters to it.
"""

from __future__ import annotations

import datetime
import time
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.core import changes
from ngoso.core.messages import Message, both
from ngoso.people.models import Household, Resident
from ngoso.people.targets import counted_households, household_groups, resident_groups
from ngoso.places.models import Level, Place
from ngoso.skills.rules import basic5_skill_ids, residents_with_basic_five
from ngoso.teams.models import Team
from ngoso.visits.models import ResidentSkill, Visit

from .models import CounterDelta, CounterState, PlaceCounter

RES_GROUPS = ("elderly", "poor", "minority", "disability", "women")
HH_GROUPS = ("poor", "minority", "elderly")
_HH_GROUP_SET = frozenset(HH_GROUPS)
VILLAGE_ONLY = ("lastv",)
RECENT_DAYS = 30  # a village visited within these days is counted in ``vrecent``
SEQUENCE_CHUNK = 200  # villages per batch when rebuilding


# Counters other apps add from their own records (insights reads no app above it): registered from their
# ``AppConfig.ready()`` with ``contribute``. Both are kept by the same refreshes, deltas and rebuilds as ours.
_household_sources: list = []
_village_sources: list = []


def contribute(*, households=None, villages=None) -> None:
    """Register counters another app counts from its own records, per village:

    - ``households(household_filter, visits) -> {village id: Counter}``: what the households matching
      ``household_filter`` (a ``Household`` filter: ``{"village_id__in": …}`` or ``{"id__in": …}``) add to their
      villages. Run on every recount of a village (``visits=True``) and before and after every write to some
      households (``core.changes.households``), so it must depend only on those households' records and their
      villages'. ``visits=False``: the write only adds visits; the source may then count only the keys a visit
      can move (before and after are counted alike, so the others stay as they are);
    - ``villages(village ids) -> {village id: Counter}``: facts of the villages themselves (0 or 1 flags).

    The app announces its own writes (``core.changes.PEOPLE``, ``VILLAGES``) so that the counters follow."""
    if households is not None and households not in _household_sources:
        _household_sources.append(households)
    if villages is not None and villages not in _village_sources:
        _village_sources.append(villages)


def week_start(d: datetime.date) -> datetime.date:
    return d - datetime.timedelta(days=d.weekday())


def village_counters(village_ids: Iterable[int], year: int | None = None) -> dict[int, Counter]:
    """The figures of each village, computed from the raw records."""
    ids = list(village_ids)
    out: dict[int, Counter] = {v: Counter(nvill=1) for v in ids}
    if not ids:
        return out
    for v in Team.objects.filter(place_id__in=ids, level="village", active=True).values_list("place_id", flat=True):
        out[v]["vteam"] = 1
    for vid, c in _counters({"village_id__in": ids}, year).items():
        out[vid].update(c)
    for source in _village_sources:
        for vid, c in source(ids).items():
            out[vid].update(c)
    cutoff = _cutoff()
    for c in out.values():
        if c["lastv"] >= cutoff:
            c["vrecent"] = 1
    return out


def household_counters(household_ids: Iterable[int], year: int | None = None, visits: bool = True
                       ) -> dict[int, Counter]:
    """What these households add to their villages' figures (no ``nvill``/``vteam``), by village.
    ``visits=False`` leaves out the visit figures (``v``, ``vw:…``, ``lastv``), the only ones that grow
    with the households' history."""
    return _counters({"id__in": list(household_ids)}, year, visits)


def _counters(household_filter: dict, year: int | None, visits: bool = True) -> dict[int, Counter]:
    year = year or timezone.localdate().year
    out: dict[int, Counter] = defaultdict(Counter)
    hh_filter = {f"household__{k}": v for k, v in household_filter.items()}
    hh_village, hh_status = {}, {}
    # households nobody lives in any more (everyone moved away or died) are not counted (people.targets)
    for hid, vid, pov in counted_households(Household.objects.filter(**household_filter)).values_list(
            "id", "village_id", "poverty_status"):
        hh_village[hid], hh_status[hid] = vid, pov
        out[vid]["hh"] += 1
    res_groups: dict[int, tuple] = {}
    res_hh: dict[int, int] = {}
    members: dict[int, list] = defaultdict(list)
    for rid, hid, by, sex, minority, disab, rel in Resident.objects.filter(**hh_filter, status="").values_list(
            "id", "household_id", "birth_year", "sex", "ethnicity__is_minority", "disability", "relation"
    ).iterator(chunk_size=5000):
        groups = resident_groups(birth_year=by, poverty_status=hh_status[hid], is_minority=minority, disability=disab,
                                 sex=sex, year=year)
        res_groups[rid], res_hh[rid] = groups, hid
        members[hid].append((groups, rel, sex))
        c = out[hh_village[hid]]
        c["res"] += 1
        for g in groups:
            c[f"res:{g}"] += 1
    hh_flags: dict[int, set] = {}
    for hid, vid in hh_village.items():
        hh_flags[hid] = household_groups(members.get(hid, ()), hh_status[hid]) & _HH_GROUP_SET
        for g in hh_flags[hid]:
            out[vid][f"hh:{g}"] += 1
    basic5 = basic5_skill_ids()
    basic_rows: list[tuple] = []
    for rid, sid, level in ResidentSkill.objects.filter(**{f"resident__{k}": v for k, v in hh_filter.items()}, level__gte=1) \
            .values_list("resident_id", "skill_id", "level").iterator(chunk_size=10000):
        groups = res_groups.get(rid)
        if groups is None:
            continue
        c = out[hh_village[res_hh[rid]]]
        key = f"sk:{sid}:{level}"
        c[key] += 1
        for g in groups:
            c[f"{key}:{g}"] += 1
        if sid in basic5:
            basic_rows.append((rid, sid, level))
    b5_households = set()
    for rid in residents_with_basic_five(basic_rows, basic5):
        hid = res_hh[rid]
        c = out[hh_village[hid]]
        c["b5res"] += 1
        for g in res_groups[rid]:
            c[f"b5res:{g}"] += 1
        b5_households.add(hid)
    for hid in b5_households:
        c = out[hh_village[hid]]
        c["b5hh"] += 1
        for g in hh_flags[hid]:
            c[f"b5hh:{g}"] += 1
    for source in _household_sources:
        for vid, c in source(household_filter, visits).items():
            out[vid].update(c)
    if not visits:
        return out
    live = Visit.objects.filter(**hh_filter, corrections__isnull=True)
    for vid, day in live.values_list("household__village_id", "visited_on").iterator(chunk_size=10000):
        c = out[vid]
        c["v"] += 1
        c[f"vw:{week_start(day).isoformat()}"] += 1
        if day.toordinal() > c["lastv"]:
            c["lastv"] = day.toordinal()
    return out


def _ancestors_by_village(village_ids: Iterable[int]) -> dict[int, list[int]]:
    rows = list(Place.objects.filter(id__in=list(village_ids)).values_list("id", "path", "former_path"))
    codes = set()
    for _, path, former in rows:
        codes.update(path.rstrip("/").split("/")[:-1])
        if former:
            codes.update(former.rstrip("/").split("/")[:-1])
    ids = dict(Place.objects.filter(code__in=codes).values_list("code", "id"))
    out = {}
    for vid, path, former in rows:
        anc = [ids[c] for c in path.rstrip("/").split("/")[:-1] if c in ids]
        if former:
            anc += [ids[c] for c in former.rstrip("/").split("/")[:-1] if c in ids]
        out[vid] = anc
    return out


_UPSERT = {
    CounterDelta.ADD: ("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, %s, %s) ON CONFLICT "
                       "(place_id, key) DO UPDATE SET value = visits_placecounter.value + excluded.value"),
    CounterDelta.MAX: ("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, %s, %s) ON CONFLICT "
                       "(place_id, key) DO UPDATE SET value = CASE WHEN excluded.value > visits_placecounter.value "
                       "THEN excluded.value ELSE visits_placecounter.value END"),
    CounterDelta.SET: ("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, %s, %s) ON CONFLICT "
                       "(place_id, key) DO UPDATE SET value = excluded.value"),
}
ADD, MAX, SET = CounterDelta.ADD, CounterDelta.MAX, CounterDelta.SET
ROLL_UP_LOCK = 0x6E676F73  # the PostgreSQL advisory lock of the roll-up (and of a rebuild): "ngos"
ROLL_UP_BATCH = 20000  # deltas folded per transaction

# Baseline for bench/counters.py only: add straight into the counter rows inside the writer's transaction, in the
# order the write produced them (what every write did before the deltas). Never set in production.
DIRECT_FOR_BENCH = False


def _cutoff(today: datetime.date | None = None) -> int:
    """The ordinal day from which a visit is recent (``vrecent``): within the last ``RECENT_DAYS``."""
    return ((today or timezone.localdate()) - datetime.timedelta(days=RECENT_DAYS)).toordinal()


def _lock_villages(village_ids: Iterable[int]) -> None:
    """Take the row locks of these villages, in id order (PostgreSQL; SQLite serialises writers). Every writer of
    a village's counters holds them until it commits: the deltas of one village are then in commit order, and a
    recount of a village reads its records and its counters without another writer in between. Locks of
    different villages never meet, so syncs of one province do not queue behind each other."""
    ids = sorted(set(village_ids))
    if ids and connection.vendor == "postgresql":
        list(Place.objects.select_for_update(no_key=True).filter(id__in=ids).order_by("id")
             .values_list("id", flat=True))


def _append(rows: list[tuple]) -> None:
    """Append deltas ``(place id, key, value, op)`` in the caller's transaction. Contention-free: an insert
    locks no counter row. The roll-up folds them into the counters."""
    rows = [r for r in rows if r[2] or r[3] != ADD]
    if not rows:
        return
    with connection.cursor() as c:
        if DIRECT_FOR_BENCH:
            for place_id, key, value, op in rows:
                c.execute(_UPSERT[op], [place_id, key, value])
            return
        c.executemany("INSERT INTO insights_counterdelta (place_id, key, value, op) VALUES (%s, %s, %s, %s)", rows)
    from . import tasks  # the roll-up's nudge (tasks imports this module)

    transaction.on_commit(tasks.nudge)


def _add_rows(add: Counter) -> list[tuple]:
    items = add.items() if DIRECT_FOR_BENCH else sorted(add.items())  # the baseline keeps the write's own order
    return [(p, k, d, ADD) for (p, k), d in items if d]


def read(place_ids: Iterable[int], keys: Iterable[str] | None = None) -> dict[int, Counter]:
    """The counters of these places, with the deltas not folded yet, read in one statement (one snapshot: a
    delta the roll-up folds meanwhile is counted once, either pending or folded)."""
    ids = sorted(set(place_ids))
    out: dict[int, Counter] = defaultdict(Counter)
    if not ids:
        return out
    where = f"place_id IN ({', '.join(['%s'] * len(ids))})"
    params = list(ids)
    if keys is not None:
        keys = sorted(set(keys))
        if not keys:
            return out
        where += f" AND key IN ({', '.join(['%s'] * len(keys))})"
        params += keys
    sql = (f"SELECT 0, 0, place_id, key, value, 0 FROM visits_placecounter WHERE {where} "
           f"UNION ALL SELECT 1, id, place_id, key, value, op FROM insights_counterdelta WHERE {where} "
           "ORDER BY 1, 2")
    from ngoso.core.db import read_alias  # the replica inside reading_from_replica() (dashboards), else the primary

    with connections[read_alias()].cursor() as c:
        c.execute(sql, params + params)
        for src, _id, pid, key, value, op in c.fetchall():
            cur = out[pid]
            if src == 0 or op == SET:
                cur[key] = value
            elif op == ADD:
                cur[key] += value
            elif value > cur[key]:
                cur[key] = value
    for c in out.values():
        for k in [k for k, v in c.items() if not v]:
            del c[k]
    return out


def refresh(village_ids: Iterable[int]) -> None:
    """Recount these villages from their records and append the differences (village and every ancestor).
    Call inside the writer's transaction: the figures change together with the records they count, or not at
    all."""
    ids = sorted(set(village_ids))
    if not ids:
        return
    _check_year()
    with transaction.atomic():
        _lock_villages(ids)
        new = village_counters(ids)
        old = read(ids)
        ancestors = _ancestors_by_village(ids)
        add: Counter = Counter()
        rows = []
        for vid in ids:
            n, o = new[vid], old[vid]
            for key in set(n) | set(o):
                d = n.get(key, 0) - o.get(key, 0)
                if not d:
                    continue
                if key in VILLAGE_ONLY:
                    rows.append((vid, key, n.get(key, 0), SET))
                    continue
                for p in (vid, *ancestors.get(vid, ())):
                    add[(p, key)] += d
        _append(_add_rows(add) + rows)


def snapshot(household_ids: Iterable[int], visits: bool = True) -> dict[int, Counter]:
    """Take before a write to these households; pass to ``add_household_delta`` after it (with the same
    ``visits``: False when the write only adds visits, counted by ``visits_added``). Locks their villages."""
    _check_year()
    ids = list(household_ids)
    if not DIRECT_FOR_BENCH:  # the baseline locked no village here
        _lock_villages(Household.objects.filter(id__in=ids).values_list("village_id", flat=True))
    return household_counters(ids, visits=visits)


def add_household_delta(before: dict[int, Counter], household_ids: Iterable[int], visits: bool = True) -> None:
    """After a write touching only these households: append (after - before) for their villages and ancestors.

    ``before`` is ``snapshot(ids, visits)`` taken before the write, in the same transaction. Much cheaper
    than ``refresh`` when a batch touches a few households of many villages (sync). ``lastv`` only grows.
    """
    after = household_counters(household_ids, visits=visits)
    villages = set(before) | set(after)
    if not villages:
        return
    ancestors = _ancestors_by_village(villages)
    add: Counter = Counter()
    lastv = {}
    for vid in villages:
        b, a = before.get(vid, Counter()), after.get(vid, Counter())
        for key in set(a) | set(b):
            if key in VILLAGE_ONLY:
                continue
            d = a.get(key, 0) - b.get(key, 0)
            if d:
                for p in (vid, *ancestors.get(vid, ())):
                    add[(p, key)] += d
        if a.get("lastv", 0) > b.get("lastv", 0):
            lastv[vid] = a["lastv"]
    _visited(lastv, ancestors, add)


def _visited(lastv: dict[int, int], ancestors: dict[int, list[int]], add: Counter) -> None:
    """Append ``add``, raise the villages' ``lastv`` and count the villages that have just become recently
    visited (``vrecent``), as deltas. The villages are locked by the caller."""
    cutoff = _cutoff()
    fresh = [vid for vid, day in lastv.items() if day >= cutoff]
    if fresh:
        state = read(fresh, ["vrecent"])
        for vid in fresh:
            if not state[vid]["vrecent"]:
                for p in (vid, *ancestors.get(vid, ())):
                    add[(p, "vrecent")] += 1
    _append(_add_rows(add) + [(vid, "lastv", day, MAX) for vid, day in sorted(lastv.items())])


def visits_added(rows: list[tuple]) -> None:
    """New visits were inserted (none of them a correction): ``rows`` are (household id, village id,
    visited on, next visit on, received at). Appends the visit figures (``v``, ``vw:…``, ``lastv``,
    ``vrecent``) of the villages and their ancestors from the new rows alone, without reading the households'
    earlier visits. Called in the writer's transaction (``changes.VISITS_ADDED``)."""
    if not rows:
        return
    per_village: dict[int, Counter] = defaultdict(Counter)
    lastv: dict[int, int] = {}
    for _hid, vid, day, _nxt, _at in rows:
        c = per_village[vid]
        c["v"] += 1
        c[f"vw:{week_start(day).isoformat()}"] += 1
        lastv[vid] = max(lastv.get(vid, 0), day.toordinal())
    if not DIRECT_FOR_BENCH:  # the baseline locked no village here
        _lock_villages(per_village)  # held already when the writer wrapped its write in changes.households
    ancestors = _ancestors_by_village(per_village)
    add: Counter = Counter()
    for vid, c in per_village.items():
        for key, d in c.items():
            for p in (vid, *ancestors.get(vid, ())):
                add[(p, key)] += d
    _visited(lastv, ancestors, add)


def refresh_recent(today: datetime.date | None = None, chunk: int = 500) -> int:
    """Villages whose latest visit fell out of the last ``RECENT_DAYS`` days (or came into it) have their
    ``vrecent`` corrected, with their ancestors' (the schedule, daily). Returns the number of villages changed."""
    if built_for() is None:
        return 0
    cutoff = _cutoff(today)
    villages = list(Place.objects.filter(level=Level.VILLAGE).values_list("id", flat=True))
    changed = 0
    for i in range(0, len(villages), chunk):
        ids = villages[i:i + chunk]
        state = read(ids, ["vrecent", "lastv"])
        todo = [v for v in ids if bool(state[v]["vrecent"]) != (state[v]["lastv"] >= cutoff)]
        if not todo:
            continue
        with transaction.atomic():
            _lock_villages(todo)
            state = read(todo, ["vrecent", "lastv"])  # again, under the villages' locks
            ancestors = _ancestors_by_village(todo)
            add: Counter = Counter()
            for vid in todo:
                d = int(state[vid]["lastv"] >= cutoff) - state[vid]["vrecent"]
                if d:
                    changed += 1
                    for p in (vid, *ancestors.get(vid, ())):
                        add[(p, "vrecent")] += d
            _append(_add_rows(add))
    return changed


def _fold(rows: list[tuple]) -> dict[tuple, tuple[int, int]]:
    """Deltas ``(id, place id, key, value, op)`` in id order -> one (op, value) per counter."""
    out: dict[tuple, tuple[int, int]] = {}
    for _id, pid, key, value, op in rows:
        k = (pid, key)
        prev = out.get(k)
        if prev is None or op == SET:
            out[k] = (op, value)
        elif op == ADD:
            out[k] = (prev[0], prev[1] + value)  # ADD on ADD (a counter is only ever added to, or maxed/set)
        else:  # MAX after MAX or SET
            out[k] = (prev[0], max(prev[1], value))
    return out


def roll_up(batch: int = ROLL_UP_BATCH, wait: bool = False) -> int | None:
    """Fold the pending deltas into the counters, in batches, each in one transaction that deletes the deltas it
    adds (exactly once: a failure rolls both back). One roll-up at a time (an advisory lock on PostgreSQL,
    the write lock on SQLite); a second one at the same time returns None at once (``wait=False``) or waits.
    Counter rows are written in (place, key) order. Returns the number of deltas folded."""
    total = 0
    while True:
        n = _roll_up_batch(batch, wait)
        if n is None:
            return None if not total else total
        total += n
        if n < batch:
            return total


def _roll_up_batch(batch: int, wait: bool) -> int | None:
    with transaction.atomic(), connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute(f"SELECT {'pg_advisory_xact_lock' if wait else 'pg_try_advisory_xact_lock'}(%s)",
                      [ROLL_UP_LOCK])
            if not wait and not c.fetchone()[0]:
                return None
        c.execute("DELETE FROM insights_counterdelta WHERE id IN (SELECT id FROM insights_counterdelta "
                  "ORDER BY id LIMIT %s) RETURNING id, place_id, key, value, op", [batch])
        rows = sorted(c.fetchall())
        folded = _fold(rows)
        for op in (ADD, MAX, SET):
            todo = [(p, k, v) for (p, k), (o, v) in sorted(folded.items()) if o == op]
            if todo:
                c.executemany(_UPSERT[op], todo)
        places = sorted({p for p, _ in folded})
        for j in range(0, len(places), 500):
            part = places[j:j + 500]
            c.execute(f"DELETE FROM visits_placecounter WHERE value = 0 AND place_id IN "
                      f"({', '.join(['%s'] * len(part))})", part)
        return len(rows)


class _Busy(Exception):
    """A roll-up holds the lock: the rebuild's transaction is rolled back and tried again."""


def _hold_roll_ups(wait: bool) -> bool:
    """Keep roll-ups out until this transaction ends (PostgreSQL: the roll-up's advisory lock at transaction
    level, safe behind PgBouncer in transaction mode; SQLite: the transaction holds the write lock)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as c:
        c.execute(f"SELECT {'pg_advisory_xact_lock' if wait else 'pg_try_advisory_xact_lock'}(%s)",
                  [ROLL_UP_LOCK])
        return bool(c.fetchone()[0]) if not wait else True


def _serialization_failure(exc: Exception) -> bool:
    """A concurrent roll-up changed rows after this snapshot: 40001 (its updates or deletes), 40P01 (deadlock)
    or 23505 (a counter row it inserted, invisible to the snapshot, met again)."""
    return getattr(exc.__cause__, "sqlstate", None) in ("40001", "40P01", "23505")


def rebuild(progress=lambda m: None, year: int | None = None) -> int:
    """Recompute every counter from the raw records, with ages for ``year`` (this year by default).
    Returns the number of rows written.

    With the deltas: no roll-up runs meanwhile; the pending deltas whose writes the recount saw are deleted
    with the old counters, those of writes it did not see stay pending and are folded on top. On PostgreSQL
    the recount reads one snapshot (REPEATABLE READ, when not inside a caller's transaction) and deletes only
    the deltas visible in it; on SQLite its transaction holds the write lock (``transaction_mode``
    IMMEDIATE), so no write comes in between."""
    year = year or timezone.localdate().year
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with transaction.atomic():  # a caller's transaction (READ COMMITTED) or SQLite's write lock
            _hold_roll_ups(wait=True)
            return _recount(progress, year)
    # PostgreSQL: one REPEATABLE READ snapshot. Its first statement takes the snapshot, so the lock cannot be
    # waited for inside it (the wait would keep a snapshot from before the roll-up it waited for): try the lock,
    # and if a roll-up holds it, or committed between the snapshot and the lock (PostgreSQL then refuses this
    # transaction's delete of the rows it changed: a serialization failure), roll back and start again.
    for attempt in range(600):
        try:
            with transaction.atomic():
                with connection.cursor() as c:
                    c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if not _hold_roll_ups(wait=False):
                    raise _Busy
                return _recount(progress, year)
        except _Busy:
            pass
        except (OperationalError, IntegrityError) as exc:
            if not _serialization_failure(exc):
                raise
        time.sleep(min(0.05 * (attempt + 1), 1.0))
    raise RuntimeError("counters rebuild: the roll-up kept the lock for 10 minutes")


def _recount(progress, year: int) -> int:
    villages = list(Place.objects.filter(level=Level.VILLAGE).order_by("path").values_list("id", flat=True))
    total: Counter = Counter()
    village_rows = []
    ancestors = _ancestors_by_village(villages)
    for i in range(0, len(villages), SEQUENCE_CHUNK):
        chunk = villages[i:i + SEQUENCE_CHUNK]
        for vid, counts in village_counters(chunk, year).items():
            for key, value in counts.items():
                if not value:
                    continue
                village_rows.append((vid, key, value))
                if key in VILLAGE_ONLY:
                    continue
                for a in ancestors.get(vid, ()):
                    total[(a, key)] += value
        progress(both(Message(_("indicators: %(done)s/%(total)s villages"),
                              done=f"{min(i + SEQUENCE_CHUNK, len(villages)):,}", total=f"{len(villages):,}")))
    PlaceCounter.objects.all()._raw_delete(PlaceCounter.objects.db)
    CounterDelta.objects.all()._raw_delete(CounterDelta.objects.db)  # PostgreSQL: those visible to the recount
    rows = village_rows + [(p, k, v) for (p, k), v in total.items() if v]
    with connection.cursor() as c:
        for j in range(0, len(rows), 20000):
            c.executemany("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, %s, %s)",
                          rows[j:j + 20000])
    CounterState.objects.all().delete()
    CounterState.objects.create(year=year)
    return len(rows)


def built_for() -> int | None:
    """The year the stored counters count ages for, or None when they were never built."""
    return CounterState.objects.order_by("-id").values_list("year", flat=True).first()


def prepare_year(year: int, progress=lambda m: None) -> bool:
    """Rebuild the counters for ``year`` unless they already count for it (the year switch, scheduled; also
    safe to run by hand). Returns whether it rebuilt."""
    if built_for() == year:
        return False
    rebuild(progress, year=year)
    return True


def switch_year(progress=lambda m: None) -> bool:
    """``prepare_year`` for today's year: run it just after midnight on 1 January."""
    return prepare_year(timezone.localdate().year, progress)


def _check_year() -> None:
    """Writers only (they write anyway): build the counters before the first change is added to them, and
    again when the year (and so everyone's age) changed and the scheduled switch has not run yet."""
    switch_year()


def _villages_counted_in(place: Place) -> list[int]:
    """The villages whose figures ``place`` adds up: itself, or those with it in their path or former path
    (the same rule as ``_ancestors_by_village``)."""
    if place.level == Level.VILLAGE:
        return [place.pk]
    villages = Place.objects.filter(level=Level.VILLAGE)
    return sorted(set(villages.under(place, include_self=False).values_list("id", flat=True))
                  | set(villages.formerly_under(place).values_list("id", flat=True)))


def _computed(places: Iterable[Place]) -> dict[int, Counter]:
    """Counters that were never built, computed from the records for these places; stores nothing."""
    out: dict[int, Counter] = {}
    for place in places:
        villages = _villages_counted_in(place)
        total: Counter = Counter()
        for counts in village_counters(villages).values():
            total.update(counts)
        if place.level != Level.VILLAGE:
            for key in VILLAGE_ONLY:
                total.pop(key, None)
        out[place.pk] = Counter({k: v for k, v in total.items() if v})
    return out


def counters(place: Place) -> Counter:
    """Every figure of one place. Reads only: never builds nor rebuilds (see the module's docstring)."""
    if built_for() is None:
        return _computed([place])[place.pk]
    return read([place.pk])[place.pk]


def counters_for(place_ids: Iterable[int], keys: Iterable[str]) -> dict[int, Counter]:
    """These figures of these places. Reads only."""
    out: dict[int, Counter] = defaultdict(Counter)
    keys = list(keys)
    if built_for() is None:
        for pid, c in _computed(Place.objects.filter(id__in=list(place_ids))).items():
            out[pid] = Counter({k: c[k] for k in keys if c[k]})
        return out
    out.update(read(place_ids, keys))
    return out


# --- what changed, told by the writers through ngoso.core.changes (module attributes are looked up at each
# call, so that tests can wrap them) -------------------------------------------------------------------------

def _before(household_ids, visits):
    return snapshot(household_ids, visits=visits)


def _after(before, household_ids, visits):
    add_household_delta(before, household_ids, visits=visits)


def _people_changed(household_ids, village_ids, **_):
    refresh(village_ids)


def _villages_changed(village_ids, **_):
    refresh(village_ids)


def _visits_added(rows, **_):
    visits_added(rows)


def _team_changed(sender, instance, **_):
    """A village team was created, changed (active or not) or deleted: ``vteam`` of its village follows."""
    if instance.level == "village" and instance.place_id and built_for() is not None:
        refresh([instance.place_id])


def listen() -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_team_changed, sender=Team, dispatch_uid="insights.counters.team_saved")
    post_delete.connect(_team_changed, sender=Team, dispatch_uid="insights.counters.team_deleted")
    changes.watch_households(_before, _after)
    changes.connect(changes.PEOPLE, _people_changed)
    changes.connect(changes.VILLAGES, _villages_changed)
    changes.connect(changes.VISITS_ADDED, _visits_added)
