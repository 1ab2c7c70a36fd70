"""Demo access sites (mobile sites, wifi, loudspeakers) and two years of poverty reviews.

Deterministic per seed. Plains villages mostly have 4G, wifi at the cultural house and a loudspeaker
cluster; mountain villages less often. Reviews for the two years before the demo year give a poor rate
near the province's (≈3.8 % then ≈2.6 %), consistent with each household's recorded status.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.core.db import insert_rows
from ngoso.core.messages import Message, both
from ngoso.people.models import Household
from ngoso.places.models import Level, Place
from ngoso.poverty import classify, standard_for_year

ALL = ["employment", "dependants", "nutrition", "health_insurance", "adult_education", "child_schooling",
       "housing_quality", "housing_area", "water", "sanitation", "telecom", "info_means"]


def build_access(seed: int, progress=lambda m: None) -> dict:
    import json

    rng = random.Random(f"access-{seed}")
    sites = []
    for v in Place.objects.filter(level=Level.VILLAGE, valid_to__isnull=True).order_by("id"):
        hill = v.mountainous
        if rng.random() < (0.75 if hill else 0.97):
            tech = "4G" if rng.random() < (0.7 if hill else 0.97) else "3G"
            sites.append((f"BTS-{v.code}", "bts", f"Trạm {v.name}", v.pk, rng.choice(["Viettel", "VNPT", "MobiFone"]),
                          tech, "", "active", v.latitude, v.longitude))
        if rng.random() < (0.55 if hill else 0.85):
            sites.append((f"WIFI-{v.code}", "wifi", f"Wifi nhà văn hoá {v.name}", v.pk, "", "",
                          "Nhà văn hoá thôn", "active", v.latitude, v.longitude))
        if rng.random() < (0.7 if hill else 0.92):
            sites.append((f"LOA-{v.code}", "loudspeaker", f"Cụm loa {v.name}", v.pk, "", "", "",
                          "active" if rng.random() < 0.93 else "broken", v.latitude, v.longitude))
    year = timezone.localdate().year
    rows, now = [], timezone.now()
    for hid, status, smart, tv, radio, speaker in Household.objects.order_by("id").values_list(
            "id", "poverty_status", "has_smartphone", "has_tv", "has_radio", "hears_loudspeaker").iterator(chunk_size=20000):
        for y, extra in ((year - 2, 0.012), (year - 1, 0.0)):
            st = status or ("poor" if rng.random() < extra else "")
            lacking = set(rng.sample(ALL[:10], k=rng.randint(0, 2)))
            if not smart:
                lacking.add("telecom") if rng.random() < 0.5 else None
            if not (tv or radio or smart or speaker):
                lacking.add("info_means")
            if st == "poor":
                while len(lacking) < 3:
                    lacking.add(rng.choice(ALL))
                income = rng.randint(700_000, 1_500_000)
            elif st == "near_poor":
                lacking = set(list(lacking)[:2])
                income = rng.randint(900_000, 1_500_000)
            else:
                income = rng.randint(1_600_000, 6_000_000)
            std = standard_for_year(y)
            r = classify(std.code, "rural", income, lacking)
            rows.append((hid, y, std.code, "rural", income, json.dumps(sorted(lacking)), r.status,
                         json.dumps(r.reasons, ensure_ascii=False), now, now))
    with transaction.atomic():
        insert_rows("poverty_accesssite", ["code", "kind", "name", "village_id", "operator", "technology",
                                           "location_type", "status", "latitude", "longitude"], sites)
        insert_rows("poverty_povertyreview", ["household_id", "year", "standard", "area_type", "income", "lacking",
                                              "status", "reasons", "created_at", "updated_at"], rows)
    progress(both(Message(_("access sites: %(sites)s · poverty reviews: %(reviews)s"), sites=f"{len(sites):,}",
                          reviews=f"{len(rows):,}")))
    return {"sites": len(sites), "reviews": len(rows)}
