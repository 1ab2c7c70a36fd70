"""Poverty's figures, counted once: the counters this app adds to ``ngoso.insights`` and its dashboard provider.

What the poverty pages show — households reviewed, poor and near-poor for a year and the year before, the same by
target group, the information dimension (poor or near-poor households lacking telecom or the means to receive
information, and whether the team visited them or a loudspeaker reaches them) and access (villages with 4G, free
wifi, a loudspeaker; households without a smartphone) — are counters per village, summed over every place above
it by ``insights.counters`` like every other figure (``contribute``, from ``PovertyConfig.ready``):

- ``pv:<year>:hh|poor|near`` reviews of the year, poor, near-poor;
- ``pv:<year>:<group>:hh|poor|near`` the same for households of a group (``GROUPS``: someone elderly, of an
  ethnic minority, with a disability, a woman at the head; ages in the review's year);
- ``pv:<year>:i:telecom|means|either|visited|reached|neither`` poor or near-poor households of the year lacking
  telecom, the means to receive information, either; of those lacking either: visited by the team (at least one
  visit), reached by a loudspeaker (they hear one, or their village has a working one), neither;
- ``ac:nosp`` households someone lives in without a smartphone; village flags ``ac:4g`` (4G or 5G), ``ac:wifi``,
  ``ac:speaker`` (an active loudspeaker site or smart-radio cluster).

So the page of a province and its dashboard read a few counter rows, never the reviews. ``rates`` (the poverty
page, its XLSX) and ``poverty_figures`` (the dashboard's section, its report, the API) read the same counters
through ``from_counters``: the two cannot differ. Who sees them: ``may_see_figures``, the rule of the pages.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.utils.translation import gettext_lazy

from ngoso.accounts.scope import can_see_place
from ngoso.insights import counters
from ngoso.people.models import Household, Resident
from ngoso.people.targets import counted_households, household_groups, resident_groups
from ngoso.places.models import Level, Place
from ngoso.radio.models import SpeakerCluster

from .models import MOBILE_TECH, AccessSite, PovertyReview, VillageSurvey

GROUPS = {"elderly": gettext_lazy("Households with an elderly person"),
          "minority": gettext_lazy("Ethnic minority households"),
          "disability": gettext_lazy("Households with a person with disability"),
          "female_head": gettext_lazy("Households headed by a woman")}
NEEDY = ("poor", "near_poor")
INFO = frozenset({"telecom", "info_means"})
INFO_KEYS = {"lacking_telecom": "telecom", "lacking_info_means": "means", "lacking_either": "either",
             "of_those_visited": "visited", "of_those_reached_by_loudspeaker": "reached",
             "of_those_neither": "neither"}


def may_see_figures(user, place: Place) -> bool:
    """Who sees a place's poverty and access figures (aggregates, no household named): whoever sees the place —
    the rule of the poverty pages since they exist; the dashboard's section asks the same function."""
    return can_see_place(user, place)


def default_year(today: datetime.date) -> int:
    """The review year a page shows unless asked: last year's (a year's review ends in its December)."""
    return today.year - 1


# --- counted per village (insights.counters.contribute) ----------------------------------------------------

def speaker_villages(village_ids) -> set[int]:
    """Villages (of ``village_ids``; None: all) with a working loudspeaker: an active ``AccessSite`` of kind
    loudspeaker or an active smart-radio ``SpeakerCluster`` of the village."""
    sites = AccessSite.objects.filter(kind="loudspeaker", status="active")
    clusters = SpeakerCluster.objects.filter(active=True, place__level=Level.VILLAGE)
    if village_ids is not None:
        ids = list(village_ids)
        sites, clusters = sites.filter(village_id__in=ids), clusters.filter(place_id__in=ids)
    return set(sites.values_list("village_id", flat=True)) | set(clusters.values_list("place_id", flat=True))


def village_access(village_ids) -> tuple[dict, set, set]:
    """(best mobile technology by village, villages with free wifi, villages with a loudspeaker): the one rule
    of the access page and of the counters."""
    ids = list(village_ids)
    best = defaultdict(lambda: "none")
    for vid, tech in VillageSurvey.objects.filter(village_id__in=ids).values_list("village_id", "mobile"):
        best[vid] = tech
    wifi = set()
    for vid, kind, tech in AccessSite.objects.filter(village_id__in=ids, status="active",
                                                     kind__in=("bts", "pole", "wifi")).values_list(
            "village_id", "kind", "technology"):
        if kind in ("bts", "pole") and tech and MOBILE_TECH.index(tech) > MOBILE_TECH.index(best[vid]):
            best[vid] = tech
        elif kind == "wifi":
            wifi.add(vid)
    return best, wifi, speaker_villages(ids)


