"""Figures other apps add to a place's dashboard, as providers they register from their ``AppConfig.ready()``.

A provider is ``fn(place, today, households, children) -> dict`` (``households``: the place's household count
from the counters; ``children``: the places listed below it); its dict appears in the dashboard structure
under the provider's name, in the order of registration, and so in the page, the XLSX export and the API.
A provider may say who sees its figures (``visible(user, place)``: its app's own rule, e.g. poverty's) and name
the template of its section of the dashboard page (given its figures as ``l``).

Providers that cache their figures key the cache on ``stamp()``; whatever may change them calls ``touch()``
(a signal receiver, ``core.changes.PEOPLE``, a bulk write).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from .models import FiguresStamp

_providers: dict[str, Callable] = {}
_reports: dict[str, Callable] = {}
_visible: dict[str, Callable] = {}
_templates: dict[str, str] = {}


def register(name: str, provider: Callable, report: Callable | None = None, visible: Callable | None = None,
             template: str | None = None) -> None:
    """``report(figures, *, Table, Fig, kinds, prefix) -> [Table]``: the provider's tables in the dashboard's
    report (``insights.report``), each figure a ``Fig`` carrying its key under ``prefix``. ``visible(user,
    place) -> bool``: whether a user who sees the place's dashboard sees these figures too (by default: yes).
    ``template``: the page's section for these figures (they are given to it as ``l``)."""
    _providers[name] = provider
    if report is not None:
        _reports[name] = report
    if visible is not None:
        _visible[name] = visible
    if template is not None:
        _templates[name] = template


def report_sections() -> dict[str, Callable]:
    return dict(_reports)


def sections(data: dict) -> list[dict]:
    """The page's sections of the providers whose figures ``data`` (a dashboard) holds, in order."""
    return [{"name": name, "template": _templates[name], "figures": data[name]}
            for name in _providers if name in _templates and data.get(name) is not None]


def may_see(name: str, user, place) -> bool:
    """Does ``user`` see provider ``name``'s figures of ``place`` (the provider's rule; None: the system)?"""
    rule = _visible.get(name)
    return user is None or rule is None or bool(rule(user, place))


def figures(place, today, households, children) -> dict:
    return {name: provider(place, today, households, children) for name, provider in _providers.items()}


def only_visible(data: dict, user, place) -> dict:
    """The dashboard ``data`` without the providers' figures ``user`` may not see (``may_see``)."""
    for name in list(_providers):
        if name in data and not may_see(name, user, place):
            del data[name]
    return data


def stamp() -> str:
    return FiguresStamp.objects.filter(pk=1).values_list("token", flat=True).first() or ""


def touch(*args, **kwargs) -> None:
    """Mark the cached figures stale (signals, bulk writes, imports call this)."""
    token = uuid.uuid4().hex
    if not FiguresStamp.objects.filter(pk=1).update(token=token):
        FiguresStamp.objects.update_or_create(pk=1, defaults={"token": token})
