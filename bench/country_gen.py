"""The national slice's generator (used by ``bench/country.py``): real provinces and communes, generated
villages, households, residents, teams, users and a year of visits, written with PostgreSQL ``COPY``.

The rows are the demo builder's (``ngoso.demo.builder._build_people``/``_build_teams`` and
``ngoso.demo.activity.build_activity``: same households, families, skill progressions, seeded), only the
writer changes: ``insert_rows`` (``executemany``) is swapped for ``copy_rows`` (psycopg's ``cursor.copy()``)
while the slice is built. The derived tables are the project's own: current levels and household status by
``visits.rules`` (what a real visit uses) inside ``build_activity``, the counters by ``counters.rebuild``.
``check_sample`` recomputes a sample of them from the raw records with the project's functions.

Villages: the real current communes of each province (``vietnam-provinces``), 14–24 generated villages each
(≈19, the demo province's 4,600 households per commune at full density), households per village as the demo.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter

from django.db import connection, transaction

ANCHOR = "24"  # Bắc Ninh: the reference province is the demo's


def copy_rows(table: str, columns, rows, batch: int = 0) -> int:
    """``insert_rows`` with COPY: one COPY statement per call (the caller holds the transaction)."""
    qn = connection.ops.quote_name
    n = 0
    with connection.cursor() as c:
        with c.cursor.copy(f"COPY {qn(table)} ({', '.join(qn(x) for x in columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
    return n


def pick_provinces(n: int) -> list[str]:
    """The anchor province first, then the provinces whose commune count is nearest to its own (a slice of
    provinces of the demo's size, not the two cities), deterministically."""
    import json

    import vietnam_provinces

    data = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    size = {f"{p['code']:02d}": len(p["wards"]) for p in data}
    anchor = size[ANCHOR]
    rest = sorted((c for c in size if c != ANCHOR), key=lambda c: (abs(size[c] - anchor), c))
    return [ANCHOR, *rest[: n - 1]]


def build(province_codes: list[str], density: float, seed: int, until: datetime.date, log=print) -> dict:
    from ngoso.accounts.models import Role, User
    from ngoso.core.db import reset_sequences
    from ngoso.demo import activity, builder
    from ngoso.places.models import Level, Place, PlaceType
    from ngoso.places.services import load_official_places

    timings = {}
    builder.insert_rows = copy_rows  # the writer only; the rows are the demo's
    activity.insert_rows = copy_rows
    gen = builder._Gen(seed)
    rng = gen.rng
    t = time.perf_counter()
    with transaction.atomic():
        load_official_places()
        types = {x.code: x for x in PlaceType.objects.all()}
        districts = sorted(builder.DISTRICT_CENTRES)
        villages, communes, new_places = [], [], []
        provinces = [Place.objects.get(code=c, valid_to__isnull=True) for c in province_codes]
        for prov in provinces:
            for commune in Place.objects.filter(parent=prov, level=Level.COMMUNE).order_by("code"):
                district = rng.choice(districts)
                urban = commune.type.code == "phuong"
                clat, clon = builder.DISTRICT_CENTRES[district]
                communes.append(commune.pk)
                for i in range(rng.randint(14, 24)):
                    tcode = "to-dan-pho" if urban else ("ban" if district in builder.MOUNTAIN and rng.random() < 0.45
                                                       else "thon")
                    word = rng.choice(gen.village_words)
                    name = f"Tổ dân phố số {i + 1}" if urban else f"{'Bản' if tcode == 'ban' else 'Thôn'} {word} {i + 1}"
                    v = Place(code=f"{commune.code}.{i + 1:03d}", name=name, short_name=name.split(" ", 1)[1],
                              type=types[tcode], parent=commune, latitude=round(clat + rng.uniform(-0.1, 0.1), 6),
                              longitude=round(clon + rng.uniform(-0.1, 0.1), 6),
                              mountainous=district in builder.MOUNTAIN)
                    v.compute_paths()
                    new_places.append(v)
                    villages.append((v, district, urban))
        Place.objects.bulk_create(new_places, batch_size=2000)
    timings["places_s"] = time.perf_counter() - t
    log(f"  places: {len(provinces)} provinces, {len(communes):,} communes, {len(villages):,} villages "
        f"({timings['places_s']:.0f} s)")
    first = villages[0][0]
    places = builder._Places(provinces[0], communes, villages, Place.objects.get(pk=first.parent_id), first)
    t = time.perf_counter()
    with transaction.atomic():
        builder._build_people(gen, places, lambda m: None, density)
    timings["people_s"] = time.perf_counter() - t
    log(f"  households and residents ({timings['people_s']:.0f} s)")
    t = time.perf_counter()
    with transaction.atomic():
        builder._build_teams(gen, places, lambda m: None)
        for prov in provinces:
            u = User(username=f"bench-{prov.code}", role=Role.PROVINCE_ADMIN, place=prov, is_staff=True)
            u.set_unusable_password()
            u.save()
    builder._analyze()
    timings["teams_s"] = time.perf_counter() - t
    t = time.perf_counter()
    last = [0.0]

    def progress(m):
        if time.perf_counter() - last[0] > 60:
            last[0] = time.perf_counter()
            log(f"    {m}")

    totals = activity.build_activity(seed, until, progress)  # ends with counters.rebuild
    timings["activity_and_counters_s"] = time.perf_counter() - t
    log(f"  a year of visits, current levels, status and counters ({timings['activity_and_counters_s']:.0f} s)")
    reset_sequences(Place, User)
    t = time.perf_counter()
    builder._analyze()
    timings["analyze_s"] = time.perf_counter() - t
    return {"provinces": province_codes, "communes": len(communes), "villages": len(villages),
            "timings": {k: round(v, 1) for k, v in timings.items()}, **totals}


def check_sample(seed: int = 1, residents: int = 300, villages: int = 40) -> dict:
    """Derived rows of a random sample recomputed from the raw records with the project's own functions:
    current levels (``visits.rules.current_levels``) and each village's counters (``counters.village_counters``,
    the function ``counters.rebuild`` sums up the tree)."""
    from ngoso.insights import counters
    from ngoso.places.models import Level, Place
    from ngoso.visits import rules
    from ngoso.visits.models import ResidentSkill, SkillRecord

    rng = random.Random(seed)
    with connection.cursor() as c:
        c.execute("SELECT max(id) FROM people_resident")
        top = c.fetchone()[0]
    ids = sorted({rng.randint(1, top) for _ in range(residents)})
    recs = SkillRecord.objects.filter(resident_id__in=ids).values_list(
        "resident_id", "skill_id", "level", "observed_on", "recorded_at", "id")
    want = {k: v[0] for k, v in rules.current_levels(list(recs)).items()}
    have = {(r, s): lvl for r, s, lvl in ResidentSkill.objects.filter(resident_id__in=ids)
            .values_list("resident_id", "skill_id", "level")}
    levels_ok = want == have
    vids = list(Place.objects.filter(level=Level.VILLAGE).order_by("?").values_list("id", flat=True)[:villages])
    computed = counters.village_counters(vids)
    stored = counters.read(vids)
    diff = [v for v in vids if +Counter(computed[v]) != +Counter(stored.get(v, Counter()))]
    return {"residents": len(ids), "levels_equal": levels_ok, "villages": len(vids), "village_counters_equal": not diff,
            "differing_villages": diff[:5]}
