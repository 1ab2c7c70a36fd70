"""Issue 18 (pages and forms): pictures that draw in Vietnamese, forms that keep work, leaders who see first."""

from __future__ import annotations

import datetime
import re

import pytest

pytestmark = pytest.mark.django_db

SVG_NUMBER_ATTRS = ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "stroke-width", "font-size")


def svg_attr_problems(html: str) -> list[str]:
    """Every numeric attribute inside an <svg> must be a plain number with a dot (SVG cannot read '19,5')."""
    bad = []
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        for name, value in re.findall(r'\s([a-z-]+)="([^"]*)"', svg):
            if name in SVG_NUMBER_ATTRS and not re.fullmatch(r"-?\d+(\.\d+)?", value):
                bad.append(f'{name}="{value}"')
            if name == "viewBox" and not re.fullmatch(r"[\d. -]+", value):
                bad.append(f'{name}="{value}"')
    return bad


def _vi(client):
    client.cookies["django_language"] = "vi"
    return client


def test_dashboard_chart_numbers_never_localised(login, people, users):
    """Before: the bars were written `y="70,0"` in Vietnamese and Chromium drew nothing."""
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    team = Team.objects.create(place=people.h1.village, level="village", name="Tổ")
    m = Member.objects.create(place=people.h1.village, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=m, team=team, role="member", started_on="2024-01-01")
    services.record_visit(users.member, people.h1, visited_on=datetime.date.today(), present=[people.r1.pk], results=[
        services.SkillResult(people.r1.pk, services.next_skills(people.r1)[0].pk, 2)], note="")
    c = _vi(login(users.commune_a))
    html = c.get("/places/07351/dashboard/").content.decode()
    assert "<svg" in html and "<rect" in html
    assert svg_attr_problems(html) == []
    # a title, a value axis and a table view with the same numbers
    assert 'class="axis"' in html and 'class="tick"' in html and 'class="table-view"' in html
    assert re.search(r'data-k="visits\.weeks\[\d{4}-\d\d-\d\d\]\.visits" data-v="1"', html)


def test_chart_helper_numbers():
    from ngoso.core.charts import bar_chart, nice_max, svg_number

    assert svg_number(19.5) == "19.5" and svg_number(24.0) == "24" and svg_number(1 / 3) == "0.3"
    assert [nice_max(x) for x in (0, 1, 3, 7, 12, 51, 100)] == [1, 1, 5, 10, 20, 100, 100]
    ch = bar_chart([("a", "A", 0), ("b", "B", 4), ("c", "C", 10)])
    assert [b["h"] for b in ch["bars"]][0] == "0" and float(ch["bars"][2]["h"]) > float(ch["bars"][1]["h"]) > 0
    assert [t["text"] for t in ch["y_ticks"]] == ["0", "5", "10"]


