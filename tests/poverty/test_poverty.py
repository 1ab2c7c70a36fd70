"""Poverty standards, the annual review, rates, access sites, coverage, bottlenecks and the map."""

from __future__ import annotations

import io

import pytest

from ngoso.people.io import ImportFailed
from ngoso.people.models import Household
from ngoso.poverty import classify, standard_for_year
from ngoso.poverty import services as pov
from ngoso.poverty.models import AccessSite, PovertyReview
from tests import helpers


def _cols(rows):
    cols = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def csv_bytes(rows):
    return helpers.csv_bytes(rows, columns=_cols(rows))


def xlsx_bytes(rows):
    return helpers.xlsx_bytes(rows, sheet="Dữ liệu", columns=_cols(rows))

D07, D351 = "07/2021/NĐ-CP", "351/2025/NĐ-CP"
THREE = {"telecom", "info_means", "water"}


@pytest.mark.parametrize("std, area, income, lacking, status", [
    # Decree 07/2021, rural line 1,500,000; average band up to 2,250,000
    (D07, "rural", 1_500_000, THREE, "poor"),            # exactly at the line, 3 lacking
    (D07, "rural", 1_500_000, 2, "near_poor"),           # at the line, 2 lacking
    (D07, "rural", 1_500_001, THREE, "average"),         # one đồng over: not poor, whatever is lacking
    (D07, "rural", 0, 12, "poor"),
    (D07, "rural", 0, 0, "near_poor"),
    (D07, "rural", 2_250_000, 0, "average"),
    (D07, "rural", 2_250_001, 0, "other"),
    # urban line 2,000,000; band up to 3,000,000
    (D07, "urban", 2_000_000, 3, "poor"),
    (D07, "urban", 2_000_000, 2, "near_poor"),
    (D07, "urban", 1_800_000, 3, "poor"),
    (D07, "urban", 2_000_001, 3, "average"),
    (D07, "urban", 3_000_000, 5, "average"),
    (D07, "urban", 3_000_001, 5, "other"),
    # an income poor in the countryside is above the town line's... no: rural vs urban lines differ
    (D07, "rural", 1_800_000, 3, "average"),
    # Decree 351/2025: 2,200,000 rural / 2,800,000 urban
    (D351, "rural", 2_200_000, 3, "poor"),
    (D351, "rural", 2_200_000, 2, "near_poor"),
    (D351, "rural", 2_200_001, 3, "other"),
    (D351, "urban", 2_800_000, {"telecom", "water", "sanitation", "nutrition"}, "poor"),
    (D351, "urban", 2_800_001, 0, "other"),
])
def test_classification_at_every_boundary(std, area, income, lacking, status):
    r = classify(std, area, income, lacking)
    assert r.status == status
    assert r.reasons and all(isinstance(x, str) for x in r.reasons)


def test_reasons_are_vietnamese_and_name_the_indicators():
    r = classify(D07, "rural", 1_200_000, {"telecom", "info_means", "health_insurance"})
    text = " ".join(r.reasons)
    assert "1.200.000 đồng" in text and "nông thôn" in text and "Sử dụng dịch vụ viễn thông" in text
    assert "Bảo hiểm y tế" in text and r.status_vi == "Hộ nghèo"


@pytest.mark.parametrize("args, words", [
    ((D07, "rural", -1, 0), "âm"),
    (("99/2099/NĐ-CP", "rural", 1, 0), "không biết"),
    ((D07, "rural", 1, {"telecom", "flying"}), "flying"),
    ((D07, "suburb", 1, 0), "rural"),
    ((D07, "rural", 1.5, 0), "nguyên"),
    ((D07, "rural", 1, 13), "0 đến 12"),
    ((D07, "rural", 1, -1), "0 đến 12"),
])
def test_invalid_input_raises_a_clear_value_error(args, words):
    with pytest.raises(ValueError, match=words):
        classify(*args)


def test_standard_by_year():
    assert standard_for_year(2023).code == D07 and standard_for_year(2026).code == D07
    assert standard_for_year(2028).code == D351
    with pytest.raises(ValueError):
        standard_for_year(2019)


# --- the annual review and rates ---------------------------------------------------------------------

INDICATOR_NAMES = pov.indicator_columns()


