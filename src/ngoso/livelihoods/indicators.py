"""Livelihood figures of one place for the dashboard (a provider registered with ``ngoso.insights``): producers selling online, households paying
electronically, published success stories — now, by month and by year, and for each place below.

Five grouped queries (one row per producer or household that has an online channel, never a query per
row), folded onto the months and the child places in Python; counts at a date come from sorted start and
end dates (bisect), so 12 months and 10 years cost microseconds. Small areas filter by their village ids;
a province groups every producer by village (producers are few next to households) and keeps its own.
"Online at a date" means: one of its online-selling channels was in use that day (started on or before
it, not stopped before it); a gap between two channels is a gap. "E-payment" counts producer households
(the only households whose channels are recorded), and its rate is over producer households.
"""

from __future__ import annotations

import copy
import datetime
from bisect import bisect_left, bisect_right
from collections import OrderedDict, defaultdict

from django.db.models import Count
from django.utils import timezone

from ngoso.accounts.scope import within
from ngoso.insights.counts import child_code
from ngoso.insights.providers import stamp
from ngoso.places.models import Level, Place

from .models import ONLINE_SELLING, ChannelKind, OnlineChannel, Producer, SuccessStory

MONTHS = 12
SMALL_AREA = 400  # villages: below this, filter by village ids rather than by path


def _month_ends(today: datetime.date, n: int) -> list[datetime.date]:
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
        out.append(min(nxt - datetime.timedelta(days=1), today))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def _spans(qs, key: str, village_key: str) -> list[tuple]:
    """(id, village id, start, open?, end) per period in which a producer/household had a channel in use:
    its channels' own spans, overlapping ones merged, so the periods of one producer never overlap."""
    by = defaultdict(list)
    for k, vid, since, ended in qs.values_list(key, village_key, "since", "ended_on").order_by(key, "since"):
        by[(k, vid)].append((since, ended))
    out = []
    for (k, vid), spans in by.items():
        start, end = spans[0]
        for since, ended in spans[1:]:
            if end is None or since <= end:  # overlaps the current period: extend it
                end = None if (end is None or ended is None) else max(end, ended)
            else:
                out.append((k, vid, start, False, end))
                start, end = since, ended
        out.append((k, vid, start, end is None, end))
    return out


def _active(span, day: datetime.date) -> bool:
    _, _, start, is_open, end = span
    return start <= day and (is_open or end >= day)


class _Timeline:
    """How many producers/households are active on a day, in O(log n): periods started by then, minus the
    closed ones that ended before it (each producer's periods are disjoint, so none is counted twice)."""

    def __init__(self, spans):
        self.firsts = sorted(s[2] for s in spans)
        self.ends = sorted(s[4] for s in spans if not s[3] and s[4] is not None)

    def count(self, day: datetime.date) -> int:
        return bisect_right(self.firsts, day) - bisect_left(self.ends, day)


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256


def livelihood_figures(place: Place, today: datetime.date | None = None, households: int | None = None,
                       children: list | None = None) -> dict:
    """The figures, from a small in-process cache while nothing they depend on has changed."""
    today = today or timezone.localdate()
    key = (place.pk, today, households, tuple(k.pk for k in children or []), stamp())
    hit = _CACHE.get(key)
    if hit is None:
        hit = _compute(place, today, households, children)
        _CACHE[key] = hit
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return copy.deepcopy(hit)