def _province_of_villages(area, n):
    from ngoso.places.services import add_village

    villages = []
    for i in range(n):
        v = add_village(area.a, f"Thôn số {i + 1}")
        v.latitude, v.longitude = 21.0 + (i % 10) * 0.01, 106.0 + (i // 10) * 0.01
        v.save(update_fields=["latitude", "longitude"])
        villages.append(v)
    return villages


def test_poverty_map_coloured_above_80_villages_and_numbers_unlocalised(login, area, users):
    """Before: above 80 villages every dot was grey (rates were not computed) and cx/cy had commas."""
    from ngoso.people.models import Household
    from ngoso.poverty.models import PovertyReview

    villages = _province_of_villages(area, 90)
    for i, v in enumerate(villages):
        h = Household.objects.create(code=f"P{i}", village=v)
        PovertyReview.objects.create(household=h, year=2025, standard="2022-2025", area_type="rural", income=1,
                                     status="poor" if i % 2 else "not_poor")
    c = _vi(login(users.commune_a))
    html = c.get("/places/07351/poverty/?year=2025").content.decode()
    dots = re.findall(r'<circle [^>]*fill="(#[0-9a-f]{6})"', html)
    assert len(dots) == 90
    assert "#9aa3ad" not in dots  # every village reviewed: none grey
    assert svg_attr_problems(html) == []
    assert "Xem dạng bảng" in html and "100,0 %" in html


def test_access_map_numbers_unlocalised(login, area, users):
    _province_of_villages(area, 5)
    html = _vi(login(users.commune_a)).get("/places/07351/access/").content.decode()
    assert html.count("<circle") == 5 and svg_attr_problems(html) == []


# --- forms that keep work ----------------------------------------------------------------------------------

@pytest.fixture
def member_team(people, users):
    from ngoso.teams.models import Member, Membership, Team

    team = Team.objects.create(place=people.h1.village, level="village", name="Tổ")
    m = Member.objects.create(place=people.h1.village, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=m, team=team, role="member", started_on="2024-01-01")
    return team, m


def test_visit_form_keeps_what_was_entered_after_an_error(login, people, users, member_team):
    """Before: after a date error the form came back empty (levels, note, dates gone)."""
    import uuid

    from ngoso.visits import services
    from ngoso.visits.models import Visit

    c = _vi(login(users.member))
    sk = services.next_skills(people.r1)[0]
    u = str(uuid.uuid4())
    today = datetime.date.today()
    post = {"uuid": u, "present": [people.r1.pk, people.r2.pk], f"lvl-{people.r1.pk}-{sk.pk}": "1",
            "note": "Bà Lý học nhanh", "visited_on": today.isoformat(),
            "next_visit_on": (today - datetime.timedelta(days=3)).isoformat()}
    html = c.post("/visit/H1/", post).content.decode()
    assert Visit.objects.count() == 0
    assert f'value="{u}"' in html  # the same visit
    assert re.search(rf'name="lvl-{people.r1.pk}-{sk.pk}" value="1" checked', html)
    assert re.search(rf'name="present" value="{people.r2.pk}" checked', html)
    assert ">Bà Lý học nhanh</textarea>" in html
    assert f'name="next_visit_on" value="{post["next_visit_on"]}"' in html
    # the error stands beside its field
    assert re.search(r'id="err-next_visit_on">Ngày hẹn thăm lại phải sau ngày thăm<', html)
    assert c.post("/visit/H1/", dict(post, next_visit_on="")).status_code == 302
    assert Visit.objects.get().note == "Bà Lý học nhanh"


def test_empty_visit_refused_everywhere(login, people, users, member_team):
    """Before: a visit with nobody present and no result was stored and counted."""
    import uuid

    from ngoso.visits import services
    from ngoso.visits.models import Visit

    c = _vi(login(users.member))
    html = c.post("/visit/H1/", {"uuid": str(uuid.uuid4()), "visited_on": datetime.date.today().isoformat(),
                                 "note": "vắng nhà"}).content.decode()
    assert "Lượt thăm trống" in html and 'id="err-present"' in html and Visit.objects.count() == 0
    out = services.record_visits(users.member, [services.VisitIn("H1", datetime.date.today())])
    assert out[0].status == "rejected" and out[0].error.field == "present" and Visit.objects.count() == 0


def test_back_after_save_then_save_again_stores_no_duplicate(login, people, users, member_team):
    """Before: browser Back re-rendered the form with a fresh UUID, and Save stored a second visit."""
    from ngoso.visits.models import Visit

    c = _vi(login(users.member))
    first = c.get("/visit/H1/").content.decode()
    u = re.search(r'name="uuid" value="([^"]+)"', first).group(1)
    post = {"uuid": u, "present": [people.r1.pk], "visited_on": datetime.date.today().isoformat()}
    assert c.post("/visit/H1/", post).status_code == 302
    again = c.get("/visit/H1/").content.decode()  # Back (the page fetched again)
    assert re.search(r'name="uuid" value="([^"]+)"', again).group(1) == u and 'id="already-saved"' in again
    assert c.post("/visit/H1/", post).status_code == 302 and Visit.objects.count() == 1
    fresh = c.get("/visit/H1/?new=1").content.decode()
    assert re.search(r'name="uuid" value="([^"]+)"', fresh).group(1) != u


def test_a_baby_is_not_offered_using_a_smartphone(people):
    """Before: next_skills offered 'using a smartphone' to a resident born this year."""
    from ngoso.people.models import Resident
    from ngoso.skills.models import Skill
    from ngoso.visits import services

    baby = Resident.objects.create(household=people.h1, full_name="Bé Na", sex="female",
                                   birth_year=datetime.date.today().year, relation="child",
                                   ethnicity=people.r1.ethnicity)
    assert services.next_skills(baby) == []
    child = Resident.objects.create(household=people.h1, full_name="Cháu Nam", sex="male",
                                    birth_year=datetime.date.today().year - 8, relation="child",
                                    ethnicity=people.r1.ethnicity)
    offered = [s.code for s in services.next_skills(child, limit=50)]
    assert "smartphone-basics" in offered
    # a child who uses a smartphone alone is still not offered a bank app (15 and over)
    assert Skill.objects.get(catalogue__is_current=True, code="bank-app").min_age == 15
    assert "smartphone-basics" in [s.code for s in services.next_skills(people.r1, limit=50)]


# --- leaders see before they act; counts link to what they count ------------------------------------------

def _visit(user, hh, resident, on, next_on):
    from ngoso.visits import services

    services.record_visit(user, hh, visited_on=on, present=[resident.pk], next_visit_on=next_on)


def test_next_7_days_holds_no_past_date_and_overdue_counts_link_to_their_households(login, people, users,
                                                                                     member_team, area):
    """Before: 'Follow-ups in the next 7 days' listed dates months past; the team page's overdue count had no link."""
    from ngoso.people.models import Household, Resident
    from ngoso.visits import services

    team, m = member_team
    h4 = Household.objects.create(code="H4", village=area.va1)
    r4 = Resident.objects.create(household=h4, full_name="Lê Văn Tư", sex="male", birth_year=1960, relation="head",
                                 ethnicity=people.r1.ethnicity)
    services.assign(users.leader, [people.h1, h4], m)
    today = datetime.date.today()
    _visit(users.member, people.h1, people.r1, today - datetime.timedelta(days=100), today - datetime.timedelta(days=90))
    _visit(users.member, h4, r4, today, today + datetime.timedelta(days=3))
    assert [s.household.code for s in services.followups(m)] == ["H4"]
    assert [s.household.code for s in services.followups(m, kind="overdue")] == ["H1"]
    page = login(users.member).get("/today/").content.decode()
    upcoming = page[page.index('id="upcoming"'):]
    assert "Lê Văn Tư" in upcoming and "Nguyễn Thị Lý" not in upcoming
    assert "Nguyễn Thị Lý" in page[page.index('id="overdue"'):page.index('id="upcoming"')]
    c = login(users.leader)
    team_html = c.get(f"/teams/{team.pk}/").content.decode()
    link = f"/teams/{team.pk}/followups/?kind=overdue&amp;member={m.pk}"
    assert f'<a href="{link}">1</a>' in team_html
    listed = c.get(link.replace("&amp;", "&")).content.decode()
    assert "/households/H1/" in listed and "/households/H4/" not in listed
    # each list once (before: devices, conflicts and visits were printed twice)
    h2 = re.findall(r"<h2>(.*?)</h2>", team_html)
    assert len(h2) == len(set(h2)) >= 3
    hh = c.get("/households/H1/").content.decode()
    h2 = re.findall(r"<h2>(.*?)</h2>", hh)
    assert len(h2) == len(set(h2)) and "Lượt thăm" in h2


# --- a CSV saved by Vietnamese Excel (Windows-1258) -----------------------------------------------------------

def test_a_csv_from_vietnamese_excel_is_read(area, users):
    """Before: a Windows-1258 CSV was refused ('not UTF-8')."""
    from ngoso.people.io import PEOPLE_COLUMNS, decode_csv, import_people
    from ngoso.people.models import Resident
    from tests.helpers import encode_cp1258

    headers = [c.vi for c in PEOPLE_COLUMNS]
    row = {"Mã hộ": "W1", "Mã thôn": "07351.001", "Họ và tên": "Phạm Thị Hường", "Giới tính": "Nữ",
           "Năm sinh": "1958", "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ", "Ngõ": "Ngõ Đình"}
    text = ";".join(headers) + "\r\n" + ";".join(row.get(h, "") for h in headers) + "\r\n"
    data = encode_cp1258(text)
    assert b"\xf2" in data or b"\xec" in data  # combining tone marks, as Excel writes them
    data.decode("cp1258")
    import pytest as _pytest

    with _pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_csv(data) == text
    assert decode_csv(b"\xef\xbb\xbf" + text.encode()) == text  # UTF-8 with BOM
    r = import_people(data, "excel.csv", users.commune_a)
    assert r.residents_created == 1
    assert Resident.objects.get().full_name == "Phạm Thị Hường"


# --- the handout batch: choose before printing ------------------------------------------------------------------

def test_handout_batch_choose_then_print_only_what_is_ticked(login, people, users, member_team, area):
    """Before: the batch printed every resident's two next lessons for every household, with no way to choose
    (138 pages for 12 households)."""
    import io

    from pypdf import PdfReader

    from ngoso.lessons import services as L
    from ngoso.people.models import Household, Resident
    from ngoso.visits import services

    team, m = member_team
    h4 = Household.objects.create(code="H4", village=area.va1, house_number="20")
    Resident.objects.create(household=h4, full_name="Lê Văn Tư", sex="male", birth_year=1960, relation="head",
                            ethnicity=people.r1.ethnicity)
    services.assign(users.leader, [people.h1, h4], m)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    c = login(users.member)
    page = c.get("/today/").content.decode()
    assert "/lessons/print/choose/" in page
    choose = c.get("/lessons/print/choose/").content.decode()
    assert choose.count('name="household"') == 2 and "Lê Văn Tư" in choose and "Nguyễn Thị Lý" in choose
    everything = L.tomorrow_batch(users.member, day=tomorrow, base_url="http://t", per_resident=2)
    one_house = L.tomorrow_batch(users.member, day=tomorrow, base_url="http://t", per_resident=1, households={"H4"})
    assert (everything.households, one_house.households, one_house.lessons) == (2, 1, 1)
    pages_all = len(PdfReader(io.BytesIO(everything.pdf)).pages)
    pages_one = len(PdfReader(io.BytesIO(one_house.pdf)).pages)
    assert pages_one < pages_all
    print(f"handout pages: {pages_all} for {everything.lessons} lessons; {pages_one} for {one_house.lessons}")
    # through the page's form: only the ticked household and skill
    sk = services.next_skills(people.r1)[0]
    r = c.get("/lessons/print/", {"chosen": "1", "day": tomorrow.isoformat(), "per": "1", "household": "H1",
                                  "skill": sk.code, "size": "A5"})
    assert r.status_code == 302  # printed by the queue: the job page, then the file
    from ngoso.core import jobs
    from ngoso.core.models import Job

    job = jobs.run_now(Job.objects.get(kind="lesson_batch"))
    assert job.status == "done" and job.result["households"] == 1, job.error
    nothing = c.get("/lessons/print/", {"chosen": "1", "day": tomorrow.isoformat(), "per": "1"})
    assert nothing.status_code == 404  # nothing ticked: told so, no empty PDF


def test_whole_alley_shows_whose_households_before_taking_them_and_a_leaving_member_is_confirmed(
        login, people, users, member_team, area):
    """Before: 'Cả một ngõ' silently took another member's households; 'Cho rời tổ' had no confirmation;
    one assigned household could not be moved."""
    from ngoso.people.models import Household
    from ngoso.teams.models import Member, Membership
    from ngoso.visits import services
    from ngoso.visits.models import Assignment

    team, m = member_team
    other = Member.objects.create(place=area.va1, full_name="Đỗ Thị Hai")
    ms_other = Membership.objects.create(member=other, team=team, role="member", started_on="2024-01-01")
    h5 = Household.objects.create(code="H5", village=area.va1, alley="3")
    services.assign(users.leader, [people.h1, h5], m)
    c = login(users.leader)
    url = f"/teams/{team.pk}/assign/"
    preview = c.post(url, {"action": "assign", "member": other.pk, "alley": "3"})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="preview"' in html
    assert "H1" in html and "H5" in html and "Phạm Thị Viên" in html  # whose they are now
    assert Assignment.objects.filter(member=other).count() == 0  # nothing taken yet
    assert c.post(url, {"action": "assign", "member": other.pk, "household": ["H1", "H5"], "confirm": "1"}
                  ).status_code == 302
    assert set(Assignment.objects.filter(member=other, ended_on__isnull=True).values_list("household__code",
                                                                                       flat=True)) == {"H1", "H5"}
    # move one assigned household back, from its page
    hh_page = c.get("/households/H5/").content.decode()
    assert f'href="/teams/{team.pk}/assign/?move=H5"' in hh_page
    assert 'value="H5"' in c.get(f"{url}?move=H5").content.decode()
    c.post(url, {"action": "assign", "member": m.pk, "household": ["H5"], "confirm": "1"})
    assert Assignment.objects.get(household=h5, ended_on__isnull=True).member == m
    # an unknown code is named, nothing happens
    bad = c.post(url, {"action": "assign", "member": m.pk, "household": ["NOPE"]}, follow=True).content.decode()
    assert "NOPE" in bad
    # a member leaving: first where their households go, then only on confirmation
    leave = c.post(url, {"action": "leave", "membership": ms_other.pk}).content.decode()
    assert 'id="leave-plan"' in leave and "Phạm Thị Viên +1" in leave and "H1" in leave
    ms_other.refresh_from_db()
    assert ms_other.ended_on is None
    c.post(url, {"action": "leave", "membership": ms_other.pk, "confirm": "1"})
    ms_other.refresh_from_db()
    assert ms_other.ended_on is not None
    assert Assignment.objects.get(household=people.h1, ended_on__isnull=True).member == m


def test_move_in_form_keeps_what_was_entered_beside_the_errors_and_is_saved_once(login, people, users, area):
    """Before: a wrong household code gave a bare 404 page, any other error an empty form with a message at the
    top; and each Save (browser Back after saving, then Save again) stored another request (a new UUID per POST)."""
    from ngoso.people.models import MoveRequest

    import uuid

    c = _vi(login(users.leader))
    page = c.get("/moves/").content.decode()
    # the form's UUID is made by the page's script (site.js, data-once), so Back brings the same one back
    assert re.search(r'<input type="text" name="uuid" value="" data-once hidden', page)
    form_uuid = str(uuid.uuid4())
    data = {"uuid": form_uuid, "household": "H404", "full_name": "Đinh Thị Mới", "birth_year": "1991",
            "from_village": "", "from_text": "Hà Giang", "relation": "child"}
    r = c.post("/moves/new/", data)
    assert r.status_code == 400
    html = r.content.decode()
    form = html[html.index('id="move-new"'):]
    assert 'value="Đinh Thị Mới"' in form and 'value="1991"' in form and 'value="Hà Giang"' in form
    assert 'value="H404"' in form and f'value="{form_uuid}"' in form
    assert '<option value="child" selected>' in form
    assert re.search(r'name="household"[^>]*aria-invalid="true"[^>]*><span class="field-error">Không có hộ mã «H404»',
                     form)
    # the village of origin missing: said beside it, nothing lost
    r = c.post("/moves/new/", {**data, "household": "H1", "from_text": ""})
    assert r.status_code == 400 and 'value="Đinh Thị Mới"' in r.content.decode()
    assert re.search(r'name="from_village">.*?</select><span class="field-error">', r.content.decode(), re.S)
    assert MoveRequest.objects.count() == 0
    # saved; the same form sent again (Back, then Save) stores nothing new
    assert c.post("/moves/new/", {**data, "household": "H1"}).status_code == 302
    assert c.post("/moves/new/", {**data, "household": "H1"}).status_code == 302
    assert MoveRequest.objects.count() == 1


def test_assignment_and_leaving_forms_keep_what_was_entered_and_counts_link_to_the_households(
        login, people, users, member_team, area):
    """Before: a refused assignment redirected to an empty form with a message at the top (the member chosen, the
    alley and the code typed were gone); 'a member leaves' had a member chosen in advance and an empty choice
    gave a 404 page; the households a member looks after were a bare number on the team and assignment pages."""
    from ngoso.people.models import Household
    from ngoso.teams.models import Member, Membership
    from ngoso.visits import services
    from ngoso.visits.models import Assignment

    team, m = member_team
    other = Member.objects.create(place=area.va1, full_name="Đỗ Thị Hai")
    Membership.objects.create(member=other, team=team, role="member", started_on="2024-01-01")
    Household.objects.create(code="H7", village=area.va1, alley="5", house_number="2")
    services.assign(users.leader, [people.h1], m)
    c = _vi(login(users.leader))
    url = f"/teams/{team.pk}/assign/"
    r = c.post(url, {"action": "assign", "member": other.pk, "household": ["H7", "07351.999.NOPE"]})
    assert r.status_code == 400
    form = r.content.decode()
    form = form[form.index('id="assign-form"'):form.index('id="leave-form"')]
    assert re.search(rf'<option value="{other.pk}" selected>', form)
    assert 'value="H7" checked' in form  # the ticked household stays ticked
    assert 'value="07351.999.NOPE"' in form  # the typed code stays in its box, the error beside it
    assert re.search(r'value="07351.999.NOPE"[^>]*aria-invalid="true"[^>]*><span class="field-error">'
                     r'[^<]*07351\.999\.NOPE', form), form
    assert not Assignment.objects.filter(member=other).exists()
    # leaving: nobody chosen in advance; choosing nobody is said beside the choice, not a 404
    page = c.get(url).content.decode()
    assert re.search(r'<select name="membership" required><option value="">—</option>', page)
    r = c.post(url, {"action": "leave", "membership": ""})
    assert r.status_code == 400 and 'class="field-error">Hãy chọn thành viên rời tổ.' in r.content.decode()
    # the count of a member's households links to them
    link = f"/teams/{team.pk}/followups/?kind=households&amp;member={m.pk}"
    assert f'<a href="{link}">1</a>' in c.get(f"/teams/{team.pk}/").content.decode()
    assert f'href="{link}"' in page
    listed = c.get(link.replace("&amp;", "&")).content.decode()
    assert "/households/H1/" in listed and "/households/H7/" not in listed and "Nguyễn Thị Lý" in listed
    assert '<ul class="cards day" id="in-care">' in listed  # a follow-up past its date shows as due, as on the day list
    # an English assignment page writes "alley", not "ngõ", for the households without a member
    c.cookies["django_language"] = "en"
    en = c.get(url).content.decode()
    en = en[en.index('id="assign-form"'):en.index('id="leave-form"')]
    assert "· alley 5" in en and "ngõ 5" not in en


def test_leaders_previews_name_the_households_in_walking_order_and_addresses_speak_english(
        login, people, users, member_team, area):
    """Before: the previews listed codes only ("H10 (ngõ 3)"), a leaving member's households in text order (10
    before 9), and the address was written "số 12, ngõ 3" on the English pages (the field app: "no. 12, alley 3")."""
    from ngoso.people.models import Household, Resident
    from ngoso.teams.models import Member, Membership
    from ngoso.visits import services

    team, m = member_team
    other = Member.objects.create(place=area.va1, full_name="Đỗ Thị Hai")
    ms = Membership.objects.create(member=other, team=team, role="member", started_on="2024-01-01")
    hs = []
    for no in ("10", "9"):
        h = Household.objects.create(code=f"N{no}", village=area.va1, alley="3", house_number=no)
        Resident.objects.create(household=h, full_name=f"Chủ Hộ {no}", sex="male", birth_year=1970, relation="head",
                                ethnicity=people.r1.ethnicity)
        hs.append(h)
    services.assign(users.leader, hs, other)
    c = _vi(login(users.leader))
    url = f"/teams/{team.pk}/assign/"
    leave = c.post(url, {"action": "leave", "membership": ms.pk}).content.decode()
    plan = leave[leave.index('id="leave-plan"'):]
    assert plan.index("Chủ Hộ 9 (số 9, ngõ 3 · N9)") < plan.index("Chủ Hộ 10 (số 10, ngõ 3 · N10)")
    preview = c.post(url, {"action": "assign", "member": m.pk, "alley": "3"}).content.decode()
    table = preview[preview.index('id="preview"'):]
    assert "<strong>Chủ Hộ 9</strong>" in table and table.index("N9") < table.index("N10")
    c.cookies["django_language"] = "en"
    assert "no. 12, alley 3" in c.get("/households/H1/").content.decode()
    services.assign(users.leader, [people.h1], m)
    member = login(users.member)
    member.cookies["django_language"] = "en"
    assert "Đồng Bụt · no. 12, alley 3" in member.get("/today/").content.decode()


def test_skill_names_in_the_readers_language_on_household_resident_and_producer_pages(login, people, users,
                                                                                       member_team):
    """Before: the household's visits, the resident's levels, history and next lessons, a producer's channels
    and the channel form named every skill in Vietnamese on the English pages (``name_vi`` in the templates);
    the commune demo's sweep found it."""
    from ngoso.livelihoods import services as liv
    from ngoso.visits import services

    today = datetime.date.today()
    sk = services.next_skills(people.r1)[0]
    services.record_visit(users.member, people.h1, visited_on=today, present=[people.r1.pk],
                          results=[services.SkillResult(people.r1.pk, sk.pk, 1)])
    producer = liv.create_producer(people.h1, users.member, name="Bánh nhôm Ngọc Thiện", kind="craft",
                                   person=people.r1)
    liv.add_channel(producer, users.member, kind="social", platform="facebook", since=today, skills=[sk])
    c = login(users.commune_a)
    pages = [f"/households/{people.h1.code}/", f"/residents/{people.r1.uuid}/",
             f"/livelihoods/producers/{producer.uuid}/", f"/livelihoods/producers/{producer.uuid}/channels/new/"]
    for lang, shown, hidden in (("en", sk.name_en, sk.name_vi), ("vi", sk.name_vi, sk.name_en)):
        c.cookies["django_language"] = lang
        for url in pages:
            html = c.get(url).content.decode()
            assert shown in html and hidden not in html, (lang, url)


def test_vietnamese_content_is_marked_vietnamese_on_english_pages(login, area, users, monkeypatch):
    """What people wrote in Vietnamese (a bulletin's title and text, a farming article, a success story) stands
    in an element marked ``lang="vi"`` on the English pages: an English reader's screen reader and browser read
    it as Vietnamese, and the sweep tells it from interface words left untranslated (before, the commune demo's
    English radio, library and story pages read as half-translated)."""
    from ngoso.livelihoods import services as liv
    from ngoso.livelihoods.models import FarmingArticle
    from ngoso.radio import services as radio

    monkeypatch.setattr(radio, "render_audio", lambda b: b)
    b = radio.create_bulletin(title="Lịch tiêm chủng tháng này", text="Tiêm chủng cho trẻ em tại trạm y tế xã.",
                              category="health", place=area.a, author=users.radio)
    liv.load_starter_articles()
    article = FarmingArticle.objects.order_by("pk").first()
    c = login(users.commune_a)
    c.cookies["django_language"] = "en"
    for url, text in (("/radio/bulletins/", b.title), (f"/radio/bulletins/{b.pk}/", b.title),
                      (f"/radio/bulletins/{b.pk}/", b.text), ("/livelihoods/articles/", article.title),
                      (f"/livelihoods/articles/{article.slug}/", article.title),
                      (f"/livelihoods/articles/{article.slug}/", article.summary)):
        html = c.get(url).content.decode()
        assert re.search(r'<(\w+)[^>]* lang="vi"[^>]*>(<strong>)?' + re.escape(text), html), (url, text)