def review_rows(rows):
    out = []
    for code, year, area, income, lacking in rows:
        r = {"Mã hộ": code, "Năm": year, "Khu vực": area, "Thu nhập bình quân (đồng/người/tháng)": income}
        for c, name in INDICATOR_NAMES.items():
            r[name] = "x" if c in lacking else ""
        out.append(r)
    return out


def test_rates_match_a_hand_count_and_feed_the_household_status(many, users, area):
    # 2024: 4 poor (R00-R03), 2 near-poor (R04, R05) of 20; 2025: 2 poor (R00, R01), 3 near-poor (R02-R04)
    rows = []
    for i in range(20):
        code = f"R{i:02d}"
        rows.append((code, 2024, "Nông thôn", 1_000_000 if i < 6 else 3_000_000,
                     THREE if i < 4 else set()))
        rows.append((code, 2025, "Nông thôn", 1_000_000 if i < 5 else 3_000_000,
                     THREE | {"telecom"} if i < 2 else ({"telecom"} if i < 5 else set())))
    assert pov.import_reviews(xlsx_bytes(review_rows(rows)), "rasoat.xlsx", users.commune_a) == 40
    d = pov.rates(area.a, 2025)
    assert d["previous"] == {"year": 2024, "households": 20, "poor": 4, "near_poor": 2, "poor_rate": 20.0,
                             "near_poor_rate": 10.0}
    assert (d["current"]["poor"], d["current"]["near_poor"], d["current"]["poor_rate"]) == (2, 3, 10.0)
    assert d["change_pp"] == {"poor_rate": -10.0, "near_poor_rate": 5.0}
    # groups: elderly heads are R00, R04, R08, R12, R16 -> poor R00, near-poor R04
    assert d["groups"]["elderly"] == {"label": "Hộ có người cao tuổi", "households": 5, "poor": 1, "near_poor": 1,
                                      "poor_rate": 20.0, "near_poor_rate": 20.0}
    assert d["groups"]["female_head"]["households"] == 5 and d["groups"]["female_head"]["poor"] == 2
    assert d["groups"]["minority"]["households"] == 4 and d["groups"]["minority"]["poor"] == 0
    info = d["information"]
    assert info["poor_or_near_poor"] == 5 and info["lacking_telecom"] == 5 and info["lacking_info_means"] == 2
    assert info["of_those_visited"] == 0 and info["of_those_neither"] == 5
    # the latest review is the household's status, and so its target group
    from ngoso.people.models import Household

    assert Household.objects.get(code="R01").poverty_status == "poor"
    assert Household.objects.get(code="R03").poverty_status == "near_poor"
    assert Household.objects.get(code="R05").poverty_status == ""
    assert PovertyReview.objects.filter(household__code="R03").count() == 2  # history kept
    # the export holds the same figures
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(pov.rates_xlsx(d)))
    cells = {r[0]: r[1:] for r in wb["Tỷ lệ hộ nghèo"].iter_rows(values_only=True)}
    assert cells["Tỷ lệ hộ nghèo (%)"] == (20.0, 10.0, -10.0)


def test_review_import_errors_name_row_and_column(many, users):
    rows = review_rows([("R00", 2025, "Nông thôn", "1.200.000", THREE), ("NOPE", 2025, "Nông thôn", 1, set()),
                        ("R01", 2019, "Nông thôn", 1, set()), ("R02", 2025, "Miền núi", -5, set()),
                        ("R00", 2025, "Nông thôn", 1, set())])
    rows[0][INDICATOR_NAMES["water"]] = "có lẽ"
    with pytest.raises(ImportFailed) as e:
        pov.import_reviews(csv_bytes(rows), "rs.csv", users.commune_a)
    text = "\n".join(map(str, e.value.errors))
    assert "rs.csv, dòng 2, cột «Nguồn nước sinh hoạt»" in text
    assert "dòng 3, cột «Mã hộ»: Không có hộ «NOPE»" in text
    assert "dòng 4, cột «Năm»" in text and "dòng 5, cột «Khu vực»" in text and "dòng 5, cột «Thu nhập" in text
    assert "dòng 6, cột «Mã hộ»: Hộ «R00» năm 2025 đã có ở dòng 2" in text
    assert PovertyReview.objects.count() == 0


