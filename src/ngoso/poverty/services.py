"""Access to information and poverty: imports, the annual review, coverage, bottlenecks, rates, the map."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy

from ngoso.accounts import audit, permissions
from ngoso.accounts.scope import can_see_place, scoped, within
from ngoso.core import xlsx
from ngoso.core.messages import Message
from ngoso.core.text import fold, vi_key
from ngoso.people.io import ImportFailed, RowError, find_columns, fits, read_file
from ngoso.people.models import Household
from ngoso.people.services import people_changed
from ngoso.places.models import Level, Place

from . import classify, figures, hooks, standard_for_year, standards
from .models import MOBILE_TECH, AccessSite, PovertyReview

YES = {"co", "x", "1", "yes", "y", "true", "thieu", "thieu hut"}
NO = {"", "khong", "0", "no", "n", "false", "-", "du"}


def _text(v) -> str:
    return "" if v is None else str(v).strip()


# --- the annual review --------------------------------------------------------------------------------

REVIEW_COLUMNS = {"household": ["Mã hộ"], "year": ["Năm"], "area": ["Khu vực"],
                  "income": ["Thu nhập bình quân (đồng/người/tháng)", "Thu nhập bình quân", "Thu nhập"]}
AREA_WORDS = {"nong thon": "rural", "rural": "rural", "thanh thi": "urban", "urban": "urban"}


def indicator_columns(standard_code: str = "07/2021/NĐ-CP") -> dict[str, str]:
    return dict(standards()[standard_code].indicators)


def record_review(user, household: Household, year: int, area_type: str, income: int, lacking) -> PovertyReview:
    """Classify and store one household's review (replacing that year's earlier one, audited); the latest
    year's result becomes the household's poverty status, which feeds the target groups."""
    permissions.require(user, "create", PovertyReview(household=household))
    std = standard_for_year(year)
    result = classify(std.code, area_type, income, set(lacking))
    with transaction.atomic(), audit.acting_as(user), hooks.batch():  # its village's figures follow
        review, _ = PovertyReview.objects.update_or_create(
            household=household, year=year,
            defaults={"standard": std.code, "area_type": area_type, "income": income, "lacking": sorted(lacking),
                      "status": result.status, "reasons": result.reasons, "created_by": user})
        _apply_status([household.pk])
    return review


def _apply_status(household_ids) -> None:
    """Each household's status is that of its latest review. Households whose status changed are announced as
    people reclassified (``PEOPLE``: their target group, the counters); the villages of the other reviews
    written are recounted by ``hooks`` when the writer's ``hooks.batch()`` ends."""

    latest = {}
    for hid, year, status in PovertyReview.objects.filter(household_id__in=household_ids) \
            .order_by("household_id", "year").values_list("household_id", "year", "status"):
        latest[hid] = (year, status)
    changed, villages = [], set()
    for h in Household.objects.filter(pk__in=list(latest)).select_related("village"):
        year, status = latest[h.pk]
        new = status if status in ("poor", "near_poor") else ""
        if (h.poverty_status, h.poverty_year) != (new, year):
            h.poverty_status, h.poverty_year = new, year
            h.save(update_fields=["poverty_status", "poverty_year", "updated_at"])  # audited
            changed.append(h.pk)
            villages.add(h.village_id)
    if changed:
        people_changed(changed, villages)
        hooks.announced(villages)


