"""A deterministic, realistic demo area: the former Bắc Giang province inside today's Bắc Ninh.

Real structure, generated people:

- current provinces and communes from the official list (``vietnam-provinces``);
- the former Bắc Giang province, its 10 district-level units and 192 communes (valid until 30 June 2025)
  from ``data/bac_giang_2025.csv`` (extracted from vietnam-provinces 2026.9.0, GPL-3.0), each linked to
  the current commune it was merged into;
- generated villages (≈10 per former commune), households and residents with plausible Vietnamese names,
  ages and household shapes; ethnic-minority shares higher in the mountain districts (Sơn Động, Lục Ngạn,
  Lục Nam, Yên Thế); about 2.6 % poor households; means of access to information;
- one team per village (4–9 members) and one per current commune, with leaders; one login per role.

Same ``seed`` -> same data, byte for byte (timestamps included). Rows are written with ``executemany``
and explicit ids, so the province scale (≈450,000 households, ≈1.8 million residents) builds in minutes.
"""

from __future__ import annotations

import datetime
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from ngoso.accounts.models import AuditEntry, Role, User
from ngoso.accounts.validators import DEMO_PASSWORD
from ngoso.core.db import insert_rows, reset_sequences
from ngoso.core.messages import Message, UserError, both
from ngoso.core.models import Job
from ngoso.core.text import fold
from ngoso.insights.models import CounterDelta, CounterState, PlaceCounter
from ngoso.insights.stats import stats
from ngoso.people.models import Consent, Erasure, Ethnicity, Household, Resident
from ngoso.places.models import Place, PlaceSuccession, PlaceType
from ngoso.places.services import REFORM_DATE, load_former_units, load_official_places
from ngoso.poverty.models import AccessSite, PovertyReview, VillageSurvey
from ngoso.radio.models import (Alert, Bulletin, ClusterDay, Command, Emergency, PlayLog, Programme,
                                SpeakerCluster)
from ngoso.sync.models import AppliedEdit, DeviceToken, SyncConflict
from ngoso.teams.models import Member, Membership, Team, TeamLevel
from ngoso.visits.models import Assignment, HouseholdStatus, ResidentSkill, SkillRecord, Visit

SCALES = ("village", "commune", "province")
DEMO_COMMUNE = "07351"       # Xã Ngọc Thiện (Tân Yên), home of the bánh nhôm success story
DEMO_FORMER_COMMUNE = "07360"  # the former Xã Ngọc Thiện
PROVINCE_CODE = "24"         # Bắc Ninh today (code 24, as Bắc Giang had)
EPOCH = datetime.datetime(2025, 9, 1, 8, 0, tzinfo=datetime.UTC)
REFERENCE_YEAR = 2026

# Approximate centres of the former district-level units (WGS84), for generated positions.
DISTRICT_CENTRES = {
    "213": (21.273, 106.194), "215": (21.520, 106.120), "216": (21.390, 106.095), "217": (21.375, 106.250),
    "218": (21.300, 106.390), "219": (21.430, 106.620), "220": (21.330, 106.850), "222": (21.270, 106.080),
    "223": (21.340, 105.960), "224": (21.375, 106.575),
}
# Share of households of an ethnic minority, by former district (mountain districts highest).
MINORITY_SHARE = {"213": 0.01, "215": 0.17, "216": 0.05, "217": 0.03, "218": 0.22, "219": 0.46,
                  "220": 0.55, "222": 0.03, "223": 0.02, "224": 0.40}
# Minority groups of the area and their weights.
MINORITY_MIX = [("Tày", 30), ("Nùng", 30), ("Sán Chay", 12), ("Sán Dìu", 10), ("Dao", 10), ("Hoa", 8)]
MOUNTAIN = {"218", "219", "220", "224", "215"}
MOBILE_PREFIXES = ["098", "097", "096", "086", "039", "038", "037", "036", "035", "034", "033", "032",
                   "091", "094", "088", "083", "084", "085", "081", "082", "090", "093", "070", "079", "077",
                   "089", "092", "056", "058"]


