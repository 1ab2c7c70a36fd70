"""Counts of households and residents per place, for the place browser.

One grouped query per kind of record over the subtree, then a fold in Python onto the children.
(The dashboards' figures are the incremental roll-ups of ``counters``.)
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from ngoso.accounts.scope import within
from ngoso.people.models import Household, Resident
from ngoso.places.models import Level, Place


def child_code(place: Place, path: str | None) -> str | None:
    """The code of the child of ``place`` on the way to ``path`` (None if ``path`` is not below it)."""
    if not path or not path.startswith(place.path) or path == place.path:
        return None
    return path[len(place.path):].split("/", 1)[0]


def counts_under(place: Place) -> dict[str, dict[str, int]]:
    """{child code: {"households": n, "residents": n, "villages": n}} for every child of ``place``."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"households": 0, "residents": 0, "villages": 0})
    if place.is_current:
        villages = dict(Place.objects.under(place).filter(level=Level.VILLAGE).values_list("id", "path"))
    else:
        villages = dict(Place.objects.formerly_under(place).filter(level=Level.VILLAGE)
                        .values_list("id", "former_path"))
    for vid, path in villages.items():
        code = child_code(place, path)
        if code:
            out[code]["villages"] += 1
    for row in within(Household.objects.all(), place).values("village_id").annotate(n=Count("id")):
        code = child_code(place, villages.get(row["village_id"], ""))
        if code:
            out[code]["households"] += row["n"]
    for row in within(Resident.objects.all(), place).values("household__village_id").annotate(n=Count("id")):
        code = child_code(place, villages.get(row["household__village_id"], ""))
        if code:
            out[code]["residents"] += row["n"]
    return out
