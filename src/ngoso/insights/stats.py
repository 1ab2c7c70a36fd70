"""Counts for ``ngoso stats``: places by level and type, households, residents, teams, members."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef

from ngoso.accounts.scope import within
from ngoso.people.models import Household, Resident
from ngoso.places.models import Place
from ngoso.teams.models import Member, Membership, Team


def stats(place=None) -> dict:
    places = Place.objects.all() if place is None else Place.objects.under(place)
    current = places.filter(valid_to__isnull=True)
    if place is not None and not place.is_current:  # a former unit: its villages live on in today's tree
        current = Place.objects.formerly_under(place).filter(valid_to__isnull=True)
    historic = places.filter(valid_to__isnull=False)

    def scope(qs):
        return qs if place is None else within(qs, place)

    by_level = {row["level"]: row["n"] for row in current.values("level").annotate(n=Count("id")).order_by("level")}
    by_type = {row["type__code"]: row["n"] for row in current.values("type__code").annotate(n=Count("id"))
               .order_by("type__code")}
    hist = {row["level"]: row["n"] for row in historic.values("level").annotate(n=Count("id")).order_by("level")}
    teams = scope(Team.objects.filter(active=True))
    return {
        "places": {"province": by_level.get("province", 0), "commune": by_level.get("commune", 0),
                   "village": by_level.get("village", 0)},
        "place_types": by_type,
        "historic_places": {"province": hist.get("province", 0), "district": hist.get("district", 0),
                            "commune": hist.get("commune", 0)},
        "households": scope(Household.objects.all()).count(),
        "residents": scope(Resident.objects.all()).count(),
        "teams": teams.count(),
        "teams_by_level": {row["level"]: row["n"] for row in teams.values("level").annotate(n=Count("id"))
                           .order_by("level")},
        "members": scope(Member.objects.filter(memberships__ended_on__isnull=True).distinct()).count(),
    }


def place_figures(place: Place) -> dict:
    """The figures of a place's page, read from the counters (``counters.read``: a few rows whatever the size of
    the place), never by counting households or residents: villages, households, living residents; teams and
    their members are counted (a few per village, not per resident)."""
    from .counters import counters

    c = counters(place)
    teams = within(Team.objects.filter(active=True), place)
    return {
        "places": {"village": c["nvill"]},
        "households": c["hh"],
        "residents": c["res"],
        "teams": teams.count(),
        "members": within(Member.objects.filter(Exists(Membership.objects.filter(member=OuterRef("pk"),
                                                                                ended_on__isnull=True))),
                          place).count(),  # EXISTS: 3× faster than a join with DISTINCT on a province
    }


def children_figures(children) -> dict[int, dict[str, int]]:
    """{child id: {"households", "residents", "villages"}} for the places listed below a place, from their own
    counters (one query for the list, not one per village)."""
    from .counters import counters_for

    c = counters_for([k.pk for k in children], ["hh", "res", "nvill"])
    return {k.pk: {"households": c[k.pk]["hh"], "residents": c[k.pk]["res"], "villages": c[k.pk]["nvill"]}
            for k in children}