def village_counts(village_ids) -> dict[int, Counter]:
    """The villages' access flags (``ac:4g``, ``ac:wifi``, ``ac:speaker``)."""
    ids = list(village_ids)
    best, wifi, speaker = village_access(ids)
    out: dict[int, Counter] = {}
    for vid in ids:
        out[vid] = Counter({"ac:4g": int(best[vid] in ("4G", "5G")), "ac:wifi": int(vid in wifi),
                            "ac:speaker": int(vid in speaker)})
    return out


def household_counts(household_filter: dict, visits: bool = True) -> dict[int, Counter]:
    """What the households matching ``household_filter`` add to their villages: their reviews (every year) and
    whether they have a smartphone. A few queries whatever the number of years; none on residents, visits or
    sites when the households have no review. ``visits=False`` (a write that only adds visits): only what a
    visit moves, the poor and near-poor lacking information visited (or reached by nobody): one query, and
    three more only for such households."""
    if not visits:
        return _visited_counts(household_filter)
    out: dict[int, Counter] = defaultdict(Counter)
    hh = Household.objects.filter(**household_filter)
    for vid in counted_households(hh).filter(has_smartphone=False).values_list("village_id", flat=True):
        out[vid]["ac:nosp"] += 1
    of_households = PovertyReview.objects.filter(**{f"household__{k}": v for k, v in household_filter.items()})
    reviews = list(of_households.values_list("household_id", "household__village_id", "year", "status"))
    if not reviews:
        return out
    # the lacking dimensions (JSON) are read only for the poor and near-poor, the only ones they count for
    lacks = {(hid, year): set(lacking or ()) for hid, year, lacking in of_households.filter(status__in=NEEDY)
             .values_list("household_id", "year", "lacking")}
    ids = {r[0] for r in reviews}
    members = defaultdict(list)
    for hid, by, minority, dis, rel, sex in Resident.objects.filter(household_id__in=ids).values_list(
            "household_id", "birth_year", "ethnicity__is_minority", "disability", "relation", "sex"):
        members[hid].append((by, minority, dis, rel, sex))
    lacking_info = {hid for (hid, _y), lk in lacks.items() if INFO & lk}
    visited = reached = set()
    if lacking_info:
        visited, reached = _information({(hid, vid) for hid, vid, *_ in reviews if hid in lacking_info})
    groups_of: dict[tuple, tuple] = {}  # resident_groups of each distinct (birth year, minority, …, year): few

    def groups(by, minority, dis, sex, year):
        key = (by, minority, dis, sex, year)
        got = groups_of.get(key)
        if got is None:
            got = groups_of[key] = resident_groups(birth_year=by, poverty_status=None, is_minority=minority,
                                                   disability=dis, sex=sex, year=year)
        return got

    # tallied by what a review counts for (a few thousand kinds in a province), then spelt out as counter keys
    tally: Counter = Counter()
    for hid, vid, year, status in reviews:
        flags = household_groups([(groups(by, minority, dis, sex, year), rel, sex)
                                  for by, minority, dis, rel, sex in members.get(hid, ())])
        info = None
        if status in NEEDY:
            lk = lacks.get((hid, year), set())
            either = bool(lk & INFO)
            info = ("telecom" in lk, "info_means" in lk, either, either and hid in visited,
                    either and hid in reached, either and hid not in visited and hid not in reached)
        tally[(vid, year, status, tuple(g for g in GROUPS if g in flags), info)] += 1
    for (vid, year, status, flags, info), n in tally.items():
        c, k = out[vid], f"pv:{year}:"
        poor, near = n * (status == "poor"), n * (status == "near_poor")
        c[f"{k}hh"] += n
        c[f"{k}poor"] += poor
        c[f"{k}near"] += near
        for g in flags:
            c[f"{k}{g}:hh"] += n
            c[f"{k}{g}:poor"] += poor
            c[f"{k}{g}:near"] += near
        if info is not None:
            for short, yes in zip(("telecom", "means", "either", "visited", "reached", "neither"), info):
                c[f"{k}i:{short}"] += n * yes
    return out


