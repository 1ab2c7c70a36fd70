"""The counters' place on the schedule (core.jobs.periodic): ages change with the year, so the counters are
rebuilt for the new year by the worker at midnight on 1 January (``counters.switch_year``), never by a request
(reading never writes, ``counters``)."""

from __future__ import annotations

from django.utils import timezone

from ngoso.core.jobs import on_start, periodic

from . import counters
from django.utils.translation import gettext_lazy as _


@periodic("counters_new_year", _("Counters for the new year (midnight, 1 January)"), minute="0", hour="0", day="1",
          month="1")
def counters_new_year() -> dict:
    year = timezone.localdate().year
    return {"year": year, "rebuilt": counters.prepare_year(year)}


@on_start
def counters_ready() -> None:
    """Before ``ngoso serve`` starts its web processes: counters missing (a fresh import) or of last year are
    built here once, not by the first write of the year (several processes at once would each rebuild them)."""
    counters.switch_year()
