"""The counters' place on the schedule (core.jobs.periodic) and the worker.

- ``counters_roll_up``: the deltas writes appended are folded into the counters (``counters.roll_up``) a few
  seconds after a write (``nudge``, called when a writer commits) and every minute whatever happens;
- ``counters_recent``: daily, villages whose latest visit is now older than 30 days leave ``vrecent``;
- ``counters_new_year``: ages change with the year, so the counters are rebuilt for the new year by the worker
  at midnight on 1 January (``counters.switch_year``), never by a request (reading never writes, ``counters``).
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections
from django.utils import timezone

from ngoso.core.jobs import HUEY, on_start, periodic

from . import counters

log = logging.getLogger(__name__)
ROLL_UP_DELAY = 2.0  # seconds from a write to the roll-up that folds it (dashboards see it at once anyway)
_nudged = {"at": float("-inf")}
_nudge_lock = threading.Lock()


@HUEY.task(name="ngoso.insights.roll_up")
def roll_up_soon() -> None:
    close_old_connections()
    try:
        counters.roll_up()
    finally:
        close_old_connections()


def nudge() -> None:
    """After a commit that appended deltas: have the worker fold them in ``ROLL_UP_DELAY`` seconds, once per
    ``ROLL_UP_DELAY`` per process however many writes come (the minute's roll-up catches any left)."""
    now = time.monotonic()
    with _nudge_lock:
        if now - _nudged["at"] < ROLL_UP_DELAY:
            return
        _nudged["at"] = now
    try:
        if HUEY.immediate:
            return  # tests and one-off commands: the roll-up runs when they call it (or the minute's one)
        roll_up_soon.schedule(delay=ROLL_UP_DELAY)
    except Exception:  # noqa: BLE001 - the write is committed; the minute's roll-up folds its deltas
        log.exception("could not queue the counters' roll-up")


@periodic("counters_roll_up", "Cộng dồn chỉ số (mỗi phút) / Fold the counters' deltas (every minute)")
def counters_roll_up() -> dict:
    return {"folded": counters.roll_up() or 0}


@periodic("counters_recent", "Thôn không có lượt thăm 30 ngày (hằng ngày) / Villages without a visit in 30 days "
          "(daily)", minute="5", hour="0")
def counters_recent() -> dict:
    return {"villages": counters.refresh_recent()}


@periodic("counters_new_year", "Tính lại chỉ số cho năm mới (0 giờ ngày 1/1) / Counters for the new year "
          "(midnight, 1 January)", minute="0", hour="0", day="1", month="1")
def counters_new_year() -> dict:
    year = timezone.localdate().year
    return {"year": year, "rebuilt": counters.prepare_year(year)}


@on_start
def counters_ready() -> None:
    """Before ``ngoso serve`` starts its web processes: counters missing (a fresh import) or of last year are
    built here once, not by the first write of the year (several processes at once would each rebuild them)."""
    counters.switch_year()
