"""Issue 15 item 1: poverty's figures are counters and a provider of the dashboard, registered by the poverty app.

The counters follow every write that moves them and equal a full recount; the poverty page and the dashboard's
section show the same numbers (both equal to a count of the reviews row by row, the page's old way); the section
is in the dashboard page, its Excel and PDF report and the API, for exactly those who may see the poverty page.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict

import pytest
from django.db.models import Count, Q
from django.utils import timezone, translation
from openpyxl import load_workbook

from ngoso.accounts.scope import can_see_place, within
from ngoso.insights import counters, dashboard, report
from ngoso.insights.models import CounterDelta, PlaceCounter
from ngoso.people.models import Household, Resident
from ngoso.people.targets import household_groups, resident_groups
from ngoso.poverty import figures
from ngoso.poverty import services as pov
from ngoso.poverty.models import AccessSite, PovertyReview
from tests.poverty.test_poverty import SITES, THREE, csv_bytes, review_rows, xlsx_bytes

TODAY = timezone.localdate()
Y = figures.default_year(TODAY)  # the year the dashboard and the poverty page show unless asked


def _reviews(area, users):
    """The hand-counted reviews of test_poverty (last year: 2 poor, 3 near-poor; the year before: 4 and 2)."""
    rows = []
    for i in range(20):
        code = f"R{i:02d}"
        rows.append((code, Y - 1, "Nông thôn", 1_000_000 if i < 6 else 3_000_000, THREE if i < 4 else set()))
        rows.append((code, Y, "Nông thôn", 1_000_000 if i < 5 else 3_000_000,
                     THREE | {"telecom"} if i < 2 else ({"telecom"} if i < 5 else set())))
    assert pov.import_reviews(xlsx_bytes(review_rows(rows)), "rasoat.xlsx", users.commune_a) == 40


def _stored() -> set:
    return set(PlaceCounter.objects.exclude(value=0).values_list("place_id", "key", "value"))


def _equal_a_recount() -> None:
    counters.roll_up(wait=True)
    assert not CounterDelta.objects.exists()
    kept = _stored()
    counters.rebuild()
    assert _stored() == kept


def _by_rows(place, year: int) -> dict:
    """The poverty page's figures counted from the reviews row by row (its way before the counters)."""
    reviews = within(PovertyReview.objects.all(), place)

    def one(y):
        c = reviews.filter(year=y).aggregate(total=Count("id"), poor=Count("id", filter=Q(status="poor")),
                                              near=Count("id", filter=Q(status="near_poor")))
        return {"year": y, "households": c["total"], "poor": c["poor"], "near_poor": c["near"],
                "poor_rate": figures.rate(c["poor"], c["total"]), "near_poor_rate": figures.rate(c["near"], c["total"])}

    this_year = reviews.filter(year=year)
    status = dict(this_year.values_list("household_id", "status"))
    members = defaultdict(list)
    for hid, by, minority, dis, rel, sex in Resident.objects.filter(household__in=list(status)).values_list(
            "household_id", "birth_year", "ethnicity__is_minority", "disability", "relation", "sex"):
        members[hid].append((resident_groups(birth_year=by, poverty_status=None, is_minority=minority, disability=dis,
                                             sex=sex, year=year), rel, sex))
    flags = {h: household_groups(members.get(h, ())) for h in status}
    groups = {}
    for g in figures.GROUPS:
        hs = [h for h in status if g in flags[h]]
        poor = sum(status[h] == "poor" for h in hs)
        near = sum(status[h] == "near_poor" for h in hs)
        groups[g] = {"households": len(hs), "poor": poor, "near_poor": near, "poor_rate": figures.rate(poor, len(hs)),
                     "near_poor_rate": figures.rate(near, len(hs))}
    needy = [(h, set(lk)) for h, s, lk in this_year.values_list("household_id", "status", "lacking")
             if s in ("poor", "near_poor")]
    lacking = [h for h, lk in needy if lk & {"telecom", "info_means"}]
    visited = set(Household.objects.filter(pk__in=lacking, status__visits__gt=0).values_list("pk", flat=True))
    speakers = figures.speaker_villages(None)
    reached = set(Household.objects.filter(pk__in=lacking).filter(Q(hears_loudspeaker=True) | Q(village_id__in=speakers))
                  .values_list("pk", flat=True))
    info = {"poor_or_near_poor": len(needy), "lacking_telecom": sum("telecom" in lk for _, lk in needy),
            "lacking_info_means": sum("info_means" in lk for _, lk in needy), "lacking_either": len(lacking),
            "of_those_visited": len(visited), "of_those_reached_by_loudspeaker": len(reached),
            "of_those_neither": len(set(lacking) - visited - reached)}
    return {"current": one(year), "previous": one(year - 1), "groups": groups, "information": info}