def import_reviews(data: bytes, filename: str, user) -> int:
    """Whole file or nothing; every row checked; errors name sheet, row, column and reason."""
    permissions.require(user, "import", PovertyReview)  # each household is then looked up within the user's area
    sheet = read_file(data, filename)[0]
    errors: list[RowError] = []
    cols = find_columns(sheet, REVIEW_COLUMNS, set(REVIEW_COLUMNS), errors)
    std_names = indicator_columns()
    ind_cols = {}
    index = {fold(h): i for i, h in enumerate(sheet.header)}
    for code, name in std_names.items():
        i = index.get(fold(name), index.get(fold(code)))
        if i is None:
            errors.append(RowError(sheet.name, 1, name,
                                   Message(gettext_lazy("Missing indicator column '%(name)s'"), name=name)))
        else:
            ind_cols[code] = i
    if errors:
        raise ImportFailed(errors)
    codes = {_text(r[cols["household"]]) for _, r in sheet.rows if len(r) > cols["household"]}
    households = {h.code: h for h in scoped(Household.objects.filter(code__in=codes), user)}
    rows, seen = [], {}
    for rownum, r in sheet.rows:
        cell = lambda i: r[i] if i < len(r) else None  # noqa: E731
        if not any(_text(x) for x in r):
            continue
        err = lambda col, message: errors.append(RowError(sheet.name, rownum, col, message))  # noqa: E731
        code = _text(cell(cols["household"]))
        h = households.get(code)
        if h is None:
            err("Mã hộ", Message(gettext_lazy("No household '%(code_)s' in your area"), code_=code))
        try:
            year = int(float(_text(cell(cols["year"]))))
            standard_for_year(year)
        except ValueError:
            err("Năm",
                Message(gettext_lazy("Year '%(x)s' is invalid or has no poverty standard"),
                        x=_text(cell(cols['year']))))
            year = None
        area = AREA_WORDS.get(fold(_text(cell(cols["area"]))))
        if area is None:
            err("Khu vực", gettext_lazy("Area must be rural or urban"))
        raw_income = _text(cell(cols["income"])).replace(".", "").replace(",", "").replace(" ", "")
        try:
            income = int(raw_income)
            if income < 0:
                raise ValueError
        except ValueError:
            err(list(REVIEW_COLUMNS["income"])[0],
                Message(gettext_lazy("Income '%(x)s' is not a valid amount"), x=_text(cell(cols['income']))))
            income = None
        lacking = []
        for code_i, i in ind_cols.items():
            v = fold(_text(cell(i)))
            if v in YES:
                lacking.append(code_i)
            elif v not in NO:
                err(std_names[code_i],
                    Message(gettext_lazy("Write 'x' if lacking, leave empty if not; '%(x)s' not understood"),
                            x=_text(cell(i))))
        if h is not None and year is not None:
            if (code, year) in seen:
                err("Mã hộ",
                    Message(gettext_lazy("Household '%(code_)s' for %(year)s already on row %(x)s"),
                            code_=code, year=year, x=seen[(code, year)]))
            seen[(code, year)] = rownum
        rows.append((h, year, area, income, lacking))
    if errors:
        raise ImportFailed(errors)
    with transaction.atomic(), audit.acting_as(user), hooks.batch():  # each village's figures once
        for h, year, area, income, lacking in rows:
            std = standard_for_year(year)
            result = classify(std.code, area, income, set(lacking))
            PovertyReview.objects.update_or_create(
                household=h, year=year, defaults={"standard": std.code, "area_type": area, "income": income,
                                                  "lacking": sorted(lacking), "status": result.status,
                                                  "reasons": result.reasons, "created_by": user})
        _apply_status([h.pk for h, *_ in rows])
    return len(rows)


# --- access sites ---------------------------------------------------------------------------------------

SITE_COLUMNS = {"code": ["Mã"], "kind": ["Loại"], "village": ["Mã thôn"], "name": ["Tên"], "operator": ["Nhà mạng"],
                "technology": ["Công nghệ"], "location_type": ["Vị trí"], "status": ["Trạng thái"],
                "latitude": ["Vĩ độ"], "longitude": ["Kinh độ"]}
KIND_WORDS = {"bts": "bts", "tram bts": "bts", "tram phat song": "bts", "cot": "pole", "cot ang ten": "pole",
              "cot anten": "pole", "pole": "pole", "wifi": "wifi", "loa": "loudspeaker", "cum loa": "loudspeaker",
              "loudspeaker": "loudspeaker"}
STATUS_WORDS = {"": "active", "hoat dong": "active", "active": "active", "hong": "broken", "broken": "broken",
                "du kien": "planned", "planned": "planned"}


