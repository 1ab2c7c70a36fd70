"""One rule, one function (issue 15, item 2): each rule has one home, and every path that applies it agrees."""

from __future__ import annotations

import datetime
import random

import pytest

UNTIL = datetime.date(2026, 11, 27)


# --- the basic five (skills.rules) --------------------------------------------------------------------------

def test_basic_five_in_sql_equals_the_rule_in_python(people):
    """``basic_five_filter`` (grouped SQL counts) and ``has_basic_five`` (Python) accept the same residents."""
    from collections import Counter

    from ngoso.people.models import Household, Resident
    from ngoso.skills.models import Skill
    from ngoso.skills.rules import (basic5_skill_ids, basic_five_filter, count_reaches_basic_five, has_basic_five,
                                    residents_with_basic_five)
    from ngoso.visits import status
    from ngoso.visits.models import ResidentSkill

    basic5 = basic5_skill_ids()
    assert len(basic5) == 5
    others = list(Skill.objects.filter(catalogue__is_current=True, basic5="").values_list("id", flat=True)[:3])
    rng = random.Random(5)
    h = people.h1
    residents = [Resident.objects.create(household=h, full_name=f"Người {i}", sex="male", birth_year=1980,
                                         ethnicity=people.r1.ethnicity, relation="other") for i in range(40)]
    rows = []
    for i, r in enumerate(residents):
        # every shape: all five alone, four alone and one with help, one missing, extra skills, nothing
        for sid in sorted(basic5):
            level = 2 if i % 4 == 0 else rng.choice([0, 1, 2, 2, 2, None])
            if level is not None:
                rows.append(ResidentSkill(resident=r, skill_id=sid, level=level, observed_on=UNTIL))
        for sid in others:
            rows.append(ResidentSkill(resident=r, skill_id=sid, level=rng.choice([1, 2]), observed_on=UNTIL))
    ResidentSkill.objects.bulk_create(rows)
    triples = list(ResidentSkill.objects.filter(resident__in=residents).values_list("resident_id", "skill_id", "level"))
    in_python = residents_with_basic_five(triples, basic5)
    per_resident = Counter(ResidentSkill.objects.filter(basic_five_filter(basic5), resident__in=residents)
                           .values_list("resident_id", flat=True))
    in_sql = {rid for rid, n in per_resident.items() if count_reaches_basic_five(n, basic5)}
    assert in_sql == in_python
    assert 10 <= len(in_python) < len(residents)  # both kinds are present
    levels = {r.pk: dict(ResidentSkill.objects.filter(resident=r).values_list("skill_id", "level")) for r in residents}
    assert {rid for rid, lv in levels.items() if has_basic_five(lv)} == in_python
    # the household figures (SQL) agree too
    empty = Household.objects.create(code="H9", village=h.village)
    assert status._basic5_by_household([h.pk, empty.pk]) == {h.pk}
    assert not has_basic_five({}, frozenset())  # no catalogue: nobody, never everybody


# --- the demo's derived tables are what the project derives from its records ------------------------------

def _derived() -> dict:
    from ngoso.insights import counters
    from ngoso.insights.models import PlaceCounter
    from ngoso.visits.models import HouseholdStatus, ResidentSkill

    counters.roll_up()  # the writes' deltas folded into the stored counters
    return {
        "ResidentSkill": set(ResidentSkill.objects.values_list("resident_id", "skill_id", "level", "observed_on")),
        "HouseholdStatus": set(HouseholdStatus.objects.values_list("household_id", "last_visit_on", "next_visit_on",
                                                                   "visits", "basic5")),
        "PlaceCounter": set(PlaceCounter.objects.values_list("place_id", "key", "value")),
    }


def _recount() -> None:
    """Throw the derived tables away and derive them again from the records, with the project's own functions."""
    from ngoso.people.models import Household
    from ngoso.insights import counters
    from ngoso.insights.models import PlaceCounter
    from ngoso.visits import services, status
    from ngoso.visits.models import HouseholdStatus, ResidentSkill, SkillRecord

    ResidentSkill.objects.all().delete()
    HouseholdStatus.objects.all().delete()
    PlaceCounter.objects.all().delete()
    services.derive_levels(set(SkillRecord.objects.values_list("resident_id", "skill_id")))
    status.household_status_refresh(Household.objects.values_list("id", flat=True))
    counters.rebuild()


