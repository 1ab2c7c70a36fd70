"""Multidimensional poverty: the national standards as data, and the classification of a household.

    >>> from ngoso.poverty import classify
    >>> r = classify("07/2021/NĐ-CP", "rural", 1_500_000, {"telecom", "info_means", "water"})
    >>> r.status, r.reasons[0]
    ('poor', 'Thu nhập bình quân 1.500.000 đồng/người/tháng, không vượt chuẩn nghèo nông thôn 1.500.000 đồng')

Rules (Decree 07/2021/NĐ-CP, art. 3; Decree 351/2025/NĐ-CP keeps the same structure with new lines):

- poor: income per person per month at or under the income line, and lacking 3 or more of the
  indicators of basic social services;
- near-poor: at or under the line, lacking fewer than 3;
- average living standard ("average"): over the line and at or under the upper bound of the band
  (Decree 07: 2,250,000 rural / 3,000,000 urban);
- anything above: "other".

Pure Python (no Django): the import-time cost is one small JSON file. The web app stores reviews in the
``ngoso.poverty`` Django app (models in ``ngoso.poverty.models``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

STATUSES = ("poor", "near_poor", "average", "other")
AREA_NAMES = {"rural": "nông thôn", "urban": "thành thị"}


@dataclass(frozen=True)
class Standard:
    code: str
    title: str
    years: tuple[int, int]
    income_line: dict
    average_upper: dict | None
    poor_min_lacking: int
    indicators: dict            # code -> Vietnamese name
    dimensions: dict            # indicator code -> dimension name
    provisional: bool


@dataclass
class Classification:
    standard: str
    area_type: str
    income: int
    lacking: frozenset | None
    lacking_count: int
    status: str
    reasons: list[str] = field(default_factory=list)

    @property
    def status_vi(self) -> str:
        return {"poor": "Hộ nghèo", "near_poor": "Hộ cận nghèo", "average": "Hộ có mức sống trung bình",
                "other": "Không thuộc diện nghèo, cận nghèo, trung bình"}[self.status]


def _money(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " đồng"


@lru_cache(maxsize=1)
def standards() -> dict[str, Standard]:
    data = json.loads(resources.files("ngoso.poverty").joinpath("data/standards.json").read_text("utf-8"))
    raw = {s["code"]: s for s in data["standards"]}
    out = {}
    for code, s in raw.items():
        dims = s["dimensions"]
        if isinstance(dims, str) and dims.startswith("same_as:"):
            dims = raw[dims.split(":", 1)[1]]["dimensions"]
        indicators = {i["code"]: i["name"] for d in dims for i in d["indicators"]}
        out[code] = Standard(code, s["title"], tuple(s["years"]), s["income_line"], s["average_upper"],
                             s["poor_min_lacking"], indicators,
                             {i["code"]: d["name"] for d in dims for i in d["indicators"]},
                             s.get("indicators_provisional", False))
    return out


def standard_for_year(year: int) -> Standard:
    for s in standards().values():
        if s.years[0] <= year <= s.years[1]:
            return s
    raise ValueError(f"Không có chuẩn nghèo cho năm {year} / no poverty standard covers {year}")


def classify(standard: str, area_type: str, income_per_person_month: int, lacking) -> Classification:
    """Classify one household. ``lacking``: the set of indicator codes lacked, or how many."""
    std = standards().get(standard)
    if std is None:
        raise ValueError(f"Chuẩn nghèo không biết: {standard!r}; dùng một trong {sorted(standards())} / "
                         f"unknown standard {standard!r}")
    if area_type not in ("rural", "urban"):
        raise ValueError(f"Khu vực phải là 'rural' hoặc 'urban', không phải {area_type!r} / "
                         f"area_type must be 'rural' or 'urban'")
    if isinstance(income_per_person_month, bool) or not isinstance(income_per_person_month, int):
        raise ValueError(f"Thu nhập phải là số nguyên đồng, không phải {income_per_person_month!r} / "
                         f"income must be whole đồng")
    if income_per_person_month < 0:
        raise ValueError(f"Thu nhập không thể âm: {income_per_person_month} / income cannot be negative")
    codes: frozenset | None
    if isinstance(lacking, bool):
        raise ValueError("«lacking» phải là tập mã chỉ số hoặc số lượng / lacking must be codes or a count")
    if isinstance(lacking, int):
        if not 0 <= lacking <= len(std.indicators):
            raise ValueError(f"Số chỉ số thiếu hụt phải từ 0 đến {len(std.indicators)}, không phải {lacking} / "
                             f"the number of lacked indicators must be 0..{len(std.indicators)}")
        codes, count = None, lacking
    else:
        try:
            codes = frozenset(lacking)
        except TypeError:
            raise ValueError("«lacking» phải là tập mã chỉ số hoặc số lượng / lacking must be codes or a count") \
                from None
        unknown = sorted(c for c in codes if c not in std.indicators)
        if unknown:
            raise ValueError(f"Chỉ số không có trong {std.code}: {', '.join(map(str, unknown))} / unknown "
                             f"indicator(s); known: {', '.join(std.indicators)}")
        count = len(codes)
    line = std.income_line[area_type]
    where = AREA_NAMES[area_type]
    reasons = []
    if income_per_person_month <= line:
        reasons.append(f"Thu nhập bình quân {_money(income_per_person_month)}/người/tháng, không vượt chuẩn nghèo "
                       f"{where} {_money(line)}")
        if count >= std.poor_min_lacking:
            status = "poor"
            reasons.append(f"Thiếu hụt {count} chỉ số dịch vụ xã hội cơ bản (từ {std.poor_min_lacking} trở lên)")
        else:
            status = "near_poor"
            reasons.append(f"Thiếu hụt {count} chỉ số dịch vụ xã hội cơ bản (dưới {std.poor_min_lacking})")
        if codes:
            reasons.append("Các chỉ số thiếu hụt: " + "; ".join(std.indicators[c] for c in sorted(codes)))
    else:
        upper = std.average_upper[area_type] if std.average_upper else None
        if upper is not None and income_per_person_month <= upper:
            status = "average"
            reasons.append(f"Thu nhập bình quân {_money(income_per_person_month)}/người/tháng, trên chuẩn nghèo "
                           f"{where} {_money(line)} và không vượt {_money(upper)}")
        else:
            status = "other"
            reasons.append(f"Thu nhập bình quân {_money(income_per_person_month)}/người/tháng, trên chuẩn nghèo "
                           f"{where} {_money(line)}" + (f" và trên mức sống trung bình {_money(upper)}" if upper
                                                         else " (chuẩn mức sống trung bình của " + std.code +
                                                         " chưa được nhập)"))
    if std.provisional:
        reasons.append(f"Danh mục chỉ số của {std.code} đang dùng tạm danh mục của Nghị định 07/2021/NĐ-CP")
    return Classification(std.code, area_type, income_per_person_month, codes, count, status, reasons)