def import_sites(data: bytes, filename: str, user) -> int:
    permissions.require(user, "import", AccessSite)  # each village is then looked up within the user's area
    sheet = read_file(data, filename)[0]
    errors: list[RowError] = []
    cols = find_columns(sheet, SITE_COLUMNS, {"code", "kind", "village"}, errors)
    if errors:
        raise ImportFailed(errors)
    vcodes = {_text(r[cols["village"]]) for _, r in sheet.rows if len(r) > cols["village"]}
    villages = {p.code: p for p in Place.objects.filter(code__in=vcodes, level=Level.VILLAGE)}
    out, seen = [], {}
    for rownum, r in sheet.rows:
        if not any(_text(x) for x in r):
            continue
        get = lambda k: _text(r[cols[k]]) if k in cols and cols[k] < len(r) else ""  # noqa: E731
        err = lambda col, message: errors.append(RowError(sheet.name, rownum, col, message))  # noqa: E731
        code = get("code")
        if not code:
            err("Mã", gettext_lazy("Missing site code"))
        elif code in seen:
            err("Mã", Message(gettext_lazy("Code '%(code_)s' repeats row %(x)s"), code_=code, x=seen[code]))
        seen[code] = rownum
        kind = KIND_WORDS.get(fold(get("kind")).replace("-", " "))
        if kind is None:
            err("Loại", Message(gettext_lazy("Unknown kind '%(x)s'"), x=get('kind')))
        v = villages.get(get("village"))
        if v is None:
            err("Mã thôn", Message(gettext_lazy("Unknown village code '%(x)s'"), x=get('village')))
        elif not can_see_place(user, v):
            err("Mã thôn", Message(gettext_lazy("Village '%(x)s' is outside your area"), x=get('village')))
        tech = get("technology").upper()
        if tech and tech not in MOBILE_TECH[1:]:
            err("Công nghệ", Message(gettext_lazy("Technology '%(tech)s' must be 2G, 3G, 4G or 5G"), tech=tech))
        if kind in ("bts", "pole") and not tech:
            err("Công nghệ", gettext_lazy("A mobile site needs its technology"))
        status = STATUS_WORDS.get(fold(get("status")))
        if status is None:
            err("Trạng thái", Message(gettext_lazy("Unknown status '%(x)s'"), x=get('status')))
        coords = []
        for key, lo, hi, name in (("latitude", 8.0, 23.5, "Vĩ độ"), ("longitude", 102.0, 110.0, "Kinh độ")):
            raw = get(key).replace(",", ".")
            try:
                val = float(raw) if raw else None
                if val is not None and not lo <= val <= hi:
                    raise ValueError
            except ValueError:
                err(name, Message(gettext_lazy("%(name)s '%(key)s' is outside Vietnam"), name=name, key=get(key)))
                val = None
            coords.append(val)
        texts = {key: fits(AccessSite, key, get(key), lambda message, c=SITE_COLUMNS[key][0]: err(c, message),
                           SITE_COLUMNS[key][0]) for key in ("code", "name", "operator", "location_type")}
        out.append(dict(**texts, kind=kind, village=v, technology=tech, status=status, latitude=coords[0],
                        longitude=coords[1]))
    if errors:
        raise ImportFailed(errors)
    with transaction.atomic(), hooks.batch():  # the figures of each village touched, recounted once
        for row in out:
            AccessSite.objects.update_or_create(code=row.pop("code"), defaults=row)
    return len(out)


# --- coverage and bottlenecks ---------------------------------------------------------------------------

@dataclass
class VillageCoverage:
    village: Place
    mobile: str
    wifi: bool
    loudspeaker: bool
    households: int
    no_smartphone: int
    score: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def no_smartphone_pct(self) -> float | None:
        return round(100 * self.no_smartphone / self.households, 1) if self.households else None


def _villages(place: Place):
    if place.level == Level.VILLAGE:
        return Place.objects.filter(pk=place.pk)
    if place.is_current:
        return Place.objects.under(place).filter(level=Level.VILLAGE, valid_to__isnull=True)
    return Place.objects.formerly_under(place).filter(level=Level.VILLAGE)


def coverage(place: Place) -> list[VillageCoverage]:
    villages = list(_villages(place).order_by("path"))
    ids = [v.pk for v in villages]
    best, wifi, speaker = figures.village_access(ids)
    # households someone lives in, and those without a smartphone: the villages' counters (a province's map has
    # thousands of villages and hundreds of thousands of households: none is read here)
    kept = figures.counters.counters_for(ids, ["hh", "ac:nosp"])
    out = []
    for v in villages:
        c = VillageCoverage(v, best[v.pk], v.pk in wifi, v.pk in speaker, kept[v.pk]["hh"], kept[v.pk]["ac:nosp"])
        if MOBILE_TECH.index(c.mobile) < MOBILE_TECH.index("4G"):
            c.score += 3
            c.reasons.append(gettext("no 4G yet") if c.mobile != "none" else gettext("no mobile signal"))
        if not c.wifi:
            c.score += 2
            c.reasons.append(gettext("no free wifi"))
        if not c.loudspeaker:
            c.score += 2
            c.reasons.append(gettext("no village loudspeaker"))
        if c.households and c.no_smartphone_pct >= 20:
            c.score += c.no_smartphone_pct / 20
            c.reasons.append(gettext("%(pct)s%% of households without a smartphone") % {
                "pct": number_format(round(c.no_smartphone_pct, 1), decimal_pos=1)})  # one decimal style per language
        out.append(c)
    return out


def bottlenecks(place: Place) -> list[VillageCoverage]:
    """Villages still cut off, worst first."""
    return sorted((c for c in coverage(place) if c.reasons), key=lambda c: (-c.score, c.village.path))


