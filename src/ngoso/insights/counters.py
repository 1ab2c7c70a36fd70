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
- village only: ``lastv`` the ordinal day of the latest visit (not summed).

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
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from ngoso.core import changes
from ngoso.people.models import Household, Resident
from ngoso.people.targets import counted_households, household_groups, resident_groups
from ngoso.places.models import Level, Place
from ngoso.skills.rules import basic5_skill_ids, residents_with_basic_five
from ngoso.teams.models import Team
from ngoso.visits.models import ResidentSkill, Visit

from .models import CounterState, PlaceCounter

RES_GROUPS = ("elderly", "poor", "minority", "disability", "women")
HH_GROUPS = ("poor", "minority", "elderly")
_HH_GROUP_SET = frozenset(HH_GROUPS)
VILLAGE_ONLY = ("lastv",)
SEQUENCE_CHUNK = 200  # villages per batch when rebuilding


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


_UPSERT_ADD = ("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, %s, %s) "
               "ON CONFLICT (place_id, key) DO UPDATE SET value = visits_placecounter.value + excluded.value")
_UPSERT_SET = ("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, %s, %s) "
               "ON CONFLICT (place_id, key) DO UPDATE SET value = excluded.value")


def refresh(village_ids: Iterable[int]) -> None:
    """Recompute these villages and add the differences to their ancestors. Call inside the writer's
    transaction: the figures change together with the records they count, or not at all."""
    ids = sorted(set(village_ids))
    if not ids:
        return
    _check_year()
    with transaction.atomic():
        # Serialise concurrent refreshes of the same villages (PostgreSQL; SQLite serialises writers).
        list(Place.objects.select_for_update().filter(id__in=ids).values_list("id", flat=True))
        new = village_counters(ids)
        old: dict[int, Counter] = defaultdict(Counter)
        for pid, key, value in PlaceCounter.objects.filter(place_id__in=ids).values_list("place_id", "key", "value"):
            old[pid][key] = value
        ancestors = _ancestors_by_village(ids)
        add: Counter = Counter()
        set_rows, stale = [], []
        for vid in ids:
            n, o = new[vid], old[vid]
            for key in set(n) | set(o):
                d = n.get(key, 0) - o.get(key, 0)
                if not d:
                    continue
                set_rows.append((vid, key, n.get(key, 0)))
                if key in VILLAGE_ONLY:
                    continue
                for a in ancestors.get(vid, ()):
                    add[(a, key)] += d
        with connection.cursor() as c:
            if set_rows:
                c.executemany(_UPSERT_SET, set_rows)
            rows = [(p, k, d) for (p, k), d in add.items() if d]
            if rows:
                c.executemany(_UPSERT_ADD, rows)
        PlaceCounter.objects.filter(place_id__in=ids, value=0).delete()


def snapshot(household_ids: Iterable[int], visits: bool = True) -> dict[int, Counter]:
    """Take before a write to these households; pass to ``add_household_delta`` after it (with the same
    ``visits``: False when the write only adds visits, counted by ``visits_added``)."""
    _check_year()
    return household_counters(household_ids, visits=visits)


def add_household_delta(before: dict[int, Counter], household_ids: Iterable[int], visits: bool = True) -> None:
    """After a write touching only these households: add (after - before) to their villages and ancestors.

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
    with connection.cursor() as c:
        rows = [(p, k, d) for (p, k), d in add.items() if d]
        if rows:
            c.executemany(_UPSERT_ADD, rows)
        if lastv:
            c.executemany("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, 'lastv', %s) "
                          "ON CONFLICT (place_id, key) DO UPDATE SET value = CASE WHEN excluded.value > "
                          "visits_placecounter.value THEN excluded.value ELSE visits_placecounter.value END",
                          list(lastv.items()))


def visits_added(rows: list[tuple]) -> None:
    """New visits were inserted (none of them a correction): ``rows`` are (household id, village id,
    visited on, next visit on, received at). Updates the visit figures (``v``, ``vw:…``, ``lastv``) of the
    villages and their ancestors from the new rows alone, without reading the households' earlier visits.
    Called in the writer's transaction (``changes.VISITS_ADDED``)."""
    if not rows:
        return
    per_village: dict[int, Counter] = defaultdict(Counter)
    lastv: dict[int, int] = {}
    for _hid, vid, day, _nxt, _at in rows:
        c = per_village[vid]
        c["v"] += 1
        c[f"vw:{week_start(day).isoformat()}"] += 1
        lastv[vid] = max(lastv.get(vid, 0), day.toordinal())
    ancestors = _ancestors_by_village(per_village)
    add: Counter = Counter()
    for vid, c in per_village.items():
        for key, d in c.items():
            for p in (vid, *ancestors.get(vid, ())):
                add[(p, key)] += d
    with connection.cursor() as cur:
        cur.executemany(_UPSERT_ADD, [(p, k, d) for (p, k), d in add.items()])
        cur.executemany("INSERT INTO visits_placecounter (place_id, key, value) VALUES (%s, 'lastv', %s) "
                        "ON CONFLICT (place_id, key) DO UPDATE SET value = CASE WHEN excluded.value > "
                        "visits_placecounter.value THEN excluded.value ELSE visits_placecounter.value END",
                        list(lastv.items()))


def rebuild(progress=lambda m: None, year: int | None = None) -> int:
    """Recompute every counter from the raw records, with ages for ``year`` (this year by default).
    Returns the number of rows written."""
    year = year or timezone.localdate().year
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
        progress(f"Chỉ số / indicators: {min(i + SEQUENCE_CHUNK, len(villages)):,}/{len(villages):,} thôn")
    with transaction.atomic():
        PlaceCounter.objects.all()._raw_delete(PlaceCounter.objects.db)
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
    return Counter(dict(PlaceCounter.objects.filter(place=place).values_list("key", "value")))


def counters_for(place_ids: Iterable[int], keys: Iterable[str]) -> dict[int, Counter]:
    """These figures of these places. Reads only."""
    out: dict[int, Counter] = defaultdict(Counter)
    keys = list(keys)
    if built_for() is None:
        for pid, c in _computed(Place.objects.filter(id__in=list(place_ids))).items():
            out[pid] = Counter({k: c[k] for k in keys if c[k]})
        return out
    for pid, key, value in PlaceCounter.objects.filter(place_id__in=list(place_ids), key__in=keys) \
            .values_list("place_id", "key", "value"):
        out[pid][key] = value
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


def listen() -> None:
    changes.watch_households(_before, _after)
    changes.connect(changes.PEOPLE, _people_changed)
    changes.connect(changes.VILLAGES, _villages_changed)
    changes.connect(changes.VISITS_ADDED, _visits_added)