def test_poverty_counters_follow_every_write_and_equal_a_recount(many, users, area):
    from ngoso.radio import services as radio
    from ngoso.visits import services as visits

    counters.rebuild()  # the fixture's households were made without telling anyone
    _reviews(area, users)
    for place in (area.va1, area.va2, area.a, area.province, area.old_commune, area.old_commune2):
        c = counters.counters(place)
        ref = _by_rows(place, Y)
        assert (c[f"pv:{Y}:hh"], c[f"pv:{Y}:poor"], c[f"pv:{Y}:near"]) == (
            ref["current"]["households"], ref["current"]["poor"], ref["current"]["near_poor"]), place.code
        assert (c[f"pv:{Y - 1}:poor"], c[f"pv:{Y - 1}:near"]) == (ref["previous"]["poor"], ref["previous"]["near_poor"])
    c = counters.counters(area.a)
    assert (c[f"pv:{Y}:poor"], c[f"pv:{Y}:near"], c[f"pv:{Y - 1}:poor"], c[f"pv:{Y - 1}:near"]) == (2, 3, 4, 2)
    assert (c[f"pv:{Y}:i:either"], c[f"pv:{Y}:i:means"], c[f"pv:{Y}:i:neither"]) == (5, 2, 5)
    assert c["ac:nosp"] == 13  # R01, R02, R04, R05, … : every household whose index is not a multiple of 3
    _equal_a_recount()

    # a review that changes no household's status (an earlier year): its village is recounted all the same
    pov.record_review(users.commune_a, many[12], Y - 2, "rural", 900_000, THREE)
    assert Household.objects.get(pk=many[12].pk).poverty_year == Y
    for place in (area.va2, area.a, area.province):
        assert (counters.counters(place)[f"pv:{Y - 2}:hh"], counters.counters(place)[f"pv:{Y - 2}:poor"]) == (1, 1)
    assert counters.counters(area.va1)[f"pv:{Y - 2}:hh"] == 0
    _equal_a_recount()
    # the admin corrects that review, then deletes it (model saves and deletes: the signals announce its village)
    review = PovertyReview.objects.get(household=many[12], year=Y - 2)
    review.status = "near_poor"
    review.save()
    assert (counters.counters(area.a)[f"pv:{Y - 2}:poor"], counters.counters(area.a)[f"pv:{Y - 2}:near"]) == (0, 1)
    review.delete()
    assert counters.counters(area.province)[f"pv:{Y - 2}:hh"] == 0
    _equal_a_recount()

    # access sites: 4G, wifi and a loudspeaker in A1, whose poor households lacking information it now reaches
    pov.import_sites(csv_bytes(SITES), "tram.csv", users.commune_a)
    c = counters.counters(area.a)
    assert (c["ac:4g"], c["ac:wifi"], c["ac:speaker"]) == (1, 1, 1)
    assert (c[f"pv:{Y}:i:reached"], c[f"pv:{Y}:i:neither"]) == (5, 0)
    _equal_a_recount()

    # a smart-radio cluster in A2, then switched off (the radio's own services)
    cluster, _code = radio.register_cluster(place=area.va2, code="LOA-A2", name="Cụm loa Tân Lập")
    assert counters.counters(area.a)["ac:speaker"] == 2 and counters.counters(area.va2)["ac:speaker"] == 1
    _equal_a_recount()
    radio.set_cluster_active(cluster, False, users.commune_a)
    assert counters.counters(area.a)["ac:speaker"] == 1
    _equal_a_recount()

    # a loudspeaker moved to the other village (as the admin saves it): both villages follow
    site = AccessSite.objects.get(code="LOA-1")
    site.village = area.va2
    site.save()
    assert counters.counters(area.va1)["ac:speaker"] == 0 and counters.counters(area.va2)["ac:speaker"] == 1
    c = counters.counters(area.a)
    assert (c[f"pv:{Y}:i:reached"], c[f"pv:{Y}:i:neither"]) == (0, 5)
    _equal_a_recount()

    # a household edited (the field app's offline edit): it now has a smartphone, and hears the loudspeaker
    from ngoso.people.registration import edit

    edit(users.commune_a, Household.objects.get(pk=many[1].pk), {"has_smartphone": (False, True),
                                                                   "hears_loudspeaker": (False, True)})
    c = counters.counters(area.a)
    assert (c["ac:nosp"], c[f"pv:{Y}:i:reached"], c[f"pv:{Y}:i:neither"]) == (12, 1, 4)
    _equal_a_recount()

    # the team visits a poor household lacking information
    head = Resident.objects.get(household=many[0])
    visits.record_visit(users.province, many[0], visited_on=TODAY, present=[head.pk])
    c = counters.counters(area.a)
    assert (c[f"pv:{Y}:i:visited"], c[f"pv:{Y}:i:neither"]) == (1, 3)
    assert c[f"pv:{Y}:i:visited"] == _by_rows(area.a, Y)["information"]["of_those_visited"]
    _equal_a_recount()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip()