def test_record_review_is_scoped(many, users, people):
    with pytest.raises(Exception):
        pov.record_review(users.commune_a, people.h3, 2025, "rural", 1, set())
    r = pov.record_review(users.commune_a, many[0], 2025, "rural", 900_000, THREE)
    assert r.status == "poor" and r.standard == D07


# --- access sites, coverage, bottlenecks -------------------------------------------------------------------

SITES = [
    {"Mã": "BTS-1", "Loại": "BTS", "Mã thôn": "07351.001", "Nhà mạng": "Viettel", "Công nghệ": "4G",
     "Vĩ độ": "21.35", "Kinh độ": "106.12"},
    {"Mã": "WIFI-1", "Loại": "Wifi", "Mã thôn": "07351.001", "Vị trí": "Nhà văn hoá thôn"},
    {"Mã": "LOA-1", "Loại": "Loa", "Mã thôn": "07351.001"},
    {"Mã": "BTS-2", "Loại": "Trạm BTS", "Mã thôn": "07351.002", "Nhà mạng": "VNPT", "Công nghệ": "3G"},
    {"Mã": "LOA-2", "Loại": "Loa", "Mã thôn": "07351.002", "Trạng thái": "Hỏng"},
]


def test_sites_coverage_and_bottlenecks(many, users, area, login):
    assert pov.import_sites(csv_bytes(SITES), "tram.csv", users.commune_a) == 5
    cov = {c.village.code: c for c in pov.coverage(area.a)}
    assert (cov["07351.001"].mobile, cov["07351.001"].wifi, cov["07351.001"].loudspeaker) == ("4G", True, True)
    assert (cov["07351.002"].mobile, cov["07351.002"].wifi, cov["07351.002"].loudspeaker) == ("3G", False, False)
    # households and those without a smartphone come from the counters, equal to the households counted
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ngoso.people.targets import counted_households

    for v in (area.va1, area.va2):
        lived_in = counted_households(Household.objects.filter(village=v))
        assert (cov[v.code].households, cov[v.code].no_smartphone) == (
            lived_in.count(), lived_in.filter(has_smartphone=False).count()) != (0, 0), v.code
    with CaptureQueriesContext(connection) as q:
        pov.coverage(area.province)
    assert not [s for s in q.captured_queries if '"people_household"' in s["sql"]]
    worst = pov.bottlenecks(area.a)
    assert [c.village.code for c in worst][0] == "07351.002"
    assert "chưa có 4G" in worst[0].reasons and "không có loa truyền thanh" in worst[0].reasons
    c = login(users.commune_a)
    page = c.get("/places/07351/access/").content.decode()
    assert "Tân Lập" in page and "chưa có 4G" in page
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(c.get("/places/07351/access.xlsx").content))
    assert list(wb.active.iter_rows(min_row=2, values_only=True))[0][1] == "07351.002"
    assert login(users.commune_b).get("/places/07351/access/").status_code == 403


def test_site_import_errors(area, users):
    bad = [dict(SITES[0]), {"Mã": "X", "Loại": "Tàu vũ trụ", "Mã thôn": "99999.001"},
           {"Mã": "BTS-1", "Loại": "BTS", "Mã thôn": "07210.001", "Công nghệ": "6G", "Vĩ độ": "48.8"},
           {"Mã": "P", "Loại": "Cột ăng-ten", "Mã thôn": "07351.001"}]
    with pytest.raises(ImportFailed) as e:
        pov.import_sites(xlsx_bytes(bad), "tram.xlsx", users.commune_a)
    text = "\n".join(map(str, e.value.errors))
    for expected in ("dòng 3, cột «Loại»", "dòng 3, cột «Mã thôn»", "dòng 4, cột «Mã»: Mã «BTS-1» trùng",
                     "dòng 4, cột «Mã thôn»: Thôn «07210.001» nằm ngoài", "dòng 4, cột «Công nghệ»",
                     "dòng 4, cột «Vĩ độ»", "dòng 5, cột «Công nghệ»: Trạm phát sóng cần ghi công nghệ"):
        assert expected in text, expected
    assert AccessSite.objects.count() == 0


