"""``HouseholdStatus``, visits' own derived table: each household's last and next visit, how many visits, and
whether someone in it does the basic five alone. Kept up to date by the visits services (and, for imports
and erasures, through ``core.changes.PEOPLE``); read by the pages and by ``ngoso.insights``."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection

from ngoso.people.models import Household
from ngoso.skills.rules import basic5_skill_ids, basic_five_filter, count_reaches_basic_five

from . import rules
from .models import HouseholdStatus, ResidentSkill, Visit


def _basic5_by_household(household_ids: list[int]) -> set[int]:
    """The households with a resident who has the basic five (``skills.rules``, counted in SQL's rows)."""
    basic5 = basic5_skill_ids()
    if not basic5 or not household_ids:
        return set()
    rows = Counter(ResidentSkill.objects.filter(basic_five_filter(basic5), resident__household_id__in=household_ids)
                   .values_list("resident__household_id", "resident_id"))
    return {hid for (hid, _), n in rows.items() if count_reaches_basic_five(n, basic5)}


def household_status_refresh(household_ids: Iterable[int]) -> None:
    """Recompute ``HouseholdStatus`` (last and next visit, visits, basic-5) for these households."""
    ids = list(household_ids)
    b5 = _basic5_by_household(ids)
    visits: dict[int, list] = defaultdict(list)
    for hid, *row in Visit.objects.filter(household_id__in=ids, corrections__isnull=True) \
            .values_list("household_id", "visited_on", "recorded_at", "id", "next_visit_on"):
        visits[hid].append(row)
    rows = []
    for hid in Household.objects.filter(id__in=ids).values_list("id", flat=True):
        day, nxt, n = rules.visit_status(visits.get(hid, ()))
        rows.append(HouseholdStatus(household_id=hid, last_visit_on=day, next_visit_on=nxt, visits=n,
                                    basic5=hid in b5))
    HouseholdStatus.objects.bulk_create(rows, update_conflicts=True, unique_fields=["household"],
                                        update_fields=["last_visit_on", "next_visit_on", "visits", "basic5"])


def visits_added(rows: list[tuple]) -> None:
    """New visits were inserted (none of them a correction): ``rows`` are (household id, village id, visited on,
    next visit on, received at). Updates each household's status from the new rows alone, without reading
    the households' earlier visits. Call in the writer's transaction, after the skill levels."""
    if not rows:
        return
    newest: dict[int, tuple] = {}
    count: Counter = Counter()
    for hid, _vid, day, nxt, at in rows:
        count[hid] += 1
        if hid not in newest or (day, at) > newest[hid][:2]:  # receipt times are unique within a batch
            newest[hid] = (day, at, nxt)
    # A new visit is received after every stored one, so it becomes the latest unless an earlier-received
    # one has a later visit date.
    ids = list(count)
    current = {hid: (last, nxt, n) for hid, last, nxt, n in HouseholdStatus.objects.filter(household_id__in=ids)
               .values_list("household_id", "last_visit_on", "next_visit_on", "visits")}
    missing = [hid for hid in ids if hid not in current]
    if missing:  # never computed: count from the records
        household_status_refresh(missing)
    basic5 = _basic5_by_household(list(current))
    ops = connection.ops
    update = []
    for hid, (last, last_next, n) in current.items():
        day, _, nxt = newest[hid]
        if last is not None and day < last:
            day, nxt = last, last_next
        update.append((ops.adapt_datefield_value(day), ops.adapt_datefield_value(nxt), n + count[hid],
                       hid in basic5, hid))
    if update:
        with connection.cursor() as cur:
            cur.executemany("UPDATE visits_householdstatus SET last_visit_on = %s, next_visit_on = %s, visits = %s, "
                            "basic5 = %s WHERE household_id = %s", update)