def _rows(html: str) -> list[str]:
    return [_text(r) for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)]


def test_the_poverty_page_and_the_dashboard_section_show_the_same_figures(many, users, area, login):
    _reviews(area, users)
    pov.import_sites(csv_bytes(SITES), "tram.csv", users.commune_a)
    client = login(users.province)
    for place in (area.a, area.province, area.old_commune, area.va1, area.va2):
        section = dashboard.dashboard(place)["poverty"]
        ref = _by_rows(place, Y)
        for key in ("current", "previous", "groups", "information"):
            assert section[key] == ref[key], (place.code, key)
        # what the two pages print: the same rows, the same sentences
        page = client.get(f"/places/{place.code}/poverty/").content.decode()
        dash = client.get(f"/places/{place.code}/dashboard/").content.decode()
        mine = dash.split('id="poverty"')[1]
        rates = page.split('id="rates"')[1].split("</table>")[0]
        assert _rows(rates)[1:] == _rows(mine.split("</table>")[0])[1:], place.code  # reviewed, poor, near-poor
        groups = page.split("<h2>", 1)[1].split("</table>")[0]
        assert _rows(groups)[1:] == _rows(mine.split("</table>")[1])[1:], place.code
        facts = re.findall(r"<li>(.*?)</li>", page.split('class="facts-list"')[1].split("</ul>")[0], flags=re.S)
        assert [_text(f) for f in facts] == [_text(f) for f in re.findall(
            r"<li>(.*?)</li>", mine.split('class="facts-list"')[1].split("</ul>")[0], flags=re.S)], place.code
    a = dashboard.dashboard(area.a)["poverty"]["access"]
    assert (a["villages"], a["with_4g"], a["with_wifi"], a["with_loudspeaker"]) == (2, 1, 1, 1)
    tiles = client.get(f"/places/{area.a.code}/access/").content.decode().split('class="tiles"')[1].split("</ul>")[0]
    for n in (a["with_4g"], a["with_wifi"], a["with_loudspeaker"]):
        assert f"<b>{n}/{a['villages']}</b>" in tiles
    # the places below: each commune's poor households, as its own poverty page counts them
    kids = {k["code"]: k for k in dashboard.dashboard(area.province)["poverty"]["children"]}
    assert kids[area.a.code]["poor"] == 2 and kids[area.b.code]["households"] == 0