def test_pages_render_with_a_map_drawn_from_village_positions(many, users, area, login):
    for v in (area.va1, area.va2):
        v.latitude, v.longitude = 21.3 + v.pk / 100, 106.1
        v.save()
    pov.record_review(users.commune_a, many[0], 2025, "rural", 900_000, THREE)
    c = login(users.commune_a)
    page = c.get("/places/07351/poverty/?year=2025").content.decode()
    assert "<svg" in page and page.count("<circle") == 2 and "http" not in page.split("<svg")[1].split("</svg>")[0]
    # the legend in the page's language, its percent sign single (a template's _("… % …") printed "%%" in English)
    assert "Tỷ lệ hộ nghèo theo thôn: xanh thấp, đỏ cao (từ 10 % trở lên)" in page and "%%" not in page
    c.cookies["django_language"] = "en"
    en = c.get("/places/07351/poverty/?year=2025").content.decode()
    assert "green low, red high (10 % and over)" in en and "%%" not in en
    assert c.get("/places/07351/poverty.xlsx?year=2025").status_code == 200
    assert c.get("/import/poverty-reviews/").status_code == 200
    assert login(users.member).get("/import/access-sites/").status_code == 403


def test_map_legend_puts_each_colour_beside_its_words(many, users, area, login):
    """Before: the legend read "● Red: many bottlenecks; green: … ● ● no figures yet", the green dot before
    "Red" and the red dot beside the grey one, on the commune demo's access and poverty maps. The two colours
    of the scale now come before the words that name them, the grey one alone before "no figures yet"."""
    import re

    for v in (area.va1, area.va2):
        v.latitude, v.longitude = 21.3 + v.pk / 100, 106.1
        v.save()
    c = login(users.commune_a)
    for url in ("/places/07351/access/", "/places/07351/poverty/"):
        page = c.get(url).content.decode()
        legend = re.search(r'<p class="sub legend">(.*?)</p>', page, re.S).group(1)
        assert re.fullmatch(r'<span class="swatch" style="background:#28a040"></span>'
                            r'<span class="swatch" style="background:#f03240"></span> [^<>]+ · '
                            r'<span class="swatch" style="background:#9aa3ad"></span> chưa có số liệu', legend), legend


def test_poverty_rates_with_two_decimals_each(many, users, area, login):
    """Before: one column read "2,84 %" above "1,5 %" and "(1,39 %)" beside "(1,5 %)" (a float's own digits),
    on the commune demo's poverty page; every rate and change now has two decimals, in the page's style."""
    import re

    pov.record_review(users.commune_a, many[0], 2025, "rural", 900_000, THREE)
    c = login(users.commune_a)
    for lang, sep in (("vi", ","), ("en", ".")):
        c.cookies["django_language"] = lang
        page = c.get("/places/07351/poverty/?year=2025").content.decode()
        body = page[page.index('id="rates"'):page.index("</table>", page.index("</table>", page.index('id="rates"')) + 1)]
        rates = re.findall(r"(-?\d+[.,]?\d*) %", body)
        assert rates and all(re.fullmatch(rf"-?\d+\{sep}\d\d", r) for r in rates), (lang, rates)


def test_map_points_and_their_table_view_in_vietnamese_order():
    """Before: the map's table view (access and poverty pages) listed villages in code order (Thôn Dĩnh, Thôn
    Vân, Thôn Đình, … on the commune demo)."""
    from ngoso.core.text import vi_sorted
    from ngoso.places.models import Place

    names = ["Thôn Dĩnh", "Thôn Vân", "Thôn Đình", "Thôn Yên Bình", "Thôn An Lạc", "Thôn Trại", "Thôn Tân Lập"]
    villages = [Place(pk=i + 1, code=f"V{i:02d}", name=n, latitude=21.3 + i / 100, longitude=106.1 + i / 100)
                for i, n in enumerate(names)]
    pts = pov.map_points({v.pk: 0.5 for v in villages}, villages)
    assert [p["name"] for p in pts] == vi_sorted(names)
    assert {p["code"]: (p["x"], p["y"]) for p in pts} == {p["code"]: (p["x"], p["y"]) for p in
                                                          pov.map_points({}, list(reversed(villages)))}
