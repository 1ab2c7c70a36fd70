"""One person, one record: candidate duplicate residents and households, scored by one function.

``score_residents(a, b)`` is the rule: folded names (``core.text.fold``: accents, case and spacing do not
count) compared with the Damerau–Levenshtein similarity (a typo, a missing or swapped letter costs one) and
with the words sorted (a name written family name last); birth years equal, one apart, two apart or with two
digits swapped (1958/1985); sex (different: never the same person); the same phone; the same household or
village. ``score_households`` compares address, phone and the people in them.

Candidate pairs come from *blocking*, never from comparing everyone with everyone: two residents are
compared only when they share a key — same village, sex and first letter of the given name; same village,
sex and birth year; same phone; same sex, given name and birth year anywhere in the area — so the work
grows with the size of the blocks, not with the square of a commune. It runs on SQLite and PostgreSQL alike
(decision 0014). The same pairing serves the background scan per commune (``scan``), the import preview
(``matches``: incoming rows against the registry) and the review page; pairs a reviewer said are not the
same (``DuplicateDecision``) are never proposed again.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz.distance import DamerauLevenshtein

from ngoso.accounts.scope import scoped, within
from ngoso.core.text import fold
from ngoso.places.models import Level

THRESHOLD = 0.9       # a likely duplicate: proposed on the review page and by the background scan
WARN_THRESHOLD = 0.85  # a possible one: listed in the import preview and warned of on the phone, where the
#                        person choosing is at hand (bench/registration.py: precision and recall of each)

RESIDENT_VALUES = ("id", "uuid", "full_name", "search_name", "sex", "birth_year", "phone_digits", "household_id",
                   "household__code", "household__alley", "household__house_number", "household__village_id",
                   "household__village__name", "household__village__path")


@dataclass
class Pair:
    kind: str          # "resident" | "household"
    a: dict
    b: dict
    score: float
    evidence: list = field(default_factory=list)  # (key, Vietnamese, English)

    @property
    def ids(self) -> tuple[int, int]:
        return tuple(sorted((self.a["id"], self.b["id"])))


def name_similarity(a: str, b: str) -> float:
    """Similarity of two folded names, 0..1: typos cost one edit each; word order does not count."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    direct = DamerauLevenshtein.normalized_similarity(a, b)
    sorted_ = DamerauLevenshtein.normalized_similarity(" ".join(sorted(a.split())), " ".join(sorted(b.split())))
    return max(direct, sorted_)


def year_similarity(a: int | None, b: int | None) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if abs(a - b) == 1:
        return 0.7
    if sorted(str(a)) == sorted(str(b)) and sum(x != y for x, y in zip(str(a), str(b))) == 2:
        return 0.8  # two digits swapped: 1958 / 1985, the commonest typing error in a year
    if abs(a - b) == 2:
        return 0.4
    return 0.0


def _folded(row: dict) -> str:
    return row.get("search_name") or fold(row.get("full_name"))


def score_residents(a: dict, b: dict) -> tuple[float, list]:
    """How likely two resident rows (``RESIDENT_VALUES``) are one person, 0..1, and the evidence for it."""
    if a.get("sex") and b.get("sex") and a["sex"] != b["sex"]:
        return 0.0, [("sex", "khác giới tính", "different sex")]
    ev = []
    name = name_similarity(_folded(a), _folded(b))
    if name == 1.0:
        ev.append(("name", "cùng tên (không kể dấu)", "same name (accents aside)"))
    elif name >= 0.8:
        ev.append(("name", f"tên gần giống ({name:.0%})", f"similar name ({name:.0%})"))
    year = year_similarity(a.get("birth_year"), b.get("birth_year"))
    if year == 1.0:
        ev.append(("birth_year", "cùng năm sinh", "same birth year"))
    elif year > 0:
        ev.append(("birth_year", "năm sinh gần ({}/{})".format(a["birth_year"], b["birth_year"]),
                   "close birth years ({}/{})".format(a["birth_year"], b["birth_year"])))
    if a.get("household_id") and a.get("household_id") == b.get("household_id"):
        place = 0.1
        ev.append(("household", "cùng hộ", "same household"))
    elif a.get("household__village_id") and a.get("household__village_id") == b.get("household__village_id"):
        place = 0.03
        ev.append(("village", "cùng thôn", "same village"))
    else:
        place = -0.05  # namesakes in different villages are common: another village counts against
    score = 0.6 * name + 0.3 * year + place
    pa, pb = a.get("phone_digits"), b.get("phone_digits")
    if pa and pb:
        if pa == pb:
            score += 0.15
            ev.append(("phone", "cùng số điện thoại", "same phone"))
        else:
            score -= 0.1
    return round(max(0.0, min(1.0, score)), 3), ev


def _keys(row: dict) -> list[tuple]:
    words = _folded(row).split()
    given = words[-1] if words else ""
    vid, sex, year = row.get("household__village_id"), row.get("sex"), row.get("birth_year")
    keys = [("v", vid, sex, given[:1]), ("y", vid, sex, year), ("g", sex, given, year)]
    if row.get("phone_digits"):
        keys.append(("p", row["phone_digits"]))
    return keys


