"""Issue 19: duplicate scan precision/recall and time per commune; offline registration over emulated 3G.

    .venv/bin/python bench/registration.py                       # province demo (built once, no visits)
    .venv/bin/python bench/registration.py --scale commune       # the commune demo only (quick)
    .venv/bin/python bench/registration.py --communes 20         # scan a sample of communes

1. **Duplicate scan.** Builds the demo (without its year of visits) in its own SQLite database under
   bench/out/registration-<scale>/, then injects duplicates of 2 % of the residents, each changed the way
   lists differ: a typo in the name (a letter replaced, dropped or two swapped), the accents missing, the birth
   year's last two digits swapped or one year off, and/or a different household (of the same village or another
   village of the commune). For each commune it runs ``people.duplicates.resident_pairs`` (the scan the review
   page and the background scan use) and a plain exact-match baseline (same name with its accents, same birth
   year, same sex) over the same rows, and reports precision and recall against the injected truth and the
   time per commune. Pairs the demo itself holds (two real namesakes born the same year in one village) count
   as false positives: a reviewer would see them too.
2. **Offline registration.** 50 new households with 200 residents and their first visits (one visit per
   household, two residents present, one skill result each) pushed in one batch, as the app sends its queue,
   through the real sync API (Django's test client, in process); the time is the server's plus the transfer
   over emulated 3G (300 ms round trip, 750 kbit/s up, 1.6 Mbit/s down, as tests/sync/test_field_app.py emulates
   for Chromium), and the bytes both ways. Then the same batch is replayed: every record must come back
   ``duplicate`` and the database must hold exactly one copy.
3. **Offline edits.** The phone's next push: 160 corrections (the 50 heads' birth years, 50 phone numbers, 50
   house numbers, and 10 birth years of residents the commune changed on the web after the phone's pull), over
   the same emulated 3G; the 10 must come back as conflicts for a leader with the server's values kept, and the
   replay must store nothing (all ``duplicate``, no conflict twice).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--scale", choices=["commune", "province"], default="province")
ap.add_argument("--rate", type=float, default=0.02, help="share of residents duplicated (default 0.02)")
ap.add_argument("--communes", type=int, default=0, help="scan only this many communes (0: all)")
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--registration-only", action="store_true", help="skip the scan (the demo and truth are kept)")
args = ap.parse_args()

DATA = HERE / "out" / f"registration-{args.scale}"
os.environ["NGOSO_DATA_DIR"] = str(DATA)
os.environ.pop("NGOSO_DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
os.environ["NGOSO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"

import django  # noqa: E402

django.setup()

from ngoso.core.db import ensure_migrated  # noqa: E402
from ngoso.core.text import fold  # noqa: E402

def ensure_demo() -> None:
    ensure_migrated()
    from ngoso.people.models import Household

    if Household.objects.exists():
        return
    from ngoso.demo import builder

    t = time.perf_counter()
    print(f"building the {args.scale} demo (once, without visits) …", flush=True)
    builder.build(args.scale, seed=42, progress=lambda m: None, activity=False)
    print(f"built in {time.perf_counter() - t:.0f} s", flush=True)


# --- injecting duplicates --------------------------------------------------------------------------------

VOWELS = "aeiouy"


def typo(name: str, rnd: random.Random) -> str:
    words = name.split()
    i = rnd.randrange(len(words))
    w = words[i]
    if len(w) < 2:
        return name
    k = rnd.randrange(len(w) - 1)
    kind = rnd.choice(["swap", "drop", "replace"])
    if kind == "swap":
        w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    elif kind == "drop" and len(w) > 2:
        w = w[:k] + w[k + 1:]
    else:
        w = w[:k] + rnd.choice("anhtmcg") + w[k + 1:]
    words[i] = w
    return " ".join(words)


def strip_accents(name: str) -> str:
    return " ".join(w.capitalize() for w in fold(name).split())


def swap_year(y: int, rnd: random.Random) -> int:
    s = str(y)
    if rnd.random() < 0.5 and s[2] != s[3]:
        return int(s[:2] + s[3] + s[2])
    return y + rnd.choice((-1, 1))


def inject(rate: float, seed: int) -> list[tuple[int, int]]:
    """Create the duplicates (once; their ids are kept in bench/out/…/truth.json). Returns (original, copy)."""
    truth_file = DATA / "truth.json"
    if truth_file.exists():
        return [tuple(x) for x in json.loads(truth_file.read_text())]
    from django.db import transaction

    from ngoso.people.models import Household, Resident

    rnd = random.Random(seed)
    ids = list(Resident.objects.values_list("id", flat=True))
    chosen = sorted(rnd.sample(ids, int(len(ids) * rate)))
    by_village: dict[int, list[int]] = {}
    for hid, vid in Household.objects.values_list("id", "village_id"):
        by_village.setdefault(vid, []).append(hid)
    village_commune = dict(__import__("ngoso.places.models", fromlist=["Place"]).Place.objects
                           .filter(level="village").values_list("id", "parent_id"))
    commune_villages: dict[int, list[int]] = {}
    for v, c in village_commune.items():
        commune_villages.setdefault(c, []).append(v)
    copies = []
    originals = Resident.objects.in_bulk(chosen)
    hh_village = dict(Household.objects.values_list("id", "village_id"))
    for rid in chosen:
        r = originals[rid]
        name, year, hid = r.full_name, r.birth_year, r.household_id
        changes = rnd.sample(["typo", "accents", "year", "household"], k=rnd.choice((1, 2)))
        if "typo" in changes:
            name = typo(name, rnd)
        if "accents" in changes:
            name = strip_accents(name)
        if "year" in changes:
            year = swap_year(year, rnd)
        if "household" in changes:
            v = hh_village[hid]
            if rnd.random() < 0.3:  # another village of the same commune
                v = rnd.choice(commune_villages[village_commune[v]])
            hid = rnd.choice(by_village[v])
        copies.append(Resident(household_id=hid, full_name=name, search_name=fold(name), sex=r.sex,
                               birth_year=max(1890, year), ethnicity_id=r.ethnicity_id, phone=r.phone,
                               phone_digits=r.phone_digits, relation="other"))
    with transaction.atomic():
        made = Resident.objects.bulk_create(copies, batch_size=2000)
    truth = [(a, b.pk) for a, b in zip(chosen, made)]
    truth_file.write_text(json.dumps(truth))
    return truth


def scan(truth) -> dict:
    from ngoso.accounts.scope import within
    from ngoso.people import duplicates
    from ngoso.people.models import Resident
    from ngoso.places.models import Place

    communes = list(Place.objects.filter(level="commune", valid_to__isnull=True)
                    .filter(children__level="village").distinct().order_by("code"))
    if args.communes:
        communes = random.Random(args.seed).sample(communes, min(args.communes, len(communes)))
    truth_set = {tuple(sorted(p)) for p in truth}
    totals = {"fuzzy": [0, 0, 0], "warn": [0, 0, 0], "exact": [0, 0, 0]}  # true positives, predicted, truth
    times, base_times, residents = [], [], 0
    for c in communes:
        rows = duplicates.resident_rows(within(Resident.objects.all(), c))
        if not rows:
            continue
        residents += len(rows)
        ids = {r["id"] for r in rows}
        here = {p for p in truth_set if p[0] in ids and p[1] in ids}
        t = time.perf_counter()
        scored = duplicates.resident_pairs(rows, threshold=duplicates.WARN_THRESHOLD)
        times.append(time.perf_counter() - t)
        found = {p.ids for p in scored if p.score >= duplicates.THRESHOLD}
        warn = {p.ids for p in scored}
        t = time.perf_counter()
        exact = set(duplicates.exact_pairs(rows))
        base_times.append(time.perf_counter() - t)
        for key, pred in (("fuzzy", found), ("warn", warn), ("exact", exact)):
            totals[key][0] += len(pred & here)
            totals[key][1] += len(pred)
            totals[key][2] += len(here)
    out = {"communes": len(times), "residents": residents, "injected": sum(1 for _ in truth_set)}
    for key, (tp, pred, real) in totals.items():
        out[key] = {"precision": tp / pred if pred else 0.0, "recall": tp / real if real else 0.0,
                    "true_pairs": tp, "proposed": pred, "injected_in_scanned": real}
    out["time_per_commune_s"] = {"median": statistics.median(times), "max": max(times), "total": sum(times)}
    out["baseline_time_per_commune_s"] = {"median": statistics.median(base_times), "total": sum(base_times)}
    return out


# --- offline registration over emulated 3G ---------------------------------------------------------------

RTT, UP, DOWN = 0.300, 750_000 / 8, 1_600_000 / 8


def registration() -> dict:
    from django.test import Client

    from ngoso.people.models import Household, Resident
    from ngoso.people.registration import household_code
    from ngoso.sync.models import DeviceToken
    from ngoso.teams.models import Member
    from ngoso.visits.models import Visit

    member = Member.objects.filter(user__isnull=False, user__role="member").select_related("user__place").first()
    user = member.user
    village = user.place if user.place.level == "village" else member.place
    dev, token = DeviceToken.issue(user, "bench")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rnd = random.Random(args.seed)
    records = []
    for i in range(50):
        hid = uuid.uuid4()
        code = household_code(hid)
        records.append({"type": "new_household", "uuid": str(hid), "village": village.code, "alley": str(i % 9 + 1),
                        "house_number": str(100 + i), "access": {"has_smartphone": bool(i % 2)}})
        people = []
        for j in range(4):
            rid = uuid.uuid4()
            people.append(str(rid))
            records.append({"type": "new_resident", "uuid": str(rid), "household": code,
                            "full_name": f"Người Mới {i} {j} {rnd.choice('ABCDEGHKLMN')}",
                            "sex": "female" if j % 2 else "male", "birth_year": 1950 + rnd.randrange(70),
                            "ethnicity": "01", "relation": "head" if j == 0 else "child",
                            "consent": {"given": True, "method": "oral"}})
        records.append({"type": "visit", "uuid": str(uuid.uuid4()), "household": code,
                        "visited_on": time.strftime("%Y-%m-%d"), "present": people[:2],
                        "results": [{"resident": people[0], "skill": "zalo-messaging", "level": 1}]})
    body = json.dumps({"sent_at": time.strftime("%Y-%m-%dT%H:%M:%S+07:00"), "records": records}).encode()
    out = {}
    for label in ("first", "replay"):
        t = time.perf_counter()
        resp = client.post("/api/v1/sync/push", body, content_type="application/json")
        server = time.perf_counter() - t
        answer = resp.content
        counts = json.loads(answer)["counts"]
        transfer = RTT + len(body) / UP + len(answer) / DOWN
        out[label] = {"records": len(records), "counts": counts, "server_s": round(server, 3),
                      "emulated_3g_s": round(server + transfer, 3), "bytes_up": len(body), "bytes_down": len(answer)}
    codes = [r.get("uuid") for r in records if r["type"] == "new_household"]
    out["stored_once"] = (Household.objects.filter(uuid__in=codes).count() == 50
                          and Resident.objects.filter(household__uuid__in=codes).count() == 200
                          and Visit.objects.filter(household__uuid__in=codes).count() == 50)
    out["edits"] = offline_edits(client, user, records, rnd)
    return out


def offline_edits(client, user, registered: list[dict], rnd) -> dict:
    """The next push of the same phone: corrections made offline (docs/sync.md "Edits") — every new head's
    birth year (with the value the phone had), 50 phone numbers (the person's consent is on record), 50 house
    numbers, and 10 birth years of residents of the area that the commune changed on the web after the phone's
    pull (with the version the pull gave): those 10 must come back as conflicts, never written. Replayed: all
    ``duplicate``, no conflict recorded twice."""
    from ngoso.accounts.scope import scoped
    from ngoso.people.models import Resident
    from ngoso.sync.models import SyncConflict

    heads = [r for r in registered if r["type"] == "new_resident" and r["relation"] == "head"]
    others = [r for r in registered if r["type"] == "new_resident" and r["relation"] != "head"][:50]
    edits = []
    for r in heads:
        edits.append({"type": "resident", "uuid": str(uuid.uuid4()), "resident": r["uuid"],
                      "changes": {"birth_year": {"from": r["birth_year"], "to": r["birth_year"] - 1}}})
    for i, r in enumerate(others):
        edits.append({"type": "resident", "uuid": str(uuid.uuid4()), "resident": r["uuid"],
                      "changes": {"phone": {"from": "", "to": f"09{rnd.randrange(10**8):08d}"}}})
    for r in registered:
        if r["type"] == "new_household":
            edits.append({"type": "household", "uuid": str(uuid.uuid4()), "household": household_code_of(r),
                          "changes": {"house_number": {"from": r["house_number"], "to": r["house_number"] + "A"}}})
    # residents of the area the phone pulled (their version), changed on the server before the phone's push
    pulled = list(scoped(Resident.objects.filter(status="").exclude(uuid__in=[r["uuid"] for r in registered]),
                         user).order_by("id")[:10])
    for res in pulled:
        edits.append({"type": "resident", "uuid": str(uuid.uuid4()), "resident": str(res.uuid),
                      "base": res.updated_at.isoformat(),
                      "changes": {"birth_year": {"from": res.birth_year, "to": res.birth_year + 2}}})
        res.birth_year += 1  # the commune, on the web
        res.save()
    before = SyncConflict.objects.count()
    body = json.dumps({"sent_at": time.strftime("%Y-%m-%dT%H:%M:%S+07:00"), "records": edits}).encode()
    out = {}
    for label in ("first", "replay"):
        t = time.perf_counter()
        resp = client.post("/api/v1/sync/push", body, content_type="application/json")
        server = time.perf_counter() - t
        answer = json.loads(resp.content)
        transfer = RTT + len(body) / UP + len(resp.content) / DOWN
        out[label] = {"records": len(edits), "counts": answer["counts"], "server_s": round(server, 3),
                      "emulated_3g_s": round(server + transfer, 3), "bytes_up": len(body),
                      "bytes_down": len(resp.content),
                      "conflicts": sum(len(x.get("conflicts") or []) for x in answer["results"])}
    out["conflicts_stored"] = SyncConflict.objects.count() - before
    out["not_overwritten"] = all(Resident.objects.get(pk=r.pk).birth_year == r.birth_year for r in pulled)
    return out


def household_code_of(rec: dict) -> str:
    from ngoso.people.registration import household_code

    return household_code(rec["uuid"])


def main() -> int:
    ensure_demo()
    truth = inject(args.rate, args.seed)
    print(f"injected {len(truth)} duplicates ({args.rate:.0%} of the residents)", flush=True)
    s = scan(truth) if not args.registration_only else None
    if s is not None:
        report(s)
    r = registration()
    print("\noffline registration: 50 households, 200 residents, 50 first visits in one push")
    for label in ("first", "replay"):
        x = r[label]
        print(f"  {label}: {x['counts']}, server {x['server_s']:.2f} s, over emulated 3G {x['emulated_3g_s']:.2f} s, "
              f"{x['bytes_up']:,} bytes up, {x['bytes_down']:,} bytes down")
    print(f"  stored once after the replay: {r['stored_once']}")
    e = r["edits"]
    print(f"\noffline edits, the next push: {e['first']['records']} corrections (50 birth years, 50 phones, "
          f"50 house numbers, 10 on records changed on the server since the pull)")
    for label in ("first", "replay"):
        x = e[label]
        print(f"  {label}: {x['counts']}, {x['conflicts']} conflicts, server {x['server_s']:.2f} s, over emulated 3G "
              f"{x['emulated_3g_s']:.2f} s, {x['bytes_up']:,} bytes up, {x['bytes_down']:,} bytes down")
    print(f"  conflicts stored: {e['conflicts_stored']} (expected 10), server values kept: {e['not_overwritten']}")
    ok = r["stored_once"] and r["replay"]["counts"]["duplicate"] == 300 and r["first"]["counts"]["created"] == 300
    ok = ok and e["first"]["counts"]["created"] == 160 and e["replay"]["counts"]["duplicate"] == 160 \
        and e["conflicts_stored"] == 10 and e["not_overwritten"]
    return 0 if ok else 1


def report(s) -> None:
    print(f"\nduplicate scan, {args.scale} demo: {s['communes']} communes, {s['residents']:,} residents")
    for key, label in (("fuzzy", "people.duplicates, likely (≥ 0.90: the review page)"),
                       ("warn", "people.duplicates, possible (≥ 0.85: import preview, phone warning)"),
                       ("exact", "baseline: exact name + year + sex")):
        r = s[key]
        print(f"  {label}: precision {r['precision']:.1%}, recall {r['recall']:.1%} "
              f"({r['true_pairs']} of {r['injected_in_scanned']} injected found, {r['proposed']} pairs proposed)")
    tc, bt = s["time_per_commune_s"], s["baseline_time_per_commune_s"]
    print(f"  time per commune: median {tc['median'] * 1000:.0f} ms, max {tc['max'] * 1000:.0f} ms, "
          f"all {tc['total']:.1f} s (baseline median {bt['median'] * 1000:.1f} ms)")


if __name__ == "__main__":
    sys.exit(main())