def test_demo_derived_tables_equal_a_recount_row_by_row(db):
    from ngoso.demo import builder

    builder.build("village", seed=11, progress=lambda m: None, until=UNTIL)
    demo = _derived()
    assert len(demo["ResidentSkill"]) > 500 and len(demo["HouseholdStatus"]) > 50 and demo["PlaceCounter"]
    _recount()
    again = _derived()
    for table in demo:
        only_demo = sorted(demo[table] - again[table], key=str)[:5]
        only_recount = sorted(again[table] - demo[table], key=str)[:5]
        assert demo[table] == again[table], (table, len(demo[table] ^ again[table]), only_demo, only_recount)


# --- target groups (people.targets) -------------------------------------------------------------------------

def test_target_groups_one_definition_in_python_and_sql(people):
    """``resident_groups`` (rows in Python: dashboards, poverty, lessons) and ``resident_q`` (database filters)
    put the same residents in each group, women included; households follow their residents."""
    from ngoso.people import targets
    from ngoso.people.models import Ethnicity, Household, Resident

    tay = Ethnicity.objects.get(code="02")
    h = Household.objects.create(code="H7", village=people.h1.village, poverty_status="near_poor")
    Resident.objects.create(household=h, full_name="Lò Thị Mai", sex="female", birth_year=1966, ethnicity=tay,
                            relation="head")
    Resident.objects.create(household=h, full_name="Lò Văn Pả", sex="male", birth_year=1967, ethnicity=tay,
                            relation="spouse", disability=True)
    assert set(targets.GROUPS) == {"elderly", "poor", "minority", "disability", "women"}
    for year in (2025, 2026, 2027):
        rows = {r.pk: targets.groups_of(r, year=year)
                for r in Resident.objects.select_related("household", "ethnicity")}
        for g in targets.GROUPS:
            in_sql = set(Resident.objects.filter(targets.resident_q(g, year=year)).values_list("id", flat=True))
            assert in_sql == {rid for rid, gs in rows.items() if g in gs}, (g, year)
    # Lò Thị Mai turns 60 in 2026: the same boundary for a resident, a lesson's audience and a honorific
    mai = Resident.objects.get(full_name="Lò Thị Mai")
    assert targets.groups_of(mai, year=2026) == ["elderly", "poor", "minority", "women"]
    assert "elderly" not in targets.groups_of(mai, year=2025)
    from ngoso.lessons.services import audience_for
    from ngoso.livelihoods.services import honorific

    assert (audience_for(mai, 2025), audience_for(mai, 2026)) == ("standard", "elderly")
    assert (honorific(mai, 2025), honorific(mai, 2026)) == ("chị", "bà")
    members = [(targets.groups_of(r, year=2026), r.relation, r.sex) for r in h.residents.all()]
    assert targets.household_groups(members, h.poverty_status) == {"poor", "elderly", "minority", "disability",
                                                                    "female_head"}
    assert targets.household_groups([], "average") == set()


# --- phone numbers (people.phones) --------------------------------------------------------------------------

