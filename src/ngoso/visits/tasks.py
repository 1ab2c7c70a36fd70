"""The counters' place on the schedule (core.jobs.periodic): ages change with the year, so the counters are
rebuilt by the worker at midnight on 1 January, not by the first request of the year.

Written against today's ``visits.indicators`` (``rebuild()``); when the counters move to ``ngoso.insights``
with ``prepare_year(year)`` / ``switch_year()``, this becomes "prepare on 31 December, switch at midnight"."""

from __future__ import annotations

from ngoso.core.jobs import on_start, periodic


@periodic("counters_new_year", "Tính lại chỉ số cho năm mới (0 giờ ngày 1/1) / Counters for the new year "
          "(midnight, 1 January)", minute="0", hour="0", day="1", month="1")
def counters_new_year() -> dict:
    from django.utils import timezone

    from . import indicators

    return {"year": timezone.localdate().year, "rows": indicators.rebuild()}


@on_start
def counters_ready() -> None:
    """Before ``ngoso serve`` starts its web processes: counters missing (a fresh import) or of last year are
    built here once, not by the first requests (several processes at once would each rebuild them)."""
    from . import indicators

    indicators._check_year()
