"""The duplicate scan's place on the schedule (core.jobs.periodic): every night each commune is scanned and
its likely pairs stored for the review page (``people.duplicates.scan_and_store``; also ``ngoso duplicates``
and the page's "scan again now")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ngoso.core.jobs import periodic
from ngoso.places.models import Level, Place


@periodic("duplicates_scan", _("Scan each commune for likely duplicates"), minute="40", hour="3")
def duplicates_scan() -> dict:
    from .duplicates import scan_and_store

    out = {"places": 0, "residents": 0, "households": 0}
    for commune in Place.objects.filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("code"):
        got = scan_and_store(commune)
        for key in out:
            out[key] += got[key]
    return out