def _compute(place: Place, today: datetime.date, households: int | None, children: list | None) -> dict:
    if place.is_current:
        villages = dict(Place.objects.under(place).filter(level=Level.VILLAGE).values_list("id", "path"))
    else:
        villages = dict(Place.objects.formerly_under(place).filter(level=Level.VILLAGE).values_list("id", "former_path"))
    if len(villages) <= SMALL_AREA:
        # a village or a commune: start from its villages' households (indexes), not from every channel
        channels = OnlineChannel.objects.filter(producer__household__village_id__in=list(villages))
        producer_qs = Producer.objects.filter(household__village_id__in=list(villages))
    else:
        # a province: producers are few next to households, so group all of them by village (joined by
        # primary key) and keep this area's villages below, rather than walk every household of the area
        channels = OnlineChannel.objects.all()
        producer_qs = Producer.objects.all()
    sellers = [s for s in _spans(channels.filter(kind__in=ONLINE_SELLING), "producer_id",
                                 "producer__household__village_id") if s[1] in villages]
    payers = [s for s in _spans(channels.filter(kind=ChannelKind.PAYMENT), "producer__household_id",
                                "producer__household__village_id") if s[1] in villages]
    producers = {vid: n for vid, n in producer_qs.values("household__village_id").annotate(n=Count("id"))
                 .values_list("household__village_id", "n") if vid in villages}
    producer_households = sum(n for vid, n in producer_qs.values("household__village_id")
                              .annotate(n=Count("household_id", distinct=True))
                              .values_list("household__village_id", "n") if vid in villages)
    stories = list(within(SuccessStory.objects.filter(status=SuccessStory.Status.PUBLISHED,
                                                      published_at__isnull=False), place)
                   .values_list("resident__household__village_id", "published_at"))
    tz = timezone.get_current_timezone()
    story_days = [(vid, timezone.localtime(at, tz).date()) for vid, at in stories]

    online_now = [s for s in sellers if _active(s, today)]  # at most one period per producer is active
    paying_now = [s for s in payers if _active(s, today)]
    n_producers = sum(producers.values())
    sell_t, pay_t = _Timeline(sellers), _Timeline(payers)
    months = []
    for end in _month_ends(today, MONTHS):
        start = end.replace(day=1)
        months.append({"month": end.strftime("%Y-%m"),
                       "producers_online": sell_t.count(end), "households_epayment": pay_t.count(end),
                       "stories": sum(1 for _, d in story_days if start <= d <= end)})
    first_year = min([s[2].year for s in sellers + payers] + [d.year for _, d in story_days] + [today.year])
    years = []
    for y in range(max(first_year, today.year - 9), today.year + 1):
        end = min(datetime.date(y, 12, 31), today)
        years.append({"year": y, "producers_online": sell_t.count(end), "households_epayment": pay_t.count(end),
                      "stories": sum(1 for _, d in story_days if d.year == y)})
    kids = defaultdict(lambda: {"producers": 0, "producers_online": 0, "households_epayment": 0, "stories": 0})

    child_of = {vid: child_code(place, path) for vid, path in villages.items()}  # village -> child place code
    for vid, n in producers.items():
        if child_of.get(vid):
            kids[child_of[vid]]["producers"] += n
    for key, spans in (("producers_online", online_now), ("households_epayment", paying_now)):
        for s in spans:
            if child_of.get(s[1]):
                kids[child_of[s[1]]][key] += 1
    for vid, _ in story_days:
        if child_of.get(vid):
            kids[child_of[vid]]["stories"] += 1
    pct = (lambda n, d: round(100.0 * n / d, 1) if d else None)
    return {
        "producers": n_producers,
        "producers_online": len(online_now), "producers_online_pct": pct(len(online_now), n_producers),
        "producer_households": producer_households,
        # producer households with an e-payment channel; the rate is over producer households, not all
        "households_epayment": len(paying_now),
        "households_epayment_pct": pct(len(paying_now), producer_households),
        "stories_published": len(story_days),
        "stories_this_year": sum(1 for _, d in story_days if d.year == today.year),
        "months": months, "years": years,
        "children": [{"code": k.code, "name": k.name, **kids[k.code]} for k in (children or [])],
    }


def report_tables(l: dict, *, Table, Fig, kinds, prefix: str) -> list:
    """The livelihood tables of the dashboard's report (``insights.report``): as on the page, each figure keyed."""
    from django.utils.translation import gettext as _

    INT, PCT, TEXT, _DATE = kinds
    sheet = _("Digital livelihoods")
    now = Table(_("Digital livelihoods"), [(_("Indicator"), TEXT), (_("Number"), INT), ("%", PCT)], sheet=sheet)
    now.rows = [
        [_("Producers"), Fig(l["producers"], f"{prefix}.producers"), ""],
        [_("Producers selling online"), Fig(l["producers_online"], f"{prefix}.producers_online"),
         Fig(l["producers_online_pct"], f"{prefix}.producers_online_pct")],
        [_("Producer households with e-payment"), Fig(l["households_epayment"], f"{prefix}.households_epayment"),
         Fig(l["households_epayment_pct"], f"{prefix}.households_epayment_pct")],
        [_("Success stories published"), Fig(l["stories_published"], f"{prefix}.stories_published"), ""],
        [_("Success stories published this year"), Fig(l["stories_this_year"], f"{prefix}.stories_this_year"), ""],
    ]
    cols = [(_("Selling online"), INT), (_("Producer households with e-payment"), INT), (_("Stories"), INT)]
    months = Table(_("Digital livelihoods by month"), [(_("Month"), TEXT), *cols], sheet=sheet)
    months.rows = [[f"{m['month'][5:7]}/{m['month'][:4]}", Fig(m["producers_online"], f"{prefix}.months[{m['month']}].producers_online"),
                    Fig(m["households_epayment"], f"{prefix}.months[{m['month']}].households_epayment"),
                    Fig(m["stories"], f"{prefix}.months[{m['month']}].stories")] for m in l["months"]]
    years = Table(_("Digital livelihoods by year"), [(_("Year"), TEXT), *cols], sheet=sheet)
    years.rows = [[str(y["year"]), Fig(y["producers_online"], f"{prefix}.years[{y['year']}].producers_online"),
                   Fig(y["households_epayment"], f"{prefix}.years[{y['year']}].households_epayment"),
                   Fig(y["stories"], f"{prefix}.years[{y['year']}].stories")] for y in l["years"]]
    out = [now, months, years]
    if l["children"]:
        kids = Table(_("Digital livelihoods of the places below"),
                     [(_("Name"), TEXT), (_("Producers"), INT), *cols], sheet=sheet)
        kids.rows = [[k["name"], Fig(k["producers"], f"{prefix}.children[{k['code']}].producers"),
                      Fig(k["producers_online"], f"{prefix}.children[{k['code']}].producers_online"),
                      Fig(k["households_epayment"], f"{prefix}.children[{k['code']}].households_epayment"),
                      Fig(k["stories"], f"{prefix}.children[{k['code']}].stories")] for k in l["children"]]
        out.append(kids)
    return out