def test_the_section_is_on_the_page_in_both_languages_and_in_the_report_and_the_api(many, users, area, login):
    _reviews(area, users)
    client = login(users.commune_a)
    with translation.override("vi"):
        title_vi = translation.gettext("Poverty review %(year)s") % {"year": Y}
    for lang, title in (("vi", title_vi), ("en", f"Poverty review {Y}")):
        client.cookies["django_language"] = lang
        html = client.get(f"/places/{area.a.code}/dashboard/").content.decode()
        assert f'<h2 id="poverty">{title}</h2>' in html, lang
        shown = dict(re.findall(r'data-k="(poverty\.[^"]+)" data-v="([^"]*)"', html))
        assert shown["poverty.current.poor"] == "2" and shown["poverty.previous.households"] == "20"
    # the Excel report: the section's tables on the first sheet, its keys on the machine sheet
    client.cookies["django_language"] = "vi"
    wb = load_workbook(io.BytesIO(client.get(f"/places/{area.a.code}/dashboard.xlsx").content))
    keys = {r[0]: (r[1], r[2]) for r in wb.worksheets[-1].iter_rows(min_row=2, values_only=True)}
    value, where = keys["poverty.current.poor"]
    assert value == 2 and where.startswith("'Báo cáo'!")
    assert keys["poverty.information.lacking_either"][0] == 5 and keys["poverty.access.villages"][0] == 2
    sheet, cell = where.rsplit("!", 1)
    assert wb[sheet.strip("'")][cell].value == 2
    with translation.override("vi"):
        assert translation.gettext("Poverty") in wb.sheetnames
    # the PDF: the same tables
    from pypdf import PdfReader

    rep = report.build(dashboard.dashboard(area.a, user=users.commune_a), user=users.commune_a, language="en")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report.to_pdf(rep))).pages)
    assert f"Poverty review {Y}" in text and "Households reviewed" in text and "Villages with 4G" in text
    # the API
    api = client.get(f"/api/v1/places/{area.a.code}/indicators").json()
    assert api["poverty"]["current"]["poor"] == 2 and api["poverty"]["information"]["of_those_neither"] == 5


@pytest.mark.parametrize("rule", ["today", "changed"])
def test_who_sees_the_section_is_who_sees_the_poverty_page(many, users, area, login, monkeypatch, rule):
    """One function answers both (``figures.may_see_figures``): with today's rule (whoever sees the place) and with
    the rule changed (viewers refused), the dashboard shows the section exactly to those the poverty page lets in."""
    _reviews(area, users)
    if rule == "changed":
        monkeypatch.setattr(figures, "may_see_figures", lambda u, p: u.role != "viewer" and can_see_place(u, p))
    seen = {}
    for name in ("province", "commune_a", "commune_b", "radio", "leader", "member", "viewer"):
        user = getattr(users, name)
        client = login(user)
        for place in (area.a, area.va1):
            page = client.get(f"/places/{place.code}/poverty/").status_code
            dash = client.get(f"/places/{place.code}/dashboard/")
            if dash.status_code != 200:
                assert dash.status_code == 403 and page == 403, (name, place.code)
                continue
            assert page in (200, 403)
            has = 'id="poverty"' in dash.content.decode()
            assert has == (page == 200), (rule, name, place.code)
            api = client.get(f"/api/v1/places/{place.code}/indicators").json()
            assert (api.get("poverty") is not None) == has, (rule, name, place.code)
            wb = load_workbook(io.BytesIO(client.get(f"/places/{place.code}/dashboard.xlsx").content))
            keys = [r[0] for r in wb.worksheets[-1].iter_rows(min_row=2, values_only=True)]
            assert any(k.startswith("poverty.") for k in keys) == has, (rule, name, place.code)
            seen[(name, place.code)] = has
    assert seen[("viewer", area.a.code)] is (rule == "today")
    assert seen[("commune_a", area.a.code)] and seen[("radio", area.a.code)] and seen[("member", area.va1.code)]


def test_the_map_reads_each_villages_poor_rate_from_the_counters(many, users, area):
    """The village map of a province has thousands of villages: its poor rates come from the villages' counters,
    equal to the reviews counted row by row, and no review row is read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _reviews(area, users)
    for year in (Y - 1, Y):
        rows = (within(PovertyReview.objects.filter(year=year), area.a).values("household__village_id")
                .annotate(n=Count("id"), poor=Count("id", filter=Q(status="poor"))))
        expected = {r["household__village_id"]: figures.rate(r["poor"], r["n"]) for r in rows}
        assert len(expected) == 2
        with CaptureQueriesContext(connection) as q:
            got = pov.village_poor_rates(area.a, year)
        assert got == expected, year
        assert not [s for s in q.captured_queries if "poverty_povertyreview" in s["sql"]]
    assert pov.village_poor_rates(area.a, Y + 5) == {}  # a year nobody reviewed: grey villages
