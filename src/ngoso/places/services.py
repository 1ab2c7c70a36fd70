"""Loading and changing places. Every write to the place tree goes through these functions."""

from __future__ import annotations

import csv
import datetime
import json
from dataclasses import dataclass
from importlib import resources

from django.db import transaction

from ngoso.core.text import nfc, vi_order

from .models import Level, Place, PlaceSuccession, PlaceType

REFORM_DATE = datetime.date(2025, 7, 1)
FORMER_VALID_TO = REFORM_DATE - datetime.timedelta(days=1)
FORMER_PREFIX = "old-"

# vietnam-provinces division_type -> our place type code
_OFFICIAL_TYPES = {
    "tỉnh": "tinh", "thành phố trung ương": "thanh-pho-trung-uong", "huyện": "huyen", "quận": "quan",
    "thị xã": "thi-xa", "thành phố": "thanh-pho", "xã": "xa", "phường": "phuong", "thị trấn": "thi-tran",
    "đặc khu": "dac-khu",
}
_TYPE_PREFIXES = sorted(["Thành phố", "Tỉnh", "Huyện", "Quận", "Thị xã", "Xã", "Phường", "Thị trấn", "Đặc khu",
                         "Thôn", "Bản", "Làng", "Xóm", "Ấp", "Tổ dân phố", "Khu phố"], key=len, reverse=True)


def short_name(full: str) -> str:
    for prefix in _TYPE_PREFIXES:
        if full.startswith(prefix + " "):
            return full[len(prefix) + 1:]
    return full


def load_place_types() -> int:
    data = json.loads(resources.files("ngoso.places").joinpath("data/place_types.json").read_text("utf-8"))
    for row in data:
        PlaceType.objects.update_or_create(
            code=row["code"],
            defaults={"level": row["level"], "name_vi": row["name_vi"], "name_en": row["name_en"],
                      "urban": row.get("urban", False)},
        )
    return len(data)


def _types() -> dict[str, PlaceType]:
    if not PlaceType.objects.exists():
        load_place_types()
    return {t.code: t for t in PlaceType.objects.all()}


@transaction.atomic
def load_official_places(province_codes: list[str] | None = None) -> dict[str, int]:
    """Load current provinces and communes from the official list shipped by ``vietnam-provinces``.

    Idempotent: existing places are updated in place (names change), new ones are created.
    """
    import vietnam_provinces

    types = _types()
    data = json.loads(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_text("utf-8"))
    existing = {p.code: p for p in Place.objects.filter(level__in=[Level.PROVINCE, Level.COMMUNE],
                                                        valid_to__isnull=True)}
    counts = {"provinces": 0, "communes": 0}
    new_places = []
    for prov in data:
        pcode = f"{prov['code']:02d}"
        if province_codes and pcode not in province_codes:
            continue
        province = _upsert(existing, new_places, pcode, _with_type(prov["name"], prov["division_type"]), types[_OFFICIAL_TYPES[prov["division_type"]]],
                           None)
        if province.pk is None:
            province.save()
            new_places.remove(province)
        counts["provinces"] += 1
        for ward in prov["wards"]:
            _upsert(existing, new_places, f"{ward['code']:05d}", ward["name"],
                    types[_OFFICIAL_TYPES[ward["division_type"]]], province)
            counts["communes"] += 1
    for p in new_places:
        p.compute_paths()
    Place.objects.bulk_create(new_places, batch_size=1000)
    return counts


def _with_type(name: str, division_type: str) -> str:
    """The official list names provinces bare ("Bắc Ninh") and communes with their type ("Xã Đại Sơn")."""
    if name.casefold().startswith(division_type.casefold()):
        return name
    return f"{division_type[:1].upper()}{division_type[1:]} {name}"


def _upsert(existing, new_places, code, name, ptype, parent) -> Place:
    place = existing.get(code)
    if place is None:
        place = Place(code=code, official_code=code, name=name, short_name=short_name(name), type=ptype,
                      parent=parent, valid_from=REFORM_DATE)
        new_places.append(place)
    elif place.name != name or place.type_id != ptype.id:
        place.name, place.short_name, place.type = name, short_name(name), ptype
        place.save()
    return place


@dataclass
class FormerArea:
    province: Place
    districts: dict[str, Place]
    communes: dict[str, Place]          # former commune code (official) -> Place
    successor_of: dict[str, list[str]]  # former commune official code -> current commune codes


@transaction.atomic
def load_former_units(csv_text: str, source: str) -> FormerArea:
    """Load a dissolved province's districts and communes (valid until 30 June 2025) with merge history.

    CSV columns: level, code, name, type, parent_code, new_codes, partly_merged (see demo data file).
    """
    types = _types()
    rows = [r for r in csv.DictReader(line for line in csv_text.splitlines() if not line.startswith('"#'))]
    province = districts = None
    districts, communes, successor_of = {}, {}, {}
    for row in rows:
        level, code = row["level"], row["code"]
        ptype = types[_OFFICIAL_TYPES[row["type"]]]
        parent = None
        if level == "district":
            parent = province
        elif level == "commune":
            parent = districts[row["parent_code"]]
        place, _ = Place.objects.update_or_create(
            code=FORMER_PREFIX + code,
            defaults={"official_code": code, "name": nfc(row["name"]), "short_name": short_name(nfc(row["name"])),
                      "type": ptype, "parent": parent, "valid_to": FORMER_VALID_TO},
        )
        if level == "province":
            province = place
        elif level == "district":
            districts[code] = place
        else:
            communes[code] = place
            successor_of[code] = [c for c in row["new_codes"].split(";") if c]
            for new_code in successor_of[code]:
                successor = Place.objects.get(code=new_code, valid_to__isnull=True)
                PlaceSuccession.objects.get_or_create(
                    predecessor=place, successor=successor, date=REFORM_DATE,
                    defaults={"partly": row["partly_merged"] == "1", "source": source},
                )
    return FormerArea(province, districts, communes, successor_of)


def add_village(commune: Place, name: str, type_code: str = "thon", code: str | None = None,
                former_commune: Place | None = None, latitude=None, longitude=None) -> Place:
    if commune.level != Level.COMMUNE:
        raise ValueError(f"{commune} is not a commune")
    if code is None:
        n = Place.objects.filter(parent=commune).count() + 1
        code = f"{commune.code}.{n:03d}"
    ptype = PlaceType.objects.get(code=type_code)
    full = f"{ptype.name_vi} {name}" if not name.startswith(ptype.name_vi + " ") else name
    village = Place(code=code, name=full, short_name=short_name(full), type=ptype, parent=commune,
                    former_parent=former_commune, valid_from=None, latitude=latitude, longitude=longitude)
    village.save()
    return village


def children_with_counts(place: Place):
    return Place.objects.filter(parent=place).select_related("type").order_by(vi_order("name"), "code")