@dataclass
class DemoSummary:
    scale: str
    seed: int
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)
    activity: dict = field(default_factory=dict)
    access: dict = field(default_factory=dict)
    radio: dict = field(default_factory=dict)
    communes: int = 0          # current communes holding demo villages
    former_communes: int = 0   # communes before July 2025 holding demo villages
    logins: list = field(default_factory=list)
    livelihoods: dict = field(default_factory=dict)


def _names() -> dict:
    return json.loads(resources.files("ngoso.demo").joinpath("data/names.json").read_text("utf-8"))


def _former_csv() -> str:
    return resources.files("ngoso.demo").joinpath("data/bac_giang_2025.csv").read_text("utf-8")


class _Gen:
    """All random choices, from one seeded generator, in a fixed order."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        n = _names()
        self.surnames, self.surname_w = zip(*n["surnames"])
        self.minority_surnames = n["minority_surnames"]
        self.middle = n["middle_names"]
        self.given = n["given_names"]
        self.village_words = n["village_name_patterns"]["words"]
        self.streets = n.get("streets") or ["Lê Lợi"]
        self.orgs = n["organisations"]

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def phone(self) -> str:
        r = self.rng
        return r.choice(MOBILE_PREFIXES) + f"{r.randrange(10_000_000):07d}"

    def surname(self, ethnic: str | None) -> str:
        if ethnic and ethnic in self.minority_surnames and self.rng.random() < 0.85:
            return self.rng.choice(self.minority_surnames[ethnic])
        return self.rng.choices(self.surnames, self.surname_w)[0]

    def person_name(self, surname: str, sex: str, birth_year: int) -> str:
        r = self.rng
        key = "male" if sex == "male" else "female"
        middle = r.choice(self.middle[key][:3]) if birth_year < 1975 and r.random() < 0.6 else r.choice(self.middle[key])
        return f"{surname} {middle} {r.choice(self.given[key])}"


def _households_for_village(gen: _Gen, urban: bool, density: float) -> int:
    base = 300 if urban else 222
    return max(1, round(max(40, int(gen.rng.gauss(base, base * 0.25))) * density))


def _family(gen: _Gen) -> list[tuple[str, str, int]]:
    """(relation, sex, birth_year) for each member, head first."""
    r = gen.rng
    y = REFERENCE_YEAR
    kind = r.random()
    members = []
    if kind < 0.07:  # elderly living alone
        members.append(("head", r.choice(["female", "female", "male"]), y - r.randint(65, 92)))
    elif kind < 0.16:  # elderly couple
        hy = y - r.randint(62, 88)
        members += [("head", "male", hy), ("spouse", "female", hy + r.randint(0, 6))]
    elif kind < 0.62:  # couple with children
        hy = y - r.randint(26, 58)
        members += [("head", "male" if r.random() < 0.82 else "female", hy)]
        if r.random() < 0.93:
            members.append(("spouse", "female" if members[0][1] == "male" else "male", hy + r.randint(-2, 6)))
        for _ in range(r.choices([0, 1, 2, 3, 4], [8, 22, 45, 20, 5])[0]):
            members.append(("child", r.choice(["male", "female"]), min(y, hy + r.randint(20, 38))))
    elif kind < 0.94:  # three generations
        hy = y - r.randint(50, 75)
        members += [("head", "male" if r.random() < 0.78 else "female", hy)]
        if r.random() < 0.85:
            members.append(("spouse", "female" if members[0][1] == "male" else "male", hy + r.randint(-2, 6)))
        cy = hy + r.randint(22, 32)
        members.append(("child", "male", cy))
        members.append(("child_in_law", "female", cy + r.randint(-2, 4)))
        for _ in range(r.choices([1, 2, 3], [35, 50, 15])[0]):
            members.append(("grandchild", r.choice(["male", "female"]), min(y, cy + r.randint(20, 34))))
    else:  # single adult or siblings
        hy = y - r.randint(20, 60)
        members.append(("head", r.choice(["male", "female"]), hy))
        if r.random() < 0.4:
            members.append(("sibling", r.choice(["male", "female"]), hy + r.randint(-8, 8)))
    return members


class DemoError(UserError, RuntimeError):
    """The demo cannot be built here (a database that already holds households)."""


def build(scale: str = "commune", seed: int = 42, progress: Callable[[str], None] = print,
          density: float = 1.0, until: datetime.date | None = None, activity: bool = True) -> DemoSummary:
    """Build the demo area into an empty database (the caller has migrated it).

    ``density`` scales the number of households per village (1.0 = realistic); tests use a small one to
    check the province-wide structure quickly. ``until`` is the last day of the demo's year of visits
    (default: today); the same seed and ``until`` give the same data.
    """

    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}")
    if Household.objects.exists():
        raise DemoError(_("the database already holds households; use an empty database (--reset)"))
    t0 = time.perf_counter()
    summary = DemoSummary(scale, seed)
    gen = _Gen(seed)
    with transaction.atomic():
        places = _build_places(gen, scale, progress)
    with transaction.atomic():
        _build_people(gen, places, progress, density)
    with transaction.atomic():
        _build_teams(gen, places, progress)
        summary.logins = _build_users(places)
    _analyze()  # the steps below query the new rows: plan them with real statistics
    from .access import build_access

    summary.access = build_access(seed, progress)
    from django.utils import timezone as _tz

    from .livelihoods import build_livelihoods

    summary.livelihoods = build_livelihoods(seed, until or _tz.localdate(), DEMO_COMMUNE, progress)
    from .radio import build_radio

    summary.radio = build_radio(seed, progress)
    if activity:
        from django.utils import timezone

        from .activity import build_activity

        summary.activity = build_activity(seed, until or timezone.localdate(), progress)
    _analyze()
    summary.seconds = time.perf_counter() - t0

    summary.counts = stats()
    summary.communes = len(places.communes)
    summary.former_communes = len({v.former_parent_id for v, _, _ in places.villages})
    return summary


def _analyze() -> None:
    """Fresh planner statistics: without them PostgreSQL plans joins over the new rows as if the tables were
    empty (nested loops over hundreds of thousands of rows; a province build stalled for minutes)."""
    with connection.cursor() as c:
        c.execute("ANALYZE")


@dataclass
class _Places:
    province: object
    communes: list            # current communes that hold demo villages
    villages: list            # (Place, former district code, urban)
    demo_commune: object
    demo_village: object


def _build_places(gen: _Gen, scale: str, progress) -> _Places:
    progress(both(_("Places: the official provinces and communes …")))
    load_official_places()
    progress(both(_("Places: the former Bắc Giang province, 10 districts, the communes before July 2025 …")))
    former = load_former_units(_former_csv(), "vietnam-provinces 2026.9.0 (GPL-3.0)")
    province = Place.objects.get(code=PROVINCE_CODE, valid_to__isnull=True)
    PlaceSuccession.objects.get_or_create(predecessor=former.province, successor=province, date=REFORM_DATE,
                                          defaults={"partly": False, "source": "Nghị quyết 202/2025/QH15"})
    old_codes = sorted(former.communes)
    if scale != "province":
        old_codes = [c for c in old_codes if DEMO_COMMUNE in former.successor_of[c]]
    types = {t.code: t for t in PlaceType.objects.all()}
    current = {p.code: p for p in Place.objects.filter(parent=province)}
    rng = gen.rng
    villages = []
    seq: dict[str, int] = {}
    new_places = []
    commune_pos = {}
    used_words: dict[str, set] = {}
    names_in: dict[str, set] = {}
    for oc in old_codes:
        old = former.communes[oc]
        district = old.parent.official_code
        new_code = former.successor_of[oc][0]
        new = current[new_code]
        urban = old.type.code in ("phuong", "thi-tran")
        clat, clon = DISTRICT_CENTRES[district]
        clat, clon = clat + rng.uniform(-0.07, 0.07), clon + rng.uniform(-0.08, 0.08)
        commune_pos.setdefault(new_code, (clat, clon))
        n_villages = rng.randint(5, 14) if not urban else rng.randint(6, 13)
        if scale == "village":
            if oc != DEMO_FORMER_COMMUNE:
                continue
            n_villages = 1
        # Village names are unique within the new (merged) commune, as the merger required.
        taken = used_words.setdefault(new_code, set())
        free = [w for w in gen.village_words if w not in taken] or gen.village_words
        words = rng.sample(free, k=min(len(free), n_villages))
        taken.update(words)
        names = names_in.setdefault(new_code, set())
        for i in range(n_villages):
            seq[new_code] = seq.get(new_code, 0) + 1
            if urban:  # residential groups are numbered through the whole new ward
                tcode = "to-dan-pho"
                vname = f"Tổ dân phố số {sum(1 for n in names if n.startswith('Tổ dân phố')) + 1}"
            elif district in MOUNTAIN and rng.random() < 0.45:
                tcode, vname = "ban", f"Bản {words[i % len(words)]}"
            else:
                tcode, vname = "thon", f"Thôn {words[i % len(words)]}"
            base, k = vname, 1
            while vname in names:  # more villages than free words: "Thôn Đông 2", as villages are split
                k += 1
                vname = f"{base} {k}"
            names.add(vname)
            v = Place(code=f"{new_code}.{seq[new_code]:03d}", name=vname, short_name=vname.split(" ", 1)[1],
                      type=types[tcode], parent=new, former_parent=old,
                      latitude=round(clat + rng.uniform(-0.02, 0.02), 6),
                      longitude=round(clon + rng.uniform(-0.02, 0.02), 6),
                      mountainous=district in MOUNTAIN)
            v.compute_paths()
            new_places.append(v)
            villages.append((v, district, urban))
    Place.objects.bulk_create(new_places, batch_size=1000)
    for code, (lat, lon) in commune_pos.items():
        Place.objects.filter(code=code).update(latitude=round(lat, 6), longitude=round(lon, 6))
    communes = sorted({v.parent_id for v, _, _ in villages})
    demo_commune = current[DEMO_COMMUNE]
    demo_village = next(v for v, _, _ in villages if v.former_parent.official_code == DEMO_FORMER_COMMUNE)
    progress(both(Message(_("Places: %(villages)s villages in %(communes)s communes"), villages=len(villages),
                          communes=len(communes))))
    return _Places(province, communes, villages, demo_commune, demo_village)


def _build_people(gen: _Gen, places: _Places, progress, density: float = 1.0) -> None:
    rng = gen.rng
    eth = {e.name_vi: e.pk for e in Ethnicity.objects.all()}
    kinh = eth["Kinh"]
    mix_names, mix_w = zip(*MINORITY_MIX)
    sqlite = connection.vendor == "sqlite"
    ts = connection.ops.adapt_datetimefield_value(EPOCH)
    uid = (lambda u: u.hex) if sqlite else (lambda u: u)
    hh_id = (Household.objects.aggregate(m=Max("id"))["m"] or 0)
    res_id = (Resident.objects.aggregate(m=Max("id"))["m"] or 0)
    consent_id = (Consent.objects.aggregate(m=Max("id"))["m"] or 0)
    hh_rows, res_rows, consent_rows = [], [], []
    hh_cols = ["id", "uuid", "code", "village_id", "alley", "house_number", "address", "latitude", "longitude",
               "phone", "phone_digits", *Household.ACCESS_FIELDS, "poverty_status", "poverty_year",
               "created_at", "updated_at"]
    res_cols = ["id", "uuid", "household_id", "full_name", "search_name", "sex", "birth_year", "ethnicity_id",
                "phone", "phone_digits", "disability", "relation", "created_at", "updated_at"]
    consent_cols = ["id", "resident_id", "given", "method", "recorded_at", "recorded_by", "note"]
    total_v = len(places.villages)
    n_hh = n_res = 0

    def flush(final=False):
        nonlocal hh_rows, res_rows, consent_rows
        if len(res_rows) >= 50_000 or final:
            insert_rows("people_household", hh_cols, hh_rows)
            insert_rows("people_resident", res_cols, res_rows)
            insert_rows("people_consent", consent_cols, consent_rows)
            hh_rows, res_rows, consent_rows = [], [], []

    for vi, (village, district, urban) in enumerate(places.villages):
        n = _households_for_village(gen, urban, density)
        minority_share = MINORITY_SHARE[district]
        # poverty is commoner in the mountains; province-wide ≈2.6 % poor, ≈3.5 % near-poor
        poor_p = 0.055 if district in ("220", "219") else (0.035 if district in MOUNTAIN else 0.016)
        near_p = poor_p * 1.35
        vlat, vlon = village.latitude, village.longitude
        alleys = rng.randint(3, 12)
        for h in range(n):
            hh_id += 1
            minority = rng.random() < minority_share
            ethnic_name = rng.choices(mix_names, mix_w)[0] if minority else None
            ethnic_id = eth[ethnic_name] if minority else kinh
            surname = gen.surname(ethnic_name)
            family = _family(gen)
            x = rng.random()
            poverty = "poor" if x < poor_p else ("near_poor" if x < poor_p + near_p else "")
            elderly_only = all(REFERENCE_YEAR - by >= 60 for _, _, by in family)
            p_smart = 0.80 - (0.45 if elderly_only else 0) - (0.25 if poverty == "poor" else 0) - (0.1 if minority else 0)
            smart = rng.random() < p_smart
            feature = (not smart and rng.random() < 0.7) or rng.random() < 0.15
            alley = f"{rng.randint(1, alleys)}" if urban or rng.random() < 0.5 else ""
            phone = gen.phone() if smart or feature else ""
            hh_rows.append((
                hh_id, uid(gen.uuid()), f"{village.code}.{h + 1:04d}", village.pk, alley,
                str(rng.randint(1, 220)), "" if not urban else f"đường {rng.choice(gen.streets)}",
                round(vlat + rng.uniform(-0.004, 0.004), 6), round(vlon + rng.uniform(-0.004, 0.004), 6),
                phone, phone,
                smart, feature, rng.random() < 0.9, rng.random() < 0.12, rng.random() < (0.25 if urban else 0.08),
                rng.random() < (0.7 if urban else 0.42) and smart, smart and rng.random() < 0.8,
                rng.random() < 0.88,
                poverty, 2025 if poverty else None, ts, ts,
            ))
            for rel, sex, by in family:
                res_id += 1
                if rel in ("spouse", "child_in_law") or (rel == "head" and sex == "female"):
                    sname = gen.surname(ethnic_name)
                elif rel in ("parent",):
                    sname = surname
                else:
                    sname = surname
                name = gen.person_name(sname, sex, by)
                age = REFERENCE_YEAR - by
                person_phone = gen.phone() if 16 <= age <= 75 and rng.random() < (0.85 if smart else 0.35) else ""
                res_rows.append((
                    res_id, uid(gen.uuid()), hh_id, name, fold(name), sex, by, ethnic_id,
                    person_phone, person_phone, rng.random() < (0.08 if age >= 70 else 0.015), rel, ts, ts,
                ))
                consent_id += 1
                consent_rows.append((consent_id, res_id, True, "oral" if rel == "head" else "guardian", ts,
                                     "demo", "dữ liệu mẫu / demo data"))
                n_res += 1
            n_hh += 1
        flush()
        if vi % 100 == 0 or vi == total_v - 1:
            progress(both(Message(_("households: %(households)s · residents: %(residents)s (%(done)s/%(total)s "
                                    "villages)"), households=f"{n_hh:,}", residents=f"{n_res:,}", done=vi + 1,
                                  total=total_v)))
    flush(final=True)
    reset_sequences(Household, Resident, Consent)


def _build_teams(gen: _Gen, places: _Places, progress) -> None:
    rng = gen.rng
    founded = datetime.date(2022, 3, 15)
    team_id = Team.objects.aggregate(m=Max("id"))["m"] or 0
    member_id = Member.objects.aggregate(m=Max("id"))["m"] or 0
    ms_id = Membership.objects.aggregate(m=Max("id"))["m"] or 0
    teams, members, memberships = [], [], []
    communes = {p.pk: p for p in Place.objects.filter(pk__in=places.communes)}
    units = [(communes[pk], TeamLevel.COMMUNE) for pk in places.communes] + \
            [(v, TeamLevel.VILLAGE) for v, _, _ in places.villages]
    for place, level in units:
        team_id += 1
        label = "Tổ công nghệ số cộng đồng"
        teams.append((team_id, place.pk, level, f"{label} {place.name}", founded + datetime.timedelta(
            days=rng.randint(0, 120)), True))
        size = rng.randint(9, 15) if level == TeamLevel.COMMUNE else rng.choices(range(4, 10), [1, 2, 3, 5, 7, 7])[0]
        for i in range(size):
            member_id += 1
            ms_id += 1
            sex = rng.choice(["male", "female"])
            by = rng.randint(1966, 2006)
            name = gen.person_name(gen.surname(None), sex, by)
            org = rng.choice(gen.orgs) if i else ("Trưởng thôn" if level == TeamLevel.VILLAGE else "Công chức văn hoá - xã hội")
            members.append((member_id, place.pk, name, fold(name), sex, by, gen.phone(), org))
            role = "leader" if i == 0 else ("deputy" if i == 1 else "member")
            memberships.append((ms_id, member_id, team_id, role, founded + datetime.timedelta(days=rng.randint(0, 400)),
                                None))
    insert_rows("teams_team", ["id", "place_id", "level", "name", "founded_on", "active"], teams)
    member_rows = [(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[6], m[7]) for m in members]
    insert_rows("teams_member", ["id", "place_id", "full_name", "search_name", "sex", "birth_year", "phone",
                                 "phone_digits", "organisation"], member_rows)
    insert_rows("teams_membership", ["id", "member_id", "team_id", "role", "started_on", "ended_on"], memberships)
    reset_sequences(Team, Member, Membership)
    progress(both(Message(_("teams: %(teams)s · members: %(members)s"), teams=f"{len(teams):,}",
                          members=f"{len(members):,}")))


def _build_users(places: _Places) -> list[tuple[str, str, str, str]]:
    village_team_leader = Membership.objects.filter(team__place=places.demo_village, role="leader").select_related("member").first()
    village_member = Membership.objects.filter(team__place=places.demo_village, role="member").select_related("member").first()
    specs = [
        ("tinh", Role.PROVINCE_ADMIN, places.province, "Quản trị tỉnh / Province admin", None),
        ("xa", Role.COMMUNE_STAFF, places.demo_commune, "Cán bộ xã / Commune staff", None),
        ("truyenthanh", Role.RADIO_OPERATOR, places.demo_commune, "Truyền thanh xã / Radio operator", None),
        ("totruong", Role.TEAM_LEADER, places.demo_village, "Tổ trưởng / Team leader", village_team_leader),
        ("thanhvien", Role.MEMBER, places.demo_village, "Thành viên tổ / Team member", village_member),
        ("xem", Role.VIEWER, places.demo_commune, "Người xem / Viewer", None),
    ]
    logins = []
    for username, role, place, label, membership in specs:
        # a login that is a team member is that person (the pages say "name · role · place"; before, the demo's
        # leader read "Tổ trưởng · Tổ trưởng · Thôn Thống Nhất")
        name = membership.member.full_name if membership is not None else label.split(" / ")[0]
        user = User(username=username, role=role, place=place, first_name=name,
                    is_staff=role == Role.PROVINCE_ADMIN, is_superuser=role == Role.PROVINCE_ADMIN)
        user.set_password(DEMO_PASSWORD)
        user.save()
        if membership is not None:
            membership.member.user = user
            membership.member.save()
        logins.append((username, DEMO_PASSWORD, label, place.name))
    return logins


def reset_database() -> None:
    """Drop every row of the demo's tables (keeps the schema and the catalogues)."""

    with transaction.atomic():
        for model in (Alert, PlayLog, ClusterDay, Command, Emergency.targets.through, Emergency,
                      Programme.targets.through, Programme, Bulletin, SpeakerCluster):
            model.objects.all()._raw_delete(model.objects.db)

        from .livelihoods import reset_livelihoods

        reset_livelihoods()

        for model in (AccessSite, PovertyReview, VillageSurvey, SyncConflict, AppliedEdit, DeviceToken, PlaceCounter, CounterDelta, CounterState, ResidentSkill, SkillRecord, Visit.present.through, Visit,
                      HouseholdStatus, Assignment, Membership, Member, Team, Consent, Resident, Household, Erasure,
                      AuditEntry, Job):
            model.objects.all()._raw_delete(model.objects.db)
        User.objects.all().delete()
        PlaceSuccession.objects.all().delete()
        while Place.objects.exists():  # leaves first (PROTECT on parent)
            leaves = Place.objects.exclude(pk__in=Place.objects.filter(parent__isnull=False).values("parent_id")) \
                .exclude(pk__in=Place.objects.filter(former_parent__isnull=False).values("former_parent_id"))
            leaves._raw_delete(leaves.db)