PHONES = [  # typed, stored (None: refused everywhere)
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("0912.345.678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("84912345678", "0912345678"),
    ("912345678", "0912345678"),      # a spreadsheet dropped the leading zero
    ("02043 123 456", "02043123456"),  # 11 digits (landline)
    ("12345", None),
    ("0912 345", None),
    ("1234567890", None),             # 10 digits, not a Vietnamese number (the field app took it before)
    ("091234567890", None),
]


@pytest.mark.parametrize("typed,stored", PHONES)
def test_a_phone_number_is_accepted_or_refused_alike_everywhere(typed, stored, people, users, area):
    """The same table through the import, the field app's sync, the livelihoods service and its form, and the
    admin's form."""
    import json
    import uuid

    from django.test import Client

    from ngoso.livelihoods import services as liv
    from ngoso.livelihoods.forms import ProducerForm
    from ngoso.people.io import ImportFailed, import_people
    from ngoso.people.models import Household
    from ngoso.people.phones import PhoneError, normalize_phone
    from ngoso.sync.models import DeviceToken
    from tests.helpers import csv_bytes

    if stored is None:
        with pytest.raises(PhoneError) as e:
            normalize_phone(typed)
        assert isinstance(e.value, ValueError) and typed in str(e.value) and "không hợp lệ" in str(e.value)
    else:
        assert normalize_phone(typed) == stored
    # 1. the spreadsheet import
    row = {"Mã hộ": "N1", "Mã thôn": area.va1.code, "SĐT hộ": typed, "Họ và tên": "Lê Văn An", "Giới tính": "Nam",
           "Năm sinh": 1960, "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ"}
    if stored is None:
        with pytest.raises(ImportFailed) as e:
            import_people(csv_bytes([row]), "a.csv", users.commune_a)
        assert [(x.column, typed in x.vi) for x in e.value.errors] == [("SĐT hộ", True)]
    else:
        import_people(csv_bytes([row]), "a.csv", users.commune_a)
        assert Household.objects.get(code="N1").phone == stored
    # 2. the field app (sync push of an edit)
    _, token = DeviceToken.issue(users.leader, "Redmi")
    body = {"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "records": [{"type": "household", "uuid": str(uuid.uuid4()), "household": "H1",
                         "changes": {"phone": {"from": "0912345678", "to": typed}}}]}
    r = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post("/api/v1/sync/push", json.dumps(body),
                                                          content_type="application/json").json()["results"][0]
    h1 = Household.objects.get(code="H1")
    if stored is None:
        assert (r["status"], r["field"], h1.phone) == ("rejected", "phone", "0912345678") and typed in r["error"]
    else:
        assert r["status"] == "created" and h1.phone == stored
    # 3. livelihoods (the service) and 4. its form
    if stored is None:
        with pytest.raises(liv.LivelihoodError):
            liv.create_producer(people.h1, users.member, name="Bánh", person=people.r1, phone=typed)
    else:
        assert liv.create_producer(people.h1, users.member, name="Bánh", person=people.r1, phone=typed).phone == stored
    form = ProducerForm(data={"name": "Bánh 2", "kind": "craft", "person": people.r1.pk, "phone": typed},
                        household=people.h1)
    assert form.is_valid() == (stored is not None), form.errors
    if stored is not None:
        assert form.cleaned_data["phone"] == stored
    # 5. the admin's forms for households and residents
    from django.forms import modelform_factory

    from ngoso.people.admin import PhoneForm
    from ngoso.people.models import Resident

    admin_form = modelform_factory(Resident, form=PhoneForm, fields=["phone"])(data={"phone": typed},
                                                                              instance=people.r1)
    assert admin_form.is_valid() == (stored is not None), admin_form.errors
    if stored is None:
        assert typed in admin_form.errors["phone"][0]


# --- resident search (people.search) ------------------------------------------------------------------------

@pytest.mark.parametrize("q", ["nguyen thi", "Nguyễn Thị", "thi ly", "binh", "LAN", "0911222333", "0987 654",
                               "+84 987 654 321", "uyen", "x"])
def test_search_page_and_api_find_the_same_residents(q, people, users, login):
    """The search page and ``GET /api/v1/residents`` answer with the same residents (one function)."""
    from ngoso.people import search
    from ngoso.people.models import Resident

    c = login(users.commune_a)
    page = c.get("/search/", {"q": q})
    api = c.get("/api/v1/residents", {"q": q})
    try:
        expected = [str(r.uuid) for r in search.find_residents(Resident.objects.filter(
            household__village__path__startswith=users.commune_a.place.path), q)]
    except search.SearchError:
        assert api.status_code == 400 and "2" in api.json()["message"]
        return
    assert [h["uuid"] for h in api.json()] == expected
    shown = page.context["results"]["residents"]
    assert [str(r.uuid) for r in shown] == expected


def test_a_batch_with_two_visits_on_one_day_keeps_the_status_a_recount_gives(people, users, area):
    """Two visits to one household on the same day in one batch: the incremental status (``visits_added``,
    from the batch alone) names the same latest visit as the recount (``visits.rules.visit_status``)."""
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services, status
    from ngoso.visits.models import HouseholdStatus

    team = Team.objects.create(place=area.va1, level="village", name="Tổ")
    mem = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    Membership.objects.create(member=mem, team=team, role="member", started_on="2024-01-01")
    day = datetime.date.today() - datetime.timedelta(days=1)
    items = [services.VisitIn("H1", day, present=[people.r1.pk], next_visit_on=day + datetime.timedelta(days=d))
             for d in (7, 30)]
    out = services.record_visits(users.member, items)
    assert [o.status for o in out] == ["created", "created"]
    incremental = HouseholdStatus.objects.filter(household=people.h1).values_list(
        "last_visit_on", "next_visit_on", "visits", "basic5").get()
    status.household_status_refresh([people.h1.pk])
    recount = HouseholdStatus.objects.filter(household=people.h1).values_list(
        "last_visit_on", "next_visit_on", "visits", "basic5").get()
    assert incremental == recount == (day, day + datetime.timedelta(days=30), 2, False)
