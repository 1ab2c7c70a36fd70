"""Dashboards at province scale: render time (p50/p95) against a plain group-by over the raw records.

    .venv/bin/python bench/dashboard.py            # builds bench/out/province (once, ≈5 min), then measures

Uses the province-scale demo with a year of visits (several million skill records) in its own SQLite
database under bench/out/, so the developer's database is untouched. Prints, for the province, five
communes, a former district and a village: the dashboard page's p50/p95 over 20 renders, and the time
to compute the same headline figures on the fly from the raw records (latest skill record per resident
and skill, visits per week, households and residents), and the ratio. Also the time a new visit takes
to reach every level's counters.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "out" / "province"
os.environ["NGOSO_DATA_DIR"] = str(DATA)
os.environ.pop("NGOSO_DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
os.environ["NGOSO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from ngoso.core.db import ensure_migrated  # noqa: E402

REPS = 20
UNTIL = datetime.date(2026, 11, 27)


def ensure_demo() -> None:
    ensure_migrated()
    from ngoso.people.models import Household
    from ngoso.visits.models import SkillRecord

    if Household.objects.count() > 400_000 and SkillRecord.objects.exists():
        return
    from ngoso.demo import builder

    if Household.objects.exists():
        builder.reset_database()
    t = time.perf_counter()
    print("building the province-scale demo with a year of visits (once) …", flush=True)
    builder.build("province", seed=42, progress=lambda m: None, until=UNTIL)
    print(f"built in {time.perf_counter() - t:.0f} s", flush=True)


def timed(fn, reps=REPS):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[int(0.95 * (len(out) - 1))]


RAW_SQL = """
SELECT sr.skill_id, sr.level, COUNT(*) FROM (
  SELECT s.skill_id, s.level, ROW_NUMBER() OVER (PARTITION BY s.resident_id, s.skill_id
                                                 ORDER BY s.observed_on DESC, s.recorded_at DESC, s.id DESC) AS rn
  FROM visits_skillrecord s
  JOIN people_resident r ON r.id = s.resident_id
  JOIN people_household h ON h.id = r.household_id
  JOIN places_place v ON v.id = h.village_id
  WHERE v.{path} >= %s AND v.{path} < %s
    AND NOT EXISTS (SELECT 1 FROM visits_skillrecord c WHERE c.supersedes_id = s.id)
) sr WHERE sr.rn = 1 AND sr.level > 0 GROUP BY sr.skill_id, sr.level
"""


def raw_figures(place):
    """The headline figures on the fly: counts and group-bys over the raw records."""
    from ngoso.places.models import subtree_range

    low, high = subtree_range(place.path)
    path = "path" if place.is_current else "former_path"
    with connection.cursor() as c:
        c.execute(RAW_SQL.format(path=path), [low, high])
        skills = c.fetchall()
        c.execute(f"SELECT COUNT(*) FROM people_household h JOIN places_place v ON v.id = h.village_id "
                  f"WHERE v.{path} >= %s AND v.{path} < %s", [low, high])
        hh = c.fetchone()
        c.execute(f"SELECT COUNT(*) FROM people_resident r JOIN people_household h ON h.id = r.household_id "
                  f"JOIN places_place v ON v.id = h.village_id WHERE v.{path} >= %s AND v.{path} < %s", [low, high])
        res = c.fetchone()
        c.execute(f"SELECT x.visited_on, COUNT(*) FROM visits_visit x JOIN people_household h ON h.id = x.household_id "
                  f"JOIN places_place v ON v.id = h.village_id WHERE v.{path} >= %s AND v.{path} < %s "
                  f"AND x.visited_on >= %s GROUP BY x.visited_on", [low, high, UNTIL - datetime.timedelta(weeks=26)])
        weeks = c.fetchall()
    return skills, hh, res, weeks


def main() -> int:
    ensure_demo()
    from ngoso.accounts.models import User
    from ngoso.people.models import Household, Resident
    from ngoso.places.models import Place
    from ngoso.visits.models import SkillRecord, Visit

    print(f"data: {Household.objects.count():,} households, {Resident.objects.count():,} residents, "
          f"{Visit.objects.count():,} visits, {SkillRecord.objects.count():,} skill records")
    client = Client()
    client.force_login(User.objects.get(username="tinh"))
    province = Place.objects.get(code="24")
    communes = list(Place.objects.filter(parent=province).order_by("code"))[::12][:5]
    district = Place.objects.get(code="old-216")
    village = Place.objects.filter(parent=communes[0]).order_by("code").first()
    targets = [("province", province)] + [("commune", c) for c in communes] + [("former district", district),
                                                                               ("village", village)]
    print(f"\n{'place':<32} {'page p50':>9} {'page p95':>9} {'raw p50':>9} {'raw/page':>9}")
    worst = 0.0
    for kind, place in targets:
        url = f"/places/{place.code}/dashboard/"
        assert client.get(url).status_code == 200
        p50, p95 = timed(lambda: client.get(url))
        r50, _ = timed(lambda: raw_figures(place), reps=3)
        worst = max(worst, p95)
        print(f"{kind + ' ' + place.name:<32.32} {p50:8.1f}ms {p95:8.1f}ms {r50:8.0f}ms {r50 / p50:8.0f}x", flush=True)
    print(f"\nworst dashboard p95: {worst:.0f} ms   target < 300 ms: {'OK' if worst < 300 else 'MISSED'}")

    # freshness: a visit recorded now reaches every level's counters
    from ngoso.visits import services
    from ngoso.insights.dashboard import dashboard

    member_user = User.objects.get(username="thanhvien")
    hh = Household.objects.filter(assignments__member__user=member_user, assignments__ended_on__isnull=True).first()
    before = dashboard(province)["visits"]["total"]
    t = time.perf_counter()
    services.record_visit(member_user, hh, visited_on=datetime.date.today(),
                          results=[services.SkillResult(hh.residents.first().pk, "zalo-messaging", 2)])
    ms = (time.perf_counter() - t) * 1000
    after = dashboard(province)["visits"]["total"]
    print(f"a new visit: recorded and rolled up to village, commune, province and the former units in {ms:.0f} ms "
          f"(province visits {before:,} -> {after:,})")
    return 0 if worst < 300 and after == before + 1 else 1


if __name__ == "__main__":
    sys.exit(main())