def _plausible(a: dict, b: dict) -> bool:
    """Cheap test before the name comparison: a pair with unrelated birth years and no shared phone cannot
    reach either threshold (its best score is 0.7)."""
    if a.get("phone_digits") and a.get("phone_digits") == b.get("phone_digits"):
        return True
    return year_similarity(a.get("birth_year"), b.get("birth_year")) > 0


def resident_pairs(rows: list[dict], against: list[dict] | None = None, *, threshold: float = THRESHOLD,
                   skip: set | None = None) -> list[Pair]:
    """Likely duplicate pairs among ``rows`` (or between ``rows`` and ``against``: incoming rows against the
    registry), best first. ``skip``: id pairs (smaller first) already decided "not the same"."""
    skip = skip or set()
    blocks: dict[tuple, list] = defaultdict(list)
    for r in against if against is not None else rows:
        for k in _keys(r):
            blocks[k].append(r)
    seen, out = set(), []

    def consider(x, y):
        if x is y or (against is None and x["id"] == y["id"]):
            return
        key = (id(x), id(y)) if against is not None else tuple(sorted((x["id"], y["id"])))
        if key in seen:
            return
        seen.add(key)
        if against is None and key in skip:
            return
        if not _plausible(x, y):
            return
        score, ev = score_residents(x, y)
        if score >= threshold:
            out.append(Pair("resident", x, y, score, ev))

    if against is None:
        for members in blocks.values():
            for x, y in itertools.combinations(members, 2):
                consider(x, y)
    else:
        for x in rows:
            for k in _keys(x):
                for y in blocks.get(k, ()):
                    consider(x, y)
    out.sort(key=lambda p: -p.score)
    return out


def exact_pairs(rows: list[dict]) -> list[tuple[int, int]]:
    """The plain baseline: same name exactly (with its accents), same birth year, same sex (bench/)."""
    groups = defaultdict(list)
    for r in rows:
        groups[(r["full_name"].strip().lower(), r["birth_year"], r["sex"])].append(r["id"])
    return [tuple(sorted(p)) for ids in groups.values() for p in itertools.combinations(ids, 2)]


# --- households -------------------------------------------------------------------------------------------

def score_households(a: dict, b: dict, shared: int = 0) -> tuple[float, list]:
    """How likely two households (``{"id", "village_id", "alley", "house_number", "phone_digits",
    "people": n}``) are one, 0..1: same address in the same village, same phone, residents likely the same
    (``shared``)."""
    if a.get("village_id") != b.get("village_id"):
        return 0.0, []
    ev, score = [], 0.0
    addr_a = (fold(a.get("alley")), fold(a.get("house_number")))
    if addr_a[1] and addr_a == (fold(b.get("alley")), fold(b.get("house_number"))):
        score += 0.45
        ev.append(("address", "cùng địa chỉ", "same address"))
    if a.get("phone_digits") and a.get("phone_digits") == b.get("phone_digits"):
        score += 0.3
        ev.append(("phone", "cùng số điện thoại", "same phone"))
    if shared:
        smaller = max(1, min(a.get("people", 1) or 1, b.get("people", 1) or 1))
        score += 0.55 * min(1.0, shared / smaller)
        ev.append(("people", f"{shared} người có thể trùng", f"{shared} likely same people"))
    return round(min(1.0, score), 3), ev


def household_pairs(households: list[dict], person_pairs: list[Pair], *, threshold: float = THRESHOLD,
                    skip: set | None = None) -> list[Pair]:
    skip = skip or set()
    by_id = {h["id"]: h for h in households}
    shared: dict[tuple, int] = defaultdict(int)
    for p in person_pairs:
        ha, hb = p.a["household_id"], p.b["household_id"]
        if ha != hb:
            shared[tuple(sorted((ha, hb)))] += 1
    blocks = defaultdict(list)
    for h in households:
        if fold(h.get("house_number")):
            blocks[("a", h["village_id"], fold(h.get("alley")), fold(h.get("house_number")))].append(h["id"])
        if h.get("phone_digits"):
            blocks[("p", h["phone_digits"])].append(h["id"])
    cands = set(shared)
    for ids in blocks.values():
        cands.update(tuple(sorted(p)) for p in itertools.combinations(ids, 2))
    out = []
    for key in cands:
        if key in skip or key[0] not in by_id or key[1] not in by_id:
            continue
        score, ev = score_households(by_id[key[0]], by_id[key[1]], shared.get(key, 0))
        if score >= threshold:
            out.append(Pair("household", by_id[key[0]], by_id[key[1]], score, ev))
    out.sort(key=lambda p: -p.score)
    return out


# --- the registry ------------------------------------------------------------------------------------------

def _decided(kind: str) -> set:
    from .models import DuplicateDecision

    return set(DuplicateDecision.objects.filter(kind=kind, same=False).values_list("low", "high"))


def resident_rows(qs) -> list[dict]:
    return list(qs.filter(status="").values(*RESIDENT_VALUES).iterator(chunk_size=5000))