def _information(rows) -> tuple[set, set]:
    """Of ``rows`` (household id, village id, …) of poor or near-poor households lacking information: those
    visited by the team (at least one visit) and those a loudspeaker reaches (they hear one, or their village
    has a working one)."""
    ids = {r[0] for r in rows}
    # Household.status is visits' HouseholdStatus (a relation by name: poverty does not import visits)
    visited = set(Household.objects.filter(pk__in=ids, status__visits__gt=0).values_list("pk", flat=True))
    speakers = speaker_villages({r[1] for r in rows})
    reached = set(Household.objects.filter(pk__in=ids, hears_loudspeaker=True).values_list("pk", flat=True))
    reached |= {r[0] for r in rows if r[1] in speakers}
    return visited, reached


def _visited_counts(household_filter: dict) -> dict[int, Counter]:
    out: dict[int, Counter] = defaultdict(Counter)
    rows = [r for r in PovertyReview.objects.filter(status__in=NEEDY, **{f"household__{k}": v for k, v in
                                                                        household_filter.items()})
            .values_list("household_id", "household__village_id", "year", "lacking") if INFO & set(r[3] or ())]
    if not rows:
        return out
    visited, reached = _information(rows)
    for hid, vid, year, _lacking in rows:
        out[vid][f"pv:{year}:i:visited"] += hid in visited
        out[vid][f"pv:{year}:i:neither"] += hid not in visited and hid not in reached
    return out


# --- read back ------------------------------------------------------------------------------------------------

def year_keys(year: int) -> list[str]:
    k = f"pv:{year}:"
    return ([f"{k}hh", f"{k}poor", f"{k}near"] + [f"{k}{g}:{x}" for g in GROUPS for x in ("hh", "poor", "near")]
            + [f"{k}i:{x}" for x in INFO_KEYS.values()])


def rate(n, d):
    return round(100.0 * n / d, 2) if d else None


def _year(c: Counter, year: int, prefix: str = "") -> dict:
    k = f"pv:{year}:{prefix}"
    total, poor, near = c[f"{k}hh"], c[f"{k}poor"], c[f"{k}near"]
    return {"households": total, "poor": poor, "near_poor": near, "poor_rate": rate(poor, total),
            "near_poor_rate": rate(near, total)}


def from_counters(c: Counter, year: int, labels: bool = True) -> dict:
    """The figures of one place for ``year`` and the year before from its counters ``c`` (the keys of
    ``year_keys``): the poverty page's and the dashboard's one structure."""
    cur, prev = {"year": year, **_year(c, year)}, {"year": year - 1, **_year(c, year - 1)}
    change = {k: (round(cur[k] - prev[k], 2) if cur[k] is not None and prev[k] is not None else None)
              for k in ("poor_rate", "near_poor_rate")}
    groups = {g: ({"label": str(label)} if labels else {}) | _year(c, year, f"{g}:") for g, label in GROUPS.items()}
    k = f"pv:{year}:i:"
    info = {"poor_or_near_poor": cur["poor"] + cur["near_poor"],
            **{name: c[f"{k}{short}"] for name, short in INFO_KEYS.items()}}
    return {"year": year, "current": cur, "previous": prev, "change_pp": change, "groups": groups,
            "information": info}


def read(place: Place) -> Counter:
    """The counters of ``place`` (one read of its own rows, whatever the size of the place)."""
    return counters.counters(place)


# --- the dashboard's provider (insights.providers) --------------------------------------------------------------

def pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def poverty_figures(place: Place, today: datetime.date | None = None, households: int | None = None,
                    children: list | None = None) -> dict:
    """The dashboard's poverty section: the poverty page's figures of the default year (``from_counters``),
    access, and the poor rate of each place below, from the counters (one read)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    year = default_year(today)
    kids = list(children or [])
    mine = read(place)
    c = counters.counters_for([k.pk for k in kids], [f"pv:{year}:{x}" for x in ("hh", "poor", "near")])
    out = from_counters(mine, year, labels=False)
    hh = mine["hh"] if households is None else households
    out["access"] = {"villages": mine["nvill"], "with_4g": mine["ac:4g"], "with_wifi": mine["ac:wifi"],
                     "with_loudspeaker": mine["ac:speaker"], "households_without_smartphone": mine["ac:nosp"],
                     "households_without_smartphone_pct": pct(mine["ac:nosp"], hh)}
    out["children"] = [{"code": k.code, "name": k.name, **_year(c[k.pk], year)} for k in kids]
    return out


def report_tables(p: dict, *, Table, Fig, kinds, prefix: str) -> list:
    """The poverty tables of the dashboard's report (``insights.report``): as on the page, each figure keyed."""
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    INT, PCT, TEXT, _DATE = kinds
    sheet = _("Poverty")
    cur, prev, ch = p["current"], p["previous"], p["change_pp"]
    y, y0 = str(cur["year"]), str(prev["year"])
    rates = Table(_("Poverty review %(year)s") % {"year": y},
                  [(_("Indicator"), TEXT), (y0, INT), (y, INT), ("% " + y0, PCT), ("% " + y, PCT),
                   (_("Change (percentage points)"), PCT)], sheet=sheet)

    def row(label, key, rate_key=None):
        return [label, Fig(prev[key], f"{prefix}.previous.{key}"), Fig(cur[key], f"{prefix}.current.{key}"),
                Fig(prev[rate_key], f"{prefix}.previous.{rate_key}") if rate_key else "",
                Fig(cur[rate_key], f"{prefix}.current.{rate_key}") if rate_key else "",
                Fig(ch[rate_key], f"{prefix}.change_pp.{rate_key}") if rate_key else ""]

    rates.rows = [row(_("Households reviewed"), "households"),
                  row(pgettext("households", "Poor"), "poor", "poor_rate"),
                  row(pgettext("households", "Near-poor"), "near_poor", "near_poor_rate")]
    groups = Table(_("Poverty by group, %(year)s") % {"year": y},
                   [(_("Group"), TEXT), (_("Households"), INT), (pgettext("households", "Poor"), INT), ("%", PCT),
                    (pgettext("households", "Near-poor"), INT), ("%", PCT)], sheet=sheet)
    for g, x in p["groups"].items():
        k = f"{prefix}.groups.{g}"
        groups.rows.append([str(GROUPS[g]), Fig(x["households"], f"{k}.households"), Fig(x["poor"], f"{k}.poor"),
                            Fig(x["poor_rate"], f"{k}.poor_rate"), Fig(x["near_poor"], f"{k}.near_poor"),
                            Fig(x["near_poor_rate"], f"{k}.near_poor_rate")])
    i = p["information"]
    info_labels = {"poor_or_near_poor": _("Poor or near-poor households"),
                   "lacking_telecom": _("of them lacking telecom services"),
                   "lacking_info_means": _("of them lacking the means to receive information"),
                   "lacking_either": _("of them lacking at least one"),
                   "of_those_visited": _("of those, visited by the team"),
                   "of_those_reached_by_loudspeaker": _("of those, hearing a loudspeaker"),
                   "of_those_neither": _("of those, reached by nobody")}
    info = Table(_("Lacking information, %(year)s") % {"year": y}, [(_("Households"), TEXT), (_("Number"), INT)],
                 sheet=sheet)
    info.rows = [[label, Fig(i[key], f"{prefix}.information.{key}")] for key, label in info_labels.items()]
    a = p["access"]
    access = Table(_("Access to information"), [(_("Indicator"), TEXT), (_("Number"), INT), ("%", PCT)], sheet=sheet)
    access.rows = [
        [_("Villages"), Fig(a["villages"], f"{prefix}.access.villages"), ""],
        [_("Villages with 4G"), Fig(a["with_4g"], f"{prefix}.access.with_4g"), ""],
        [_("Villages with free wifi"), Fig(a["with_wifi"], f"{prefix}.access.with_wifi"), ""],
        [_("Villages with a loudspeaker"), Fig(a["with_loudspeaker"], f"{prefix}.access.with_loudspeaker"), ""],
        [_("Households without a smartphone"),
         Fig(a["households_without_smartphone"], f"{prefix}.access.households_without_smartphone"),
         Fig(a["households_without_smartphone_pct"], f"{prefix}.access.households_without_smartphone_pct")],
    ]
    out = [rates, groups, info, access]
    if p["children"]:
        kids = Table(_("Poverty of the places below, %(year)s") % {"year": y},
                     [(_("Name"), TEXT), (_("Households reviewed"), INT), (pgettext("households", "Poor"), INT),
                      ("%", PCT), (pgettext("households", "Near-poor"), INT), ("%", PCT)],
                     sheet=_("Poverty, places below"))
        for k in p["children"]:
            key = f"{prefix}.children[{k['code']}]"
            kids.rows.append([k["name"], Fig(k["households"], f"{key}.households"), Fig(k["poor"], f"{key}.poor"),
                              Fig(k["poor_rate"], f"{key}.poor_rate"), Fig(k["near_poor"], f"{key}.near_poor"),
                              Fig(k["near_poor_rate"], f"{key}.near_poor_rate")])
        out.append(kids)
    return out
