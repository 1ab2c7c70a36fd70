"""How the derived door-to-door tables follow from the records, defined once (pure Python).

``services.derive_levels`` and ``status.household_status_refresh`` apply these to rows read from the
database; the demo applies them to the rows it is about to insert, so its derived tables are the ones the
project would compute from the same records (``tests/web/test_rules.py`` rebuilds a demo and compares).
"""

from __future__ import annotations

from collections.abc import Iterable


def current_levels(records: Iterable[tuple]) -> dict[tuple[int, int], tuple[int, object]]:
    """A resident's current level of a skill is its latest skill record that nothing supersedes: latest by
    (observed on, recorded at, id). ``records`` are (resident id, skill id, level, observed on, recorded at, id)
    of records nothing supersedes; returns {(resident id, skill id): (level, observed on)}."""
    latest: dict[tuple[int, int], tuple] = {}
    for rid, sid, level, day, recorded, rec_id in records:
        key = (day, recorded, rec_id)
        cur = latest.get((rid, sid))
        if cur is None or key > cur[0]:
            latest[(rid, sid)] = (key, level)
    return {pair: (level, key[0]) for pair, (key, level) in latest.items()}


def visit_status(visits: Iterable[tuple]) -> tuple[object, object, int]:
    """A household's visit status from its visits that no correction replaces, as (visited on, recorded at,
    id, next visit on): (last visit date, next visit date of that latest visit, number of visits). The latest
    visit is the latest by (visited on, recorded at, id)."""
    best, nxt, n = None, None, 0
    for day, recorded, vid, next_on in visits:
        n += 1
        key = (day, recorded, vid)
        if best is None or key > best:
            best, nxt = key, next_on
    return (best[0] if best else None), nxt, n