def household_rows(qs) -> list[dict]:
    from django.db.models import Count, Q

    return list(qs.annotate(people=Count("residents", filter=Q(residents__status=""))).values(
        "id", "code", "village_id", "village__name", "village__path", "alley", "house_number", "phone_digits",
        "people"))


def scan(place, user=None, *, threshold: float = THRESHOLD) -> dict:
    """Likely duplicates within ``place`` (a commune, a village): residents and households, best first,
    without the pairs already answered "not the same". ``user``: only what their area holds."""
    from .models import Household, Resident

    res_qs = within(Resident.objects.all(), place)
    hh_qs = within(Household.objects.all(), place)
    if user is not None:
        res_qs, hh_qs = scoped(res_qs, user), scoped(hh_qs, user)
    people = resident_pairs(resident_rows(res_qs), threshold=threshold, skip=_decided("resident"))
    homes = household_pairs(household_rows(hh_qs), people, threshold=threshold, skip=_decided("household"))
    return {"residents": people, "households": homes}


def last_scan(place):
    """When duplicates were last looked for in ``place``: the newest scan of it or of a place holding it (a
    commune's scan covers its villages), else the newest scan of a place under it; None: never."""
    from .models import DuplicateScan

    parts = place.path.strip("/").split("/")
    holding = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    for qs in (DuplicateScan.objects.filter(place_path__in=holding), within(DuplicateScan.objects.all(), place)):
        newest = qs.order_by("-scanned_at").values_list("scanned_at", flat=True).first()
        if newest is not None:
            return newest
    return None


def matches(rows: list[dict], place, user=None, *, threshold: float = THRESHOLD) -> dict[int, list[Pair]]:
    """For incoming rows (an import, a registration; each with an ``id`` local to the batch, a ``sex``,
    ``full_name``, ``birth_year``, ``phone_digits`` and ``household__village_id``), the registry's likely
    matches within ``place``, keyed by the incoming row's ``id``."""
    from .models import Resident

    qs = within(Resident.objects.all(), place)
    if user is not None:
        qs = scoped(qs, user)
    out: dict[int, list[Pair]] = defaultdict(list)
    for p in resident_pairs(rows, resident_rows(qs), threshold=threshold):
        out[p.a["id"]].append(p)
    return out


def _path(row: dict, kind: str) -> str:
    return row["household__village__path"] if kind == "resident" else row["village__path"]


def scan_and_store(place, *, threshold: float = THRESHOLD) -> dict:
    """The background scan of one place (a commune, or every commune under a province, one at a time): its
    likely pairs replace the stored candidates under it (``DuplicateCandidate``, read by the review page)."""
    import time

    from django.db import transaction

    from django.utils import timezone

    from .merge import _common_path
    from .models import DuplicateCandidate, DuplicateScan

    if place.level in (Level.PROVINCE, Level.DISTRICT):
        out = {"places": 0, "residents": 0, "households": 0, "seconds": 0.0}
        for commune in place.children.filter(level=Level.COMMUNE):
            got = scan_and_store(commune, threshold=threshold)
            for k in out:
                out[k] += got.get(k, 1 if k == "places" else 0)
        return out
    t = time.perf_counter()
    found = scan(place, threshold=threshold)
    rows = [DuplicateCandidate(kind=p.kind, low=p.ids[0], high=p.ids[1], score=p.score,
                               evidence=[list(e) for e in p.evidence],
                               place_path=_common_path(_path(p.a, p.kind), _path(p.b, p.kind)))
            for p in found["residents"] + found["households"]]
    with transaction.atomic():
        within(DuplicateCandidate.objects.all(), place).delete()
        DuplicateCandidate.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        DuplicateScan.objects.update_or_create(place_path=place.path, defaults={"scanned_at": timezone.now()})
    return {"places": 1, "residents": len(found["residents"]), "households": len(found["households"]),
            "seconds": round(time.perf_counter() - t, 2)}


def stored(user, place, limit: int = 100) -> list:
    """The stored candidates within ``place`` the user may see, without those decided since or whose
    records are gone, best first, as ``Pair``s (rows: ``RESIDENT_VALUES`` / household rows)."""
    from .models import DuplicateCandidate, DuplicateDecision, Household, Resident

    cands = list(within(scoped(DuplicateCandidate.objects.all(), user), place)[: limit * 2])
    decided = set(DuplicateDecision.objects.filter(low__in=[c.low for c in cands]).values_list("kind", "low", "high"))
    ids = {"resident": set(), "household": set()}
    for c in cands:
        ids[c.kind].update((c.low, c.high))
    res = {r["id"]: r for r in scoped(Resident.objects.filter(id__in=ids["resident"]), user).values(*RESIDENT_VALUES)}
    hh = {h["id"]: h for h in household_rows(scoped(Household.objects.filter(id__in=ids["household"]), user))}
    out = []
    for c in cands:
        rows = res if c.kind == "resident" else hh
        if (c.kind, c.low, c.high) in decided or c.low not in rows or c.high not in rows:
            continue
        out.append(Pair(c.kind, rows[c.low], rows[c.high], c.score, [tuple(e) for e in c.evidence]))
        if len(out) >= limit:
            break
    return out
