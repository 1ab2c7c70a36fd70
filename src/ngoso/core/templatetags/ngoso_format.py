"""``{% load ngoso_format %}``: ``{{ value|day }}`` shows a date (or an ISO date string, as the dashboards and the
API carry them) the way the reader's language writes it: 02/12/2026 (SHORT_DATE_FORMAT of ``ngoso.formats``)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def day(value):
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")
