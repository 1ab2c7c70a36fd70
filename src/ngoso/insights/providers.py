"""Figures other apps add to a place's dashboard, as providers they register from their ``AppConfig.ready()``.

A provider is ``fn(place, today, households, children) -> dict`` (``households``: the place's household count
from the counters; ``children``: the places listed below it); its dict appears in the dashboard structure
under the provider's name, in the order of registration, and so in the page, the XLSX export and the API.

Providers that cache their figures key the cache on ``stamp()``; whatever may change them calls ``touch()``
(a signal receiver, ``core.changes.PEOPLE``, a bulk write).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from .models import FiguresStamp

_providers: dict[str, Callable] = {}
_reports: dict[str, Callable] = {}


def register(name: str, provider: Callable, report: Callable | None = None) -> None:
    """``report(figures, *, Table, Fig, kinds, prefix) -> [Table]``: the provider's tables in the dashboard's
    report (``insights.report``), each figure a ``Fig`` carrying its key under ``prefix``."""
    _providers[name] = provider
    if report is not None:
        _reports[name] = report


def report_sections() -> dict[str, Callable]:
    return dict(_reports)


def figures(place, today, households, children) -> dict:
    return {name: provider(place, today, households, children) for name, provider in _providers.items()}


def stamp() -> str:
    return FiguresStamp.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def touch(*args, **kwargs) -> None:
    """Mark the cached figures stale (signals, bulk writes, imports call this)."""
    token = uuid.uuid4().hex
    if not FiguresStamp.objects.filter(pk=1).update(token=token):
        FiguresStamp.objects.update_or_create(pk=1, defaults={"token": token})
