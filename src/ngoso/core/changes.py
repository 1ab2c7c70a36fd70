"""How an app that writes records tells the apps that derive something from them: the one mechanism.

Receivers register in their own ``AppConfig.ready()``; ``core`` knows none of them. Everything runs in the
writer's transaction, so what is derived (household status, the figures of places, cached figures) changes
with the records or not at all — a receiver that fails rolls the write back.

Events (``send(event, **data)``):

- ``PEOPLE`` (``household_ids``, ``village_ids``): people were imported, erased or reclassified;
- ``VISITS_ADDED`` (``rows``: household id, village id, visited on, next visit on, received at): new visits
  (none a correction) were inserted;
- ``VILLAGES`` (``village_ids``): recount these villages (a correction may lower their latest visit);
- ``SUBJECT_DATA`` (``resident``, ``data``): add your records to what a person receives on request;
- ``HOUSEHOLDS_MERGING`` (``keep``, ``lose``, ``today``): two households are about to become one (``keep``
  takes every row of ``lose``): make your rows of the two fit one household (one open assignment);
- ``RESIDENTS_MOVED`` (``resident_ids``): rows were moved onto or back to these residents (a merge, its
  undo): derive again what follows from their records (current skill levels), before ``PEOPLE``;
- ``REGISTERED`` (``household``, ``user``): a household was registered at the door by ``user``;
- ``MEMBER_LEFT`` (``membership``, ``user``, ``today``, ``handed``): a member left a team (the membership
  ended today): hand their work to the others and add the households handed over to ``handed["households"]``.

Around a write to some households' records, ``with households(ids, visits=...)`` lets every watcher measure
before and add the difference after (cheaper than recounting their villages).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager

PEOPLE = "people"
VISITS_ADDED = "visits_added"
VILLAGES = "villages"
SUBJECT_DATA = "subject_data"
HOUSEHOLDS_MERGING = "households_merging"
RESIDENTS_MOVED = "residents_moved"
REGISTERED = "registered"
MEMBER_LEFT = "member_left"

_receivers: dict[str, list[Callable]] = defaultdict(list)
_watchers: list[tuple[Callable, Callable]] = []


def connect(event: str, receiver: Callable) -> None:
    """Call ``receiver(**data)`` on every ``send(event, ...)``, in the order of connection (once per receiver)."""
    if receiver not in _receivers[event]:
        _receivers[event].append(receiver)


def send(event: str, **data) -> None:
    for receiver in list(_receivers[event]):
        receiver(**data)


def watch_households(before: Callable, after: Callable) -> None:
    """``before(ids, visits)`` returns what ``after(taken, ids, visits)`` needs to add the difference."""
    if (before, after) not in _watchers:
        _watchers.append((before, after))


@contextmanager
def households(household_ids: Iterable[int], *, visits: bool = True):
    """Wrap a write touching only these households (inside the writer's transaction). ``visits=False`` when
    the write adds visits only through ``VISITS_ADDED`` (the watchers then leave the visit figures alone)."""
    ids = list(household_ids)
    taken = [(after, before(ids, visits)) for before, after in list(_watchers)]
    yield
    for after, measured in taken:
        after(measured, ids, visits)