def coverage_xlsx(rows: list[VillageCoverage]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Điểm nghẽn")
    xlsx.append(ws, ["Hạng", "Mã thôn", "Thôn", "Xã", "Sóng di động", "Wifi miễn phí", "Loa truyền thanh", "Số hộ",
               "Hộ chưa có điện thoại thông minh", "%", "Điểm", "Lý do"])
    for i, c in enumerate(rows, 1):
        xlsx.append(ws, [i, c.village.code, c.village.name, c.village.parent.name if c.village.parent_id else "", c.mobile,
                   "Có" if c.wifi else "Không", "Có" if c.loudspeaker else "Không", c.households, c.no_smartphone,
                   c.no_smartphone_pct, round(c.score, 2), "; ".join(c.reasons)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- rates ----------------------------------------------------------------------------------------------------

def rates(place: Place, year: int) -> dict:
    """Poor and near-poor rates for ``year`` and the year before, with the change in percentage points, by
    group, and the information dimension: read from the counters (``figures``), as the dashboard's section."""
    return {"place": place.code, **figures.from_counters(figures.read(place), year)}


def rates_xlsx(data: dict) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tỷ lệ hộ nghèo")
    xlsx.append(ws, ["Chỉ tiêu", str(data["previous"]["year"]), str(data["current"]["year"]), "Thay đổi (điểm %)"])
    for key, label in (("households", "Số hộ rà soát"), ("poor", "Hộ nghèo"), ("near_poor", "Hộ cận nghèo"),
                       ("poor_rate", "Tỷ lệ hộ nghèo (%)"), ("near_poor_rate", "Tỷ lệ hộ cận nghèo (%)")):
        xlsx.append(ws, [label, data["previous"][key], data["current"][key], data["change_pp"].get(key)])
    ws2 = wb.create_sheet("Theo nhóm")
    xlsx.append(ws2, ["Nhóm", "Số hộ", "Hộ nghèo", "Tỷ lệ (%)", "Hộ cận nghèo", "Tỷ lệ (%)"])
    for g in data["groups"].values():
        xlsx.append(ws2, [g["label"], g["households"], g["poor"], g["poor_rate"], g["near_poor"], g["near_poor_rate"]])
    ws3 = wb.create_sheet("Thiếu hụt thông tin")
    for k, v in data["information"].items():
        xlsx.append(ws3, [k, v])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- the map (no tiles: villages drawn from their own positions) -------------------------------------------

def village_poor_rates(place: Place, year: int) -> dict[int, float | None]:
    """Each village's poor rate (%) for ``year``, read from the villages' counters (the map of a province has
    thousands of villages and hundreds of thousands of reviews: none is read here)."""
    hh, poor = f"pv:{year}:hh", f"pv:{year}:poor"
    ids = list(_villages(place).values_list("id", flat=True))
    return {vid: figures.rate(c[poor], c[hh]) for vid, c in figures.counters.counters_for(ids, [hh, poor]).items()
            if c[hh]}


def _svg_number(x: float) -> str:
    """A number for an SVG attribute: always a dot, never the locale's decimal comma."""
    return f"{x:.1f}"


def map_points(values: dict[int, float | None], villages: list[Place], width=340, height=300,
               labels: dict[int, str] | None = None) -> list[dict]:
    """Points of the offline village map; ``x``/``y``/``r`` are strings for SVG (never localised).

    The dot shrinks as villages grow in number so that a province's thousands stay apart.
    """
    pts = [v for v in villages if v.latitude is not None and v.longitude is not None]
    if not pts:
        return []
    lat0, lat1 = min(v.latitude for v in pts), max(v.latitude for v in pts)
    lon0, lon1 = min(v.longitude for v in pts), max(v.longitude for v in pts)
    span = max(lat1 - lat0, lon1 - lon0) or 0.01
    radius = 5.0 if len(pts) <= 80 else 3.0 if len(pts) <= 400 else 1.8
    out = []
    for v in pts:
        val = values.get(v.pk)
        out.append({"code": v.code, "name": v.name, "value": val, "label": (labels or {}).get(v.pk, ""),
                    "x": _svg_number(10 + (v.longitude - lon0) / span * (width - 20)),
                    "y": _svg_number(height - 10 - (v.latitude - lat0) / span * (height - 20)),
                    "r": _svg_number(radius), "colour": _colour(val)})
    out.sort(key=lambda p: (vi_key(p["name"]), p["code"]))  # the table view lists them in Vietnamese order
    return out


def _colour(val) -> str:
    """0 (fine) -> green, 1 (worst) -> red; grey when unknown."""
    if val is None:
        return "#9aa3ad"
    val = max(0.0, min(1.0, val))
    r, g = int(40 + 200 * val), int(160 - 110 * val)
    return f"#{r:02x}{g:02x}40"
