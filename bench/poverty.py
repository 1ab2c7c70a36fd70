"""Poverty's figures as counters (issue 15 item 1): what they cost and what they save, against baselines in the same run.

    .venv/bin/python bench/poverty.py [--density 0.05] [--reps 15]

Builds the province demo (Bắc Ninh, ``--density`` of the households, no year of visits) once into its own
SQLite database under bench/out/poverty, gives every household a review for each of two years (income and
lacking dimensions drawn at random, classified by the real standard; one in five villages a loudspeaker, one in
three a 4G site), then rebuilds the counters and measures, p50 over ``--reps``:

1. the poverty page's figures of the province and of a commune: the old count of the reviews row by row (the
   page's code before, kept here as the baseline) against ``services.rates`` (the counters);
2. the province dashboard's figures (``dashboard.dashboard``) with the poverty provider and without it;
3. a visit recorded (``visits.services.record_visit``, one household) with poverty's counter sources and without
   them: what the sources add to every write;
4. a full rebuild of the counters with and without the sources.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from timing import p50  # noqa: E402  (bench/ is the script's folder)

HERE = Path(__file__).resolve().parent
DATA = HERE / "out" / "poverty"
sys.path.insert(0, str(HERE.parent / "src"))
os.environ["NGOSO_DATA_DIR"] = str(DATA)
os.environ.pop("NGOSO_DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count, Q  # noqa: E402

from ngoso.core.db import ensure_migrated  # noqa: E402

REVIEW_YEARS = (2024, 2025)


def ab(set_base, set_new, fn, reps: int) -> tuple[float, float]:
    """p50 of ``fn`` under the baseline and under the new setting, alternated rep by rep (a busy machine's
    drift falls on both alike)."""
    base, new = [], []
    for _ in range(reps):
        for setting, out in ((set_base, base), (set_new, new)):
            setting()
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
    set_new()
    return statistics.median(base), statistics.median(new)


def ensure_data(density: float) -> None:
    ensure_migrated()
    from ngoso.insights import counters
    from ngoso.people.models import Household
    from ngoso.places.models import Level, Place
    from ngoso.poverty import classify, standard_for_year
    from ngoso.poverty.models import AccessSite, PovertyReview

    if Household.objects.count() > 10_000 and PovertyReview.objects.exists():
        return
    from ngoso.demo import builder

    t = time.perf_counter()
    if Household.objects.count() <= 10_000:
        if Household.objects.exists():
            builder.reset_database()
        print(f"building the province demo at density {density} (once) …", flush=True)
        builder.build("province", seed=42, progress=lambda m: None, density=density, activity=False)
    for model in (PovertyReview, AccessSite):  # no signals: the counters are rebuilt below
        model.objects.all()._raw_delete(model.objects.db)
    rng = random.Random(7)
    dims = ["telecom", "info_means", "water", "sanitation", "housing_quality", "health_insurance", "child_schooling"]
    rows = []
    for hid in Household.objects.values_list("id", flat=True).iterator(chunk_size=20000):
        for year in REVIEW_YEARS:
            income = rng.choice([800_000, 1_200_000, 1_500_000, 2_000_000, 3_500_000])
            lacking = sorted(rng.sample(dims, rng.choice([0, 0, 1, 2, 3, 4])))
            std = standard_for_year(year)
            r = classify(std.code, "rural", income, set(lacking))
            rows.append(PovertyReview(household_id=hid, year=year, standard=std.code, area_type="rural", income=income,
                                      lacking=lacking, status=r.status, reasons=r.reasons))
    PovertyReview.objects.bulk_create(rows, batch_size=5000)
    sites = []
    for n, vid in enumerate(Place.objects.filter(level=Level.VILLAGE).values_list("id", flat=True)):
        if n % 5 == 0:
            sites.append(AccessSite(code=f"LOA-{vid}", kind="loudspeaker", village_id=vid))
        if n % 3 == 0:
            sites.append(AccessSite(code=f"BTS-{vid}", kind="bts", technology="4G", village_id=vid))
    AccessSite.objects.bulk_create(sites, batch_size=5000)
    counters.rebuild()
    print(f"built in {time.perf_counter() - t:.0f} s", flush=True)


def old_rates(place, year: int) -> dict:
    """The poverty page's figures as they were counted before the counters: from the reviews, row by row."""
    from ngoso.accounts.scope import within
    from ngoso.people.models import Household, Resident
    from ngoso.people.targets import household_groups, resident_groups
    from ngoso.poverty import figures
    from ngoso.poverty.models import PovertyReview

    reviews = within(PovertyReview.objects.all(), place)

    def one(y):
        return reviews.filter(year=y).aggregate(total=Count("id"), poor=Count("id", filter=Q(status="poor")),
                                                near=Count("id", filter=Q(status="near_poor")))

    cur, prev = one(year), one(year - 1)
    this_year = reviews.filter(year=year)
    status = dict(this_year.values_list("household_id", "status"))
    rows = list(this_year.filter(status__in=("poor", "near_poor")).values_list("household_id", "lacking"))
    members = defaultdict(list)
    for hid, by, minority, dis, rel, sex in Resident.objects.filter(
            household__in=this_year.values("household_id")).values_list(
            "household_id", "birth_year", "ethnicity__is_minority", "disability", "relation", "sex"):
        members[hid].append((resident_groups(birth_year=by, poverty_status=None, is_minority=minority,
                                             disability=dis, sex=sex, year=year), rel, sex))
    flags = {h: household_groups(members.get(h, ())) for h in status}
    groups = {g: sum(1 for h in status if g in flags[h]) for g in figures.GROUPS}
    lacking = [h for h, lk in rows if set(lk) & {"telecom", "info_means"}]
    visited = set(Household.objects.filter(pk__in=lacking, status__visits__gt=0).values_list("pk", flat=True))
    speakers = figures.speaker_villages(None)
    reached = set(Household.objects.filter(pk__in=lacking).filter(Q(hears_loudspeaker=True) | Q(village_id__in=speakers))
                  .values_list("pk", flat=True))
    return {"current": cur, "previous": prev, "groups": groups, "either": len(lacking), "visited": len(visited),
            "reached": len(reached)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--density", type=float, default=0.05)
    ap.add_argument("--reps", type=int, default=15)
    args = ap.parse_args()
    ensure_data(args.density)

    from ngoso.accounts.models import User
    from ngoso.insights import counters, dashboard, providers
    from ngoso.people.models import Household, Resident
    from ngoso.places.models import Place
    from ngoso.poverty import services
    from ngoso.poverty.models import PovertyReview
    from ngoso.visits.services import record_visit

    province = Place.objects.get(code="24")
    commune = Place.objects.filter(parent=province).order_by("code").first()
    year = REVIEW_YEARS[-1]
    print(f"data: {Household.objects.count():,} households, {Resident.objects.count():,} residents, "
          f"{PovertyReview.objects.count():,} reviews, {Place.objects.filter(level='village').count():,} villages")
    for place in (province, commune):  # the two ways agree before they are timed
        new, old = services.rates(place, year), old_rates(place, year)
        assert (new["current"]["households"], new["current"]["poor"], new["current"]["near_poor"]) == (
            old["current"]["total"], old["current"]["poor"], old["current"]["near"]), place.code
        assert {g: x["households"] for g, x in new["groups"].items()} == old["groups"]
        assert (new["information"]["lacking_either"], new["information"]["of_those_visited"],
                new["information"]["of_those_reached_by_loudspeaker"]) == (old["either"], old["visited"], old["reached"])

    print(f"\n{'measure':<52} {'baseline':>10} {'new':>10} {'ratio':>8}")

    def line(name, base, new):
        print(f"{name:<52} {base:9.1f}ms {new:9.1f}ms {base / new:7.1f}x", flush=True)

    for label, place in (("province", province), ("commune " + commune.name, commune)):
        base = p50(lambda: old_rates(place, year), max(3, args.reps // 3))
        new = p50(lambda: services.rates(place, year), args.reps)
        line(f"poverty page figures, {label}"[:52], base, new)

    saved = dict(providers._providers)
    without_poverty = {k: v for k, v in saved.items() if k != "poverty"}

    def providers_as(d):
        providers._providers.clear()
        providers._providers.update(d)

    base, new = ab(lambda: providers_as(without_poverty), lambda: providers_as(saved),
                   lambda: dashboard.dashboard(province), args.reps)
    line("province dashboard figures (without poverty = base)", base, new)

    user = User.objects.get(username="tinh")
    rng = random.Random(3)
    ids = list(Household.objects.values_list("id", flat=True))
    today = datetime.date.today()

    def visit():
        h = Household.objects.get(pk=rng.choice(ids))
        r = Resident.objects.filter(household=h).values_list("pk", flat=True).first()
        record_visit(user, h, visited_on=today, present=[r] if r else [])

    hsrc, vsrc = list(counters._household_sources), list(counters._village_sources)

    def sources(on: bool):
        counters._household_sources[:] = hsrc if on else []
        counters._village_sources[:] = vsrc if on else []

    # the visits' counters are the same either way (poverty's keys are only added): no rebuild between them
    base, new = ab(lambda: sources(False), lambda: sources(True), visit, args.reps)
    line("a visit recorded (without poverty's sources = base)", base, new)
    base, new = ab(lambda: sources(False), lambda: sources(True), counters.rebuild, 3)
    line("counters rebuild (without poverty's sources = base)", base, new)
    sources(True)
    counters.rebuild()
    counters.roll_up(wait=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
