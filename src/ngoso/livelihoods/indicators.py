"""Livelihood figures of one place for the dashboard: producers selling online, households paying
electronically, published success stories — now, by month and by year, and for each place below.

A handful of grouped queries over the place's subtree (one row per producer or household that has an
online channel, never a query per row), folded onto the months and the child places in Python.
"Online at a date" means: some online-selling channel started on or before that date and either one is
still open or the last one stopped after it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from ngoso.accounts.scope import within
from ngoso.core.counts import child_code
from ngoso.places.models import Level, Place

from .models import ONLINE_SELLING, ChannelKind, OnlineChannel, Producer, SuccessStory

MONTHS = 12


def _month_ends(today: datetime.date, n: int) -> list[datetime.date]:
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
        out.append(min(nxt - datetime.timedelta(days=1), today))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def _spans(qs, key: str, village_key: str) -> list[tuple]:
    """(id, village id, first start, open?, last end) per producer/household."""
    rows = qs.values(key, village_key).annotate(
        first=Min("since"), open=Count("id", filter=Q(ended_on__isnull=True)), last=Max("ended_on"))
    return [(r[key], r[village_key], r["first"], r["open"] > 0, r["last"]) for r in rows]


def _active(span, day: datetime.date) -> bool:
    _, _, first, is_open, last = span
    return first <= day and (is_open or (last is not None and last >= day))


def livelihood_figures(place: Place, today: datetime.date | None = None, households: int | None = None,
                       children: list | None = None) -> dict:
    today = today or timezone.localdate()
    if place.is_current:
        villages = dict(Place.objects.under(place).filter(level=Level.VILLAGE).values_list("id", "path"))
    else:
        villages = dict(Place.objects.formerly_under(place).filter(level=Level.VILLAGE).values_list("id", "former_path"))
    channels = within(OnlineChannel.objects.all(), place)
    sellers = _spans(channels.filter(kind__in=ONLINE_SELLING), "producer_id", "producer__household__village_id")
    payers = _spans(channels.filter(kind=ChannelKind.PAYMENT), "producer__household_id",
                    "producer__household__village_id")
    producers = dict(within(Producer.objects.all(), place).values("household__village_id")
                     .annotate(n=Count("id")).values_list("household__village_id", "n"))
    stories = list(within(SuccessStory.objects.filter(status=SuccessStory.Status.PUBLISHED,
                                                      published_at__isnull=False), place)
                   .values_list("village_id", "published_at"))
    tz = timezone.get_current_timezone()
    story_days = [(vid, timezone.localtime(at, tz).date()) for vid, at in stories]

    online_now = [s for s in sellers if _active(s, today)]
    paying_now = [s for s in payers if _active(s, today)]
    n_producers = sum(producers.values())
    months = []
    for end in _month_ends(today, MONTHS):
        start = end.replace(day=1)
        months.append({"month": end.strftime("%Y-%m"),
                       "producers_online": sum(1 for s in sellers if _active(s, end)),
                       "households_epayment": sum(1 for s in payers if _active(s, end)),
                       "stories": sum(1 for _, d in story_days if start <= d <= end)})
    first_year = min([s[2].year for s in sellers + payers] + [d.year for _, d in story_days] + [today.year])
    years = []
    for y in range(max(first_year, today.year - 9), today.year + 1):
        end = min(datetime.date(y, 12, 31), today)
        years.append({"year": y, "producers_online": sum(1 for s in sellers if _active(s, end)),
                      "households_epayment": sum(1 for s in payers if _active(s, end)),
                      "stories": sum(1 for _, d in story_days if d.year == y)})
    kids = defaultdict(lambda: {"producers": 0, "producers_online": 0, "households_epayment": 0, "stories": 0})

    def code(vid):
        return child_code(place, villages.get(vid, ""))

    for vid, n in producers.items():
        if code(vid):
            kids[code(vid)]["producers"] += n
    for s in online_now:
        if code(s[1]):
            kids[code(s[1])]["producers_online"] += 1
    for s in paying_now:
        if code(s[1]):
            kids[code(s[1])]["households_epayment"] += 1
    for vid, _ in story_days:
        if code(vid):
            kids[code(vid)]["stories"] += 1
    pct = (lambda n, d: round(100.0 * n / d, 1) if d else None)
    return {
        "producers": n_producers,
        "producers_online": len(online_now), "producers_online_pct": pct(len(online_now), n_producers),
        "households_epayment": len(paying_now),
        "households_epayment_pct": pct(len(paying_now), households) if households is not None else None,
        "stories_published": len(story_days),
        "stories_this_year": sum(1 for _, d in story_days if d.year == today.year),
        "months": months, "years": years,
        "children": [{"code": k.code, "name": k.name, **kids[k.code]} for k in (children or [])],
    }
