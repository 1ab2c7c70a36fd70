"""Issue 19: households and residents registered offline through the real sync API (retries, conflicts,
consent), life events, duplicates scored and scanned, merge moving every related row, undo, the review page."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.core.exceptions import PermissionDenied

from ngoso.people import duplicates, merge
from ngoso.people.models import Consent, DuplicateDecision, Household, Merge, Resident
from ngoso.people.registration import household_code
from ngoso.sync.models import SyncConflict
from ngoso.insights import counters as indicators
from ngoso.visits.models import Assignment, ResidentSkill, SkillRecord, Visit

from tests.sync.test_sync import device, push  # noqa: F401 - fixtures

TODAY = datetime.date.today()


def new_household(area, uid=None, **kw):
    rec = {"type": "new_household", "uuid": str(uid or uuid.uuid4()), "village": area.va1.code, "alley": "5",
           "house_number": "7", "latitude": 21.3, "longitude": 106.2, "access": {"has_smartphone": True}}
    rec.update(kw)
    return rec


def new_resident(hh_code, uid=None, **kw):
    rec = {"type": "new_resident", "uuid": str(uid or uuid.uuid4()), "household": hh_code,
           "full_name": "Đỗ Thị Hoa", "sex": "female", "birth_year": 1995, "ethnicity": "01", "relation": "head",
           "phone": "+84 912 000 111", "consent": {"given": True, "method": "oral"}}
    rec.update(kw)
    return rec


def commune_residents(area) -> int:
    indicators._check_year()
    return indicators.counters(area.a)["res"]


def test_offline_family_and_first_visit_in_one_batch_and_retried(people, area, device, team):
    indicators.rebuild()
    before = commune_residents(area)
    hid, r1, r2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    code = household_code(hid)
    first_visit = {"type": "visit", "uuid": str(uuid.uuid4()), "household": code, "visited_on": TODAY.isoformat(),
                   "present": [str(r1), str(r2)],
                   "results": [{"resident": str(r1), "skill": "zalo-messaging", "level": 1}]}
    # the visit comes first in the batch, the residents before their household: the server orders them
    batch = [first_visit, new_resident(code, r1),
             new_resident(code, r2, full_name="Đỗ Văn Nam", sex="male", birth_year=2018, relation="child", phone=""),
             new_household(area, hid)]
    out = push(device.client, batch).json()
    assert out["counts"] == {"created": 4, "duplicate": 0, "rejected": 0}, out
    hh = Household.objects.get(uuid=hid)
    assert hh.code == code and hh.has_smartphone and hh.latitude == 21.3
    assert Assignment.objects.get(household=hh, ended_on=None).member == team  # the registrar answers for it
    hoa = Resident.objects.get(uuid=r1)
    assert hoa.phone == "0912000111"  # through people.phones
    assert Consent.objects.get(resident=hoa).given  # consent recorded with the person
    v = Visit.objects.get(uuid=first_visit["uuid"])
    assert set(v.present.values_list("uuid", flat=True)) == {r1, r2}
    assert ResidentSkill.objects.get(resident=hoa).level == 1
    assert commune_residents(area) == before + 2  # the dashboards follow
    # retried twice (the answer was lost on 3G): nothing stored twice
    for _ in range(2):
        again = push(device.client, batch).json()
        assert again["counts"] == {"created": 0, "duplicate": 4, "rejected": 0}, again
    assert Household.objects.filter(uuid=hid).count() == 1 and Resident.objects.filter(household=hh).count() == 2
    assert Visit.objects.filter(household=hh).count() == 1 and SkillRecord.objects.filter(resident=hoa).count() == 1
    assert Consent.objects.filter(resident=hoa).count() == 1
    assert commune_residents(area) == before + 2
    # the pull gives it back in the least-data shape: no phone, no GPS, no ethnic group
    page = device.client.get("/api/v1/sync/pull?limit=1000").json()
    got = next(h for h in page["households"] if h["code"] == code)
    assert {r["full_name"] for r in got["residents"]} == {"Đỗ Thị Hoa", "Đỗ Văn Nam"}
    text = json.dumps(got)
    assert "0912000111" not in text and "21.3" not in text and "ethnicity" not in text


def test_no_consent_no_personal_data_kept(people, area, device):
    hid = uuid.uuid4()
    code = household_code(hid)
    out = push(device.client, [new_household(area, hid), new_resident(code, consent={"given": False}),
                               new_resident(code, consent=None, full_name="Lò Văn A")]).json()
    assert [r["status"] for r in out["results"]] == ["created", "rejected", "rejected"]
    assert out["results"][1]["field"] == "consent" and "đồng ý" in out["results"][1]["error"]
    assert not Resident.objects.filter(household__uuid=hid).exists()
    assert not Resident.objects.filter(full_name__in=["Đỗ Thị Hoa", "Lò Văn A"]).exists()


def test_bad_values_are_named_and_outside_the_area_refused(people, area, device):
    hid = uuid.uuid4()
    code = household_code(hid)
    out = push(device.client, [
        new_household(area, hid),
        new_resident(code, phone="12ab"),
        new_resident(code, birth_year=1700),
        new_resident(code, sex="x"),
        new_resident(code, full_name="Bad\x07name"),
        new_household(area, village=area.vb1.code),        # another commune
        new_household(area, latitude=200),
        new_resident("H3"),                                 # a household outside the member's area
    ]).json()
    fields = [(r["status"], r.get("field")) for r in out["results"]]
    assert fields == [("created", None), ("rejected", "phone"), ("rejected", "birth_year"), ("rejected", "sex"),
                      ("rejected", "full_name"), ("rejected", "village"), ("rejected", "latitude"),
                      ("rejected", "household")], fields
    assert Resident.objects.filter(household__uuid=hid).count() == 0


def test_viewer_cannot_register(people, area, users):
    from ngoso.people import registration

    with pytest.raises(PermissionDenied):
        registration.register_household(users.viewer, uuid=uuid.uuid4(), village=area.va1)
    h, created = registration.register_household(users.commune_a, uuid=uuid.uuid4(), village=area.va2)
    assert created and not Assignment.objects.filter(household=h).exists()  # staff have no member row


def test_a_uuid_committed_meanwhile_stands_and_nothing_of_ours_is_kept(people, area, users):
    """The race a phone's retry can run with itself: the row is saved once, by whichever request commits first;
    the other gets that row back (created False) and what it would have written beside it is rolled back. Any
    other clash is raised."""
    from django.db import IntegrityError

    from ngoso.people.registration import _save_once

    uid = uuid.uuid4()
    first = Household.objects.create(uuid=uid, code=household_code(uid), village=area.va1)
    ours = Household(uuid=uid, code="RACE-2", village=area.va1)
    before = Consent.objects.count()

    def with_it():  # what the losing request writes beside its row
        Consent.objects.create(resident=people.r1, given=True, method="verbal", recorded_by="race")

    got, created = _save_once(ours, users.commune_a, with_it)
    assert (got.pk, created) == (first.pk, False)
    assert Consent.objects.count() == before and not Household.objects.filter(code="RACE-2").exists()
    with pytest.raises(IntegrityError):  # the same code under a new UUID is not that race
        _save_once(Household(uuid=uuid.uuid4(), code=first.code, village=area.va1), users.commune_a)


def test_offline_edit_of_a_record_changed_on_the_server_is_a_conflict(people, area, device, users):
    hid = uuid.uuid4()
    code = household_code(hid)
    push(device.client, [new_household(area, hid)])
    # the commune changes the house number on the web meanwhile
    h = Household.objects.get(uuid=hid)
    h.house_number = "9A"
    h.save()
    edit = {"type": "household", "uuid": str(uuid.uuid4()), "household": code,
            "changes": {"house_number": {"from": "7", "to": "7B"}}}
    out = push(device.client, [edit]).json()
    assert out["results"][0]["conflicts"] == ["house_number"]
    c = SyncConflict.objects.get(object_code=code)
    assert (c.status, c.theirs, c.mine) == ("pending", "9A", "7B")  # for the leader: never a silent overwrite
    h.refresh_from_db()
    assert h.house_number == "9A"
    assert push(device.client, [edit]).json()["counts"]["duplicate"] == 1


def test_life_events_offline_and_the_figures_follow(people, area, device, team):
    indicators.rebuild()
    before = commune_residents(area)
    died = {"type": "life_event", "uuid": str(uuid.uuid4()), "resident": str(people.r2.uuid), "event": "died",
            "on": TODAY.isoformat()}
    # split: a new household in the same village, the head moves into it
    hid = uuid.uuid4()
    split = [new_household(area, hid),
             {"type": "life_event", "uuid": str(uuid.uuid4()), "resident": str(people.r1.uuid), "event": "move",
              "household": household_code(hid)}]
    out = push(device.client, [died, *split]).json()
    assert out["counts"] == {"created": 3, "duplicate": 0, "rejected": 0}, out
    assert push(device.client, [died, *split]).json()["counts"]["duplicate"] == 3
    people.r2.refresh_from_db()
    people.r1.refresh_from_db()
    assert people.r2.status == "died" and people.r2.status_on == TODAY
    assert people.r1.household.uuid == hid
    assert commune_residents(area) == before - 1  # the dead are not counted; the move changes no total
    page = device.client.get("/api/v1/sync/pull?limit=1000").json()
    names = {r["full_name"] for h in page["households"] for r in h["residents"]}
    assert "Trần Văn Bình" not in names and "Nguyễn Thị Lý" in names
    # moved away to another province
    moved = {"type": "life_event", "uuid": str(uuid.uuid4()), "resident": str(people.r1.uuid),
             "event": "moved_away", "moved_to": "Hà Nội"}
    assert push(device.client, [moved]).json()["counts"]["created"] == 1
    people.r1.refresh_from_db()
    assert (people.r1.status, people.r1.moved_to) == ("moved_away", "Hà Nội")
    assert commune_residents(area) == before - 2
    indicators.rebuild()
    assert commune_residents(area) == before - 2  # the incremental figures equal a recount


# --- duplicates ---------------------------------------------------------------------------------------------

def row(i, name, year, sex="female", hh=1, village=1, phone=""):
    from ngoso.core.text import fold

    return {"id": i, "full_name": name, "search_name": fold(name), "birth_year": year, "sex": sex,
            "household_id": hh, "household__village_id": village, "phone_digits": phone}


@pytest.mark.parametrize("a,b,same_household,other_household", [
    (("Nguyễn Thị Lý", 1958), ("Nguyen Thi Ly", 1958), "likely", "likely"),     # accents missing
    (("Nguyễn Thị Lý", 1958), ("Nguyễn Thi Lys", 1958), "likely", "warn"),      # a typo
    (("Nguyễn Thị Lý", 1958), ("Nguyễn Thị Lý", 1985), "likely", "warn"),       # birth year digits swapped
    (("Nguyễn Thị Lý", 1958), ("Ngyuễn Thị Lý", 1959), "warn", None),           # swapped letters and a year off
])
def test_likely_duplicates(a, b, same_household, other_household):
    """"likely": proposed by the scan and the review page; "warn": warned of at the door and listed in the
    import preview, where the person choosing is at hand."""
    want = {"likely": duplicates.THRESHOLD, "warn": duplicates.WARN_THRESHOLD}
    for hh, tier in ((1, same_household), (2, other_household)):
        if tier is None:
            continue
        score, evidence = duplicates.score_residents(row(1, *a), row(2, *b, hh=hh))
        assert score >= want[tier], (hh, score, evidence)


@pytest.mark.parametrize("a,b", [
    (("Nguyễn Thị Lý", 1958, "female"), ("Nguyễn Văn Lý", 1958, "male")),   # different sex
    (("Nguyễn Thị Lý", 1958, "female"), ("Nguyễn Thị Lý", 1990, "female")),  # mother and daughter's namesake
    (("Nguyễn Thị Lý", 1958, "female"), ("Trần Thị Mai", 1958, "female")),
])
def test_not_duplicates(a, b):
    score, _ = duplicates.score_residents(row(1, *a), row(2, *b, hh=2))
    assert score < duplicates.WARN_THRESHOLD


def test_scan_finds_pairs_and_not_the_same_is_remembered(people, area, users):
    kinh = people.r1.ethnicity
    dup = Resident.objects.create(household=people.h2, full_name="Nguyen Thi Ly", sex="female", birth_year=1978,
                                  ethnicity=kinh, phone="0987654321")  # another village: the phone tells
    found = duplicates.scan(area.a, users.commune_a)["residents"]
    assert [p.ids for p in found] == [tuple(sorted((people.r1.pk, dup.pk)))]
    assert duplicates.scan(area.b, users.commune_b)["residents"] == []  # another commune sees nothing of it
    merge.not_the_same(users.commune_a, "resident", people.r1, dup)
    assert duplicates.scan(area.a, users.commune_a)["residents"] == []


def test_import_rows_matched_against_the_registry(people, area):
    incoming = [row(-1, "Nguyen Thi Ly", 1978, village=area.va1.pk, hh=None),
                row(-2, "Phùng Văn Mới", 2001, sex="male", village=area.va1.pk, hh=None)]
    found = duplicates.matches(incoming, area.a)
    assert [p.b["id"] for p in found[-1]] == [people.r1.pk] and -2 not in found


# --- merge -------------------------------------------------------------------------------------------------

def _rows_pointing_at(obj) -> dict:
    out = {}
    for rel in type(obj)._meta.related_objects:
        if rel.many_to_many:
            through = rel.through
            fk = next(f for f in through._meta.concrete_fields if f.is_relation and f.related_model is type(obj))
            out[f"{rel.name}"] = through.objects.filter(**{fk.name: obj}).count()
        else:
            out[rel.name] = rel.related_model.objects.filter(**{rel.field.name: obj}).count()
    return out


def test_merge_moves_every_related_row_recomputes_and_undoes(people, area, users, team):
    from ngoso.livelihoods.models import Producer, PublicConsent
    from ngoso.people.services import record_consent
    from ngoso.skills.models import Skill
    from ngoso.visits import services

    indicators.rebuild()
    before = commune_residents(area)
    kinh = people.r1.ethnicity
    dup = Resident.objects.create(household=people.h1, full_name="Nguyen Thi Ly", sex="female", birth_year=1978,
                                  ethnicity=kinh)
    record_consent(users.member, dup, True)
    Producer.objects.create(household=people.h1, person=dup, name="Mật ong Lý")
    PublicConsent.objects.create(resident=dup, purpose="producer", given=True)
    zalo = Skill.objects.get(code="zalo-messaging", catalogue__is_current=True)
    services.record_visit(users.member, people.h1, visited_on=TODAY - datetime.timedelta(days=3), present=[dup.uuid],
                          results=[services.SkillResult(str(dup.uuid), "zalo-messaging", 2)])
    # one visit where both records were ticked present: the pair cannot be kept twice
    services.record_visit(users.member, people.h1, visited_on=TODAY - datetime.timedelta(days=1),
                          present=[dup.uuid, people.r1.uuid])
    # a conflicting offline edit waiting for the leader, and the request that moved them in (issue 19)
    from ngoso.people.models import MoveRequest

    SyncConflict.objects.create(place_path=area.va1.path, model="resident", object_code=str(dup.uuid), resident=dup,
                                field="birth_year", theirs="1978", mine="1977", value=1977)
    MoveRequest.objects.create(uuid=uuid.uuid4(), household=people.h1, full_name="Nguyen Thi Ly", resident=dup,
                               status="done", from_text="Thôn khác", requested_by="member_a1")
    indicators.rebuild()
    assert commune_residents(area) == before + 1  # counted twice: the reason to merge
    lost_rows = _rows_pointing_at(dup)
    assert lost_rows["sync_conflicts"] == 1 and lost_rows["moves_in"] == 1
    kept_before = _rows_pointing_at(people.r1)
    m = merge.merge_residents(users.commune_a, people.r1, dup)
    assert not Resident.objects.filter(pk=dup.pk).exists()
    after = _rows_pointing_at(people.r1)
    for name, n in lost_rows.items():
        if name in ("skill_levels",):
            continue
        want = kept_before[name] + n - (1 if name == "visits_present" else 0)
        assert after[name] == want, (name, after[name], want)
    assert ResidentSkill.objects.get(resident=people.r1, skill=zalo).level == 2  # levels recomputed
    assert commune_residents(area) == before  # one person, one count
    assert m.merged_by == users.commune_a.username and m.lost_record["fields"]["full_name"] == "Nguyen Thi Ly"
    assert DuplicateDecision.objects.get(low=min(m.kept_id, m.lost_id)).same
    # undo: the record and every row moved are back
    merge.undo(users.commune_a, m)
    restored = Resident.objects.get(pk=dup.pk)
    assert _rows_pointing_at(restored) == lost_rows
    assert _rows_pointing_at(people.r1) == kept_before
    assert commune_residents(area) == before + 1
    assert Merge.objects.get(pk=m.pk).undone_at is not None


def test_merge_households_moves_residents_visits_and_assignments(people, area, users, team):
    indicators.rebuild()
    dup_h = Household.objects.create(code="H1b", village=area.va1, alley="3", house_number="12")
    kinh = people.r1.ethnicity
    head = Resident.objects.create(household=dup_h, full_name="Trần Minh", sex="male", birth_year=2000,
                                   ethnicity=kinh, relation="head")
    from ngoso.visits import services

    services.assign(users.leader, [dup_h], team)
    services.record_visit(users.member, dup_h, visited_on=TODAY, present=[head.pk])  # an empty visit is refused
    indicators.rebuild()
    hh_before = indicators.counters(area.a)["hh"]
    m = merge.merge_households(users.leader, people.h1, dup_h)
    assert not Household.objects.filter(pk=dup_h.pk).exists()
    assert people.h1.residents.count() == 3 and people.h1.residents.filter(relation="head").count() == 1
    assert Visit.objects.filter(household=people.h1).count() == 1
    assert Assignment.objects.filter(household=people.h1, ended_on=None).count() == 1
    assert people.h1.status.last_visit_on == TODAY
    assert indicators.counters(area.a)["hh"] == hh_before - 1
    merge.undo(users.leader, m)
    assert Household.objects.get(pk=dup_h.pk).residents.count() == 1


def test_merge_who_may(people, area, users):
    kinh = people.r1.ethnicity
    in_va2 = Resident.objects.create(household=people.h2, full_name="Nguyễn Thị Lý", sex="female", birth_year=1978,
                                     ethnicity=kinh)
    with pytest.raises(PermissionDenied):
        merge.merge_residents(users.member, people.r1, in_va2)  # members do not merge
    with pytest.raises(PermissionDenied):
        merge.merge_residents(users.leader, people.r1, in_va2)  # the other village is outside their area
    from ngoso.accounts.models import Role, User

    commune_leader = User.objects.create(username="leader_xa", role=Role.TEAM_LEADER, place=area.a)
    with pytest.raises(PermissionDenied, match="cán bộ xã"):
        merge.merge_residents(commune_leader, people.r1, in_va2)  # across villages: commune staff
    with pytest.raises(PermissionDenied):
        merge.merge_residents(users.commune_b, people.r1, in_va2)  # outside their area
    with pytest.raises(PermissionDenied):
        merge.merge_residents(users.commune_a, people.r1, people.r4)  # across communes: province staff
    merge.merge_residents(users.commune_a, people.r1, in_va2)


def test_review_page_says_when_it_was_scanned_even_when_nothing_was_found(people, area, users, login):
    """Before: the page read the last scan's time from the pairs it stored, so a scan that found nothing (or
    whose pairs were all answered since) read "not scanned yet" beside "0 pairs … look like the same"."""
    c = login(users.commune_a)
    page = c.get("/duplicates/").content.decode()
    assert "Chưa quét" in page and "Không thấy bản ghi nào" not in page and "0 cặp" not in page
    c.post("/duplicates/scan/", {"place": area.a.code})  # the fixture holds no likely pair
    page = c.get("/duplicates/").content.decode()
    assert "Chưa quét" not in page and "Lần quét gần nhất" in page and "Không thấy bản ghi nào" in page
    page = login(users.commune_a).get(f"/duplicates/?place={area.va1.code}").content.decode()
    assert "Lần quét gần nhất" in page  # the commune's scan covers its villages
    page = login(users.province).get(f"/duplicates/?place={area.b.code}").content.decode()
    assert "Chưa quét" in page  # another commune was not scanned


def test_review_page_lists_pairs_side_by_side_and_merges(people, area, users, login):
    kinh = people.r1.ethnicity
    dup = Resident.objects.create(household=people.h2, full_name="Nguyen Thi Ly", sex="female", birth_year=1978,
                                  ethnicity=kinh, phone="0987654321")
    assert login(users.member).get("/duplicates/").status_code == 403
    assert login(users.viewer).get("/duplicates/").status_code == 403
    c = login(users.commune_a)
    assert 'class="dup-pair"' not in c.get("/duplicates/").content.decode()  # not scanned yet
    c.post("/duplicates/scan/", {"place": area.a.code})
    page = c.get("/duplicates/").content.decode()
    assert 'href="/duplicates/"' in page  # in the menu of those who review
    assert 'href="/duplicates/"' not in login(users.member).get("/today/").content.decode()
    c = login(users.commune_a)
    assert "Nguyễn Thị Lý" in page and "Nguyen Thi Ly" in page and "cùng tên (không kể dấu)" in page
    assert "0987654321" in page  # staff see the phone evidence
    assert "0 lượt thăm · 0 kết quả kỹ năng · 0 lần đồng ý" in page
    c.cookies["django_language"] = "en"
    Consent.objects.create(resident=dup, given=True, method="oral")
    page_en = c.get("/duplicates/").content.decode()
    assert "0 visits · 0 skill records · 1 consent" in page_en and "1 consents" not in page_en  # said as counted
    c.cookies["django_language"] = "vi"
    # another commune's staff cannot merge these (404: not in their area), nor see them
    other = login(users.commune_b)
    other.post("/duplicates/scan/", {"place": area.b.code})
    assert "Nguyen Thi Ly" not in other.get("/duplicates/").content.decode()
    assert other.post("/duplicates/scan/", {"place": area.a.code}).status_code == 403  # not their commune
    assert other.post("/duplicates/merge/", {"kind": "resident", "keep": people.r1.pk,
                                             "other": dup.pk}).status_code == 404
    c = login(users.commune_a)
    r = c.post("/duplicates/merge/", {"kind": "resident", "keep": people.r1.pk, "other": dup.pk, "place": area.a.code})
    assert r.status_code == 302 and not Resident.objects.filter(pk=dup.pk).exists()
    page = c.get(r["Location"]).content.decode()
    assert "Nguyen Thi Ly → Nguyễn Thị Lý" in page
    m = Merge.objects.get()
    r = c.post(f"/duplicates/undo/{m.pk}/", {"place": area.a.code})
    assert r["Location"] == f"/duplicates/?place={area.a.code}"
    assert Resident.objects.filter(pk=dup.pk).exists()
    c.post("/duplicates/not-same/", {"kind": "resident", "keep": people.r1.pk, "other": dup.pk})
    assert 'class="dup-pair"' not in c.get("/duplicates/").content.decode()


@pytest.mark.django_db(transaction=True)  # the chosen import runs as a job in a worker thread
def test_import_preview_lists_likely_duplicates_and_follows_the_choice(people, area, users, login, tmp_path):
    import time

    from ngoso.core import jobs
    from ngoso.core.models import Job
    from ngoso.people.import_duplicates import NeedsChoice
    from ngoso.people.io import import_people
    from tests.helpers import csv_bytes

    rows = [
        {"Mã hộ": "N9", "Mã thôn": area.va1.code, "Họ và tên": "Hà Văn Mới", "Giới tính": "Nam", "Năm sinh": 1980,
         "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ"},
        {"Mã hộ": "N9", "Mã thôn": area.va1.code, "Họ và tên": "Nguyen Thi Ly", "Giới tính": "Nữ", "Năm sinh": 1978,
         "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Vợ/chồng"},
        {"Mã hộ": "N9", "Mã thôn": area.va1.code, "Họ và tên": "Trần Văn Bình", "Giới tính": "Nam", "Năm sinh": 1950,
         "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Khác"},
    ]
    data = csv_bytes(rows)
    before = Resident.objects.count()
    with pytest.raises(NeedsChoice) as exc:
        import_people(data, "list.csv", users.commune_a)
    assert Resident.objects.count() == before and not Household.objects.filter(code="N9").exists()
    listed = {e["row"]: e for e in exc.value.rows}
    assert set(listed) == {3, 4}  # Hà Văn Mới is nobody we know
    assert listed[3]["matches"][0]["id"] == people.r1.pk and listed[4]["matches"][0]["id"] == people.r2.pk
    # through the page: the job asks, the user chooses, the import runs with the choices
    from ngoso.core import files

    name = files.save("uploads", "up-preview.csv", data)  # as the import page keeps it (storage "uploads")
    p = files.root("uploads") / name
    job = jobs.submit("import_people", {"path": name, "filename": "list.csv", "user_id": users.commune_a.pk},
                      user=users.commune_a, place_path=area.a.path, background=False)
    assert job.result["ok"] is None and job.result["choose_count"] == 2 and p.exists()  # the file waits
    c = login(users.commune_a)
    page = c.get(job.get_absolute_url()).content.decode()
    assert "Nguyễn Thị Lý" in page and f'value="same:{people.r1.pk}"' in page
    r = c.post(f"/duplicates/import/{job.token}/", {"choice-3": f"same:{people.r1.pk}"})
    assert r.status_code == 302 and Resident.objects.count() == before  # row 4 has no answer yet
    r = c.post(f"/duplicates/import/{job.token}/", {"choice-3": f"same:{people.r1.pk}", "choice-4": "skip"})
    new = Job.objects.exclude(pk=job.pk).get()
    for _ in range(200):
        new.refresh_from_db()
        if new.status in ("done", "failed"):
            break
        time.sleep(0.05)
    assert new.status == "done" and new.result["ok"], (new.error, new.result)
    assert new.result["residents_created"] == 1 and new.result["residents_matched"] == 1
    assert new.result["residents_skipped"] == 1
    assert list(Household.objects.get(code="N9").residents.values_list("full_name", flat=True)) == ["Hà Văn Mới"]
    assert not p.exists()
    # the preview job cannot be answered twice
    assert c.post(f"/duplicates/import/{job.token}/", {"choice-3": "new", "choice-4": "new"}).status_code == 404


def test_nightly_scan_command_stores_candidates_per_commune(people, area, users):
    import argparse

    from ngoso.commands import duplicates as command
    from ngoso.people.models import DuplicateCandidate

    Resident.objects.create(household=people.h1, full_name="Trần Văn Bính", sex="male", birth_year=1950,
                            ethnicity=people.r1.ethnicity)
    assert command.handle(argparse.Namespace(place=None)) == 0
    c = DuplicateCandidate.objects.get()
    assert (c.kind, c.low, c.place_path) == ("resident", people.r2.pk, area.va1.path)
    assert command.handle(argparse.Namespace(place=area.province.code)) == 0  # again: replaced, not added
    assert DuplicateCandidate.objects.count() == 1
    assert [p.ids for p in duplicates.stored(users.leader, area.va1)] == [(c.low, c.high)]
    assert duplicates.stored(users.commune_b, area.b) == []


def test_erasure_takes_the_merged_away_copy_with_it(people, area, users):
    from ngoso.people.services import erase_resident

    dup = Resident.objects.create(household=people.h1, full_name="Nguyen Thi Ly", sex="female", birth_year=1978,
                                  ethnicity=people.r1.ethnicity, phone="0911000999")
    m = merge.merge_residents(users.commune_a, people.r1, dup)
    assert "0911000999" in json.dumps(Merge.objects.get(pk=m.pk).lost_record)
    erase_resident(people.r1, done_by=users.commune_a, reason="yêu cầu")
    assert not Merge.objects.exists() and not DuplicateDecision.objects.exists()



def test_households_listed_twice_are_found_and_merged(people, area, users):
    kinh = people.r1.ethnicity
    twin = Household.objects.create(code="H1-sổ-thôn", village=area.va1, alley="3", house_number="12",
                                    phone="0912 345 678")
    Resident.objects.create(household=twin, full_name="Nguyen Thi Ly", sex="female", birth_year=1978, ethnicity=kinh,
                            relation="head")
    Household.objects.create(code="H1-khác", village=area.va2, alley="3", house_number="12")  # same address, other village
    found = duplicates.scan(area.a, users.commune_a)
    assert [p.ids for p in found["households"]] == [tuple(sorted((people.h1.pk, twin.pk)))]
    assert {e[0] for e in found["households"][0].evidence} == {"address", "phone", "people"}
    merge.merge_households(users.commune_a, people.h1, twin)
    assert duplicates.scan(area.a, users.commune_a)["households"] == []
    # the two Lý records are now in one household: proposed as one person
    assert [p.ids for p in duplicates.scan(area.a, users.commune_a)["residents"]] == [
        tuple(sorted(people.h1.residents.filter(search_name="nguyen thi ly").values_list("pk", flat=True)))]


def test_the_nightly_scan_is_on_the_schedule(people, area):
    from ngoso.core import jobs
    from ngoso.people.models import DuplicateCandidate

    assert any(t["name"] == "duplicates_scan" for t in jobs.schedule())
    Resident.objects.create(household=people.h1, full_name="Tran Van Binh", sex="male", birth_year=1950,
                            ethnicity=people.r1.ethnicity)
    jobs.run_periodic("duplicates_scan")
    assert DuplicateCandidate.objects.filter(low=people.r2.pk).exists()


# --- figures follow the residents, not the rows -------------------------------------------------------------

def _figures(place) -> dict:
    c = indicators.counters(place)
    return {k: c[k] for k in ("hh", "hh:poor", "hh:elderly", "hh:minority", "res")}


def _assert_recount(*places) -> None:
    for place in places:  # the counters kept incrementally equal a full recount of the records
        assert +indicators.counters(place) == +indicators._computed([place])[place.pk], place.code


def test_a_household_everyone_left_stops_being_counted_and_counts_again(people, area, users):
    """Commune A by hand: H1 (va1, poor; Lý 1978 head, Bình 1950 elderly) and H2 (va2; Nông 1990, Tày)."""
    from ngoso.people import registration
    from ngoso.poverty.services import coverage

    indicators.rebuild()
    staff = users.commune_a

    def va1_households():
        return next(c.households for c in coverage(area.a) if c.village.pk == area.va1.pk)

    assert _figures(area.a) == {"hh": 2, "hh:poor": 1, "hh:elderly": 1, "hh:minority": 1, "res": 3}
    assert va1_households() == 1
    registration.life_event(staff, people.r1, "moved_away", moved_to="Hà Nội")
    assert _figures(area.a) == {"hh": 2, "hh:poor": 1, "hh:elderly": 1, "hh:minority": 1, "res": 2}
    _assert_recount(area.a, area.va1, area.province)
    registration.life_event(staff, Resident.objects.get(pk=people.r2.pk), "died")
    # nobody lives in H1 any more: not a household, not a poor one, not one with an elderly member
    assert _figures(area.a) == {"hh": 1, "hh:poor": 0, "hh:elderly": 0, "hh:minority": 1, "res": 1}
    assert va1_households() == 0
    _assert_recount(area.a, area.va1, area.province)
    # Nông moves in from the other village (the same row, his history with him): H1 counts again, H2 stops
    registration.life_event(staff, Resident.objects.get(pk=people.r3.pk), "move", household=people.h1)
    assert _figures(area.a) == {"hh": 1, "hh:poor": 1, "hh:elderly": 0, "hh:minority": 1, "res": 1}
    assert va1_households() == 1
    _assert_recount(area.a, area.va1, area.va2, area.province)
    registration.life_event(staff, Resident.objects.get(pk=people.r1.pk), "returned")
    assert _figures(area.a) == {"hh": 1, "hh:poor": 1, "hh:elderly": 0, "hh:minority": 1, "res": 2}
    _assert_recount(area.a, area.va1, area.va2, area.province)


# --- edits made offline, conflicts a leader resolves ----------------------------------------------------------

def _pulled(device, code) -> dict:
    page = device.client.get("/api/v1/sync/pull?limit=1000").json()
    return next(h for h in page["households"] if h["code"] == code)


def resident_edit(res_uuid, changes, **kw):
    return {"type": "resident", "uuid": str(uuid.uuid4()), "resident": str(res_uuid), "changes": changes, **kw}


def test_offline_edits_of_a_resident_every_field_idempotent(people, area, device):
    from ngoso.accounts.models import AuditEntry

    indicators.rebuild()
    lan = _pulled(device, "H1")["residents"]
    ly = next(r for r in lan if r["full_name"] == "Nguyễn Thị Lý")
    Consent.objects.create(resident=people.r1, given=True, method="oral")
    edit = resident_edit(people.r1.uuid, {
        "full_name": {"from": "Nguyễn Thị Lý", "to": "Nguyễn Thị Lí"}, "birth_year": {"from": 1978, "to": 1958},
        "sex": {"from": "female", "to": "female"}, "relation": {"from": "head", "to": "head"},
        "ethnicity": {"to": "02"}, "phone": {"to": "+84 912 777 888"}}, base=ly["version"])
    out = push(device.client, [edit]).json()
    assert out["results"][0] == {"index": 0, "uuid": edit["uuid"], "status": "created", "conflicts": []}, out
    r = Resident.objects.get(pk=people.r1.pk)
    assert (r.full_name, r.birth_year, r.ethnicity.code, r.phone) == ("Nguyễn Thị Lí", 1958, "02", "0912777888")
    assert AuditEntry.objects.filter(model="people.Resident", object_pk=str(r.pk), action="update",
                                     changes__birth_year=[1978, 1958]).exists()
    assert indicators.counters(area.a)["res:elderly"] == 2  # born 1958: the figures follow in the same push
    assert +indicators.counters(area.a) == +indicators._computed([area.a])[area.a.pk]
    # sent again (the answer lost on 3G): nothing changes twice
    assert push(device.client, [edit]).json()["counts"] == {"created": 0, "duplicate": 1, "rejected": 0}
    assert AuditEntry.objects.filter(model="people.Resident", object_pk=str(r.pk), action="update").count() == 1
    # a bad value names its field; nothing of the edit is kept
    bad = resident_edit(people.r1.uuid, {"full_name": {"to": "X"}, "birth_year": {"to": 1700}})
    res = push(device.client, [bad]).json()["results"][0]
    assert (res["status"], res["field"]) == ("rejected", "birth_year")
    assert Resident.objects.get(pk=people.r1.pk).full_name == "Nguyễn Thị Lí"


def test_personal_fields_kept_only_with_consent(people, area, device):
    """Bình has no consent on record: his phone is refused, unless the member records his consent with it."""
    out = push(device.client, [resident_edit(people.r2.uuid, {"phone": {"to": "0912000999"}})]).json()
    assert (out["results"][0]["status"], out["results"][0]["field"]) == ("rejected", "consent")
    assert Resident.objects.get(pk=people.r2.pk).phone == ""
    ok = resident_edit(people.r2.uuid, {"phone": {"to": "0912000999"}}, consent={"given": True, "method": "oral"})
    assert push(device.client, [ok]).json()["results"][0]["status"] == "created"
    assert Resident.objects.get(pk=people.r2.pk).phone == "0912000999"
    assert Consent.objects.get(resident=people.r2).given
    # his name needs no new consent (no personal field)
    assert push(device.client, [resident_edit(people.r2.uuid, {"full_name": {"to": "Trần Văn Bính"}})]).json()[
        "results"][0]["status"] == "created"


def test_edit_of_a_record_changed_since_the_pull_waits_for_the_leader_page(people, area, device, users, login):
    """The phone pulled H1; the commune changed Lý's birth year and phone on the web; the member, offline,
    corrects both. The server keeps its values, the leader decides field by field on the page."""
    ly = next(r for r in _pulled(device, "H1")["residents"] if r["full_name"] == "Nguyễn Thị Lý")
    Consent.objects.create(resident=people.r1, given=True, method="oral")
    r = Resident.objects.get(pk=people.r1.pk)
    r.birth_year, r.phone = 1979, "0987000000"
    r.save()
    edit = resident_edit(people.r1.uuid, {"birth_year": {"from": 1978, "to": 1977}, "phone": {"to": "0912555666"},
                                          "full_name": {"from": "Nguyễn Thị Lý", "to": "Nguyễn Thị Lý A"}},
                         base=ly["version"])
    out = push(device.client, [edit]).json()["results"][0]
    assert out["status"] == "created" and sorted(out["conflicts"]) == ["birth_year", "phone"]
    r.refresh_from_db()
    assert (r.birth_year, r.phone, r.full_name) == (1979, "0987000000", "Nguyễn Thị Lý A")  # nothing overwritten
    year = SyncConflict.objects.get(field="birth_year")
    assert (year.base, year.theirs, year.mine, year.resident_id) == ("1978", "1979", "1977", r.pk)
    phone = SyncConflict.objects.get(field="phone")
    # the member cannot decide; a leader of another commune sees nothing
    assert login(users.member).get("/conflicts/").status_code == 403
    page = login(users.commune_b).get("/conflicts/")
    assert page.status_code == 200 and "1977" not in page.content.decode()
    c = login(users.leader)
    page = c.get("/conflicts/").content.decode()
    assert "1977" in page and "1979" in page and "0912555666" in page
    resp = c.post("/conflicts/", {f"c{year.pk}": "mine", f"c{phone.pk}": "theirs"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert (r.birth_year, r.phone) == (1977, "0987000000")
    assert set(SyncConflict.objects.values_list("status", flat=True)) == {"mine", "theirs"}
    assert "1977" not in c.get("/conflicts/").content.decode()  # decided: off the page
    assert +indicators.counters(area.a) == +indicators._computed([area.a])[area.a.pk]


def test_household_edit_offline_with_base_version(people, area, device):
    h1 = _pulled(device, "H1")
    edit = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "base": h1["version"],
            "changes": {"has_radio": {"to": True}, "house_number": {"from": "12", "to": "12A"}}}
    assert push(device.client, [edit]).json()["results"][0]["conflicts"] == []
    h = Household.objects.get(code="H1")
    assert (h.has_radio, h.house_number) == (True, "12A")
    # another edit from the same old pull: the radio was not changed since, but the record was — kept for review
    late = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "base": h1["version"],
            "changes": {"has_radio": {"to": False}}}
    assert push(device.client, [late]).json()["results"][0]["conflicts"] == ["has_radio"]
    assert Household.objects.get(code="H1").has_radio is True


# --- moving in from another village ---------------------------------------------------------------------------

def test_moved_in_from_another_village_offline_request_completed_by_commune_staff(people, area, device, users, login):
    from ngoso.people.models import MoveRequest
    from ngoso.people import registration

    indicators.rebuild()
    from ngoso.visits import services as visits

    visits.record_visit(users.province, people.h2, visited_on=TODAY, present=[people.r3.pk],
                        results=[visits.SkillResult(people.r3.pk, "zalo-messaging", 2)])
    indicators.rebuild()
    # Nông (H2, village 2) now lives in H1 (village 1): the member cannot see village 2, so they ask
    req = {"type": "move_in", "uuid": str(uuid.uuid4()), "household": "H1", "full_name": "Hoang Van Nong",
           "birth_year": 1990, "sex": "male", "from_village": area.va2.code, "relation": "other"}
    out = push(device.client, [req]).json()
    assert out["results"][0]["status"] == "created" and out["results"][0]["pending"] is True
    assert push(device.client, [req]).json()["counts"]["duplicate"] == 1
    mr = MoveRequest.objects.get()
    assert Resident.objects.get(pk=people.r3.pk).household == people.h2  # nothing moved yet
    # the leader of village 1 cannot see village 2: no candidate offered, and moving is refused
    assert registration.move_candidates(users.leader, mr) == []
    with pytest.raises(PermissionDenied):
        registration.complete_move(users.leader, mr, people.r3)
    assert "Hoàng Văn Nông" not in login(users.leader).get("/moves/").content.decode()
    # commune staff find him (accents and all) and move the same row
    c = login(users.commune_a)
    page = c.get("/moves/").content.decode()
    assert "Hoàng Văn Nông" in page
    assert [p.pk for _s, p, _e in registration.move_candidates(users.commune_a, mr)] == [people.r3.pk]
    before_v1 = indicators.counters(area.va1)["res"]
    assert c.post(f"/moves/{mr.pk}/", {"resident": people.r3.pk}).status_code == 302
    r3 = Resident.objects.get(pk=people.r3.pk)
    assert r3.household == people.h1 and r3.uuid == people.r3.uuid
    assert ResidentSkill.objects.get(resident=r3).level == 2 and SkillRecord.objects.filter(resident=r3).count() == 1
    mr.refresh_from_db()
    assert (mr.status, mr.resident_id, mr.done_by) == ("done", r3.pk, users.commune_a.username)
    assert indicators.counters(area.va1)["res"] == before_v1 + 1 and indicators.counters(area.va2)["hh"] == 0
    for place in (area.va1, area.va2, area.a, area.province):
        assert +indicators.counters(place) == +indicators._computed([place])[place.pk], place.code


def test_moving_in_across_communes_needs_province_staff(people, area, users):
    from ngoso.accounts import permissions
    from ngoso.people import registration

    req, _ = registration.request_move_in(users.commune_a, uuid=uuid.uuid4(), household=people.h1,
                                          full_name="Nguyễn Thị Lan", birth_year=1985, from_text="Bắc Giang")
    with pytest.raises(PermissionDenied):  # Lan lives in commune B: outside commune A's area
        registration.complete_move(users.commune_a, req, people.r4)
    with pytest.raises(PermissionDenied, match="province staff"):  # the rule itself, for any role below province
        permissions.require_across(users.commune_b, people.h3.village, people.h1.village, "Moving")
    assert [p.pk for _s, p, _e in registration.move_candidates(users.province, req)] == [people.r4.pk]
    registration.complete_move(users.province, req, people.r4)
    assert Resident.objects.get(pk=people.r4.pk).household == people.h1


def test_erasure_takes_the_conflicts_and_move_records_of_the_person(people, area, device, users):
    from ngoso.accounts.models import AuditEntry
    from ngoso.people import registration, services
    from ngoso.people.models import MoveRequest

    Consent.objects.create(resident=people.r3, given=True, method="oral")
    req, _ = registration.request_move_in(users.commune_a, uuid=uuid.uuid4(), household=people.h1,
                                          full_name="Hoàng Văn Nông", birth_year=1990, from_village=area.va2)
    registration.complete_move(users.commune_a, req, people.r3)
    r = Resident.objects.get(pk=people.r3.pk)
    r.phone = "0911000222"
    r.save()
    edit = resident_edit(people.r3.uuid, {"phone": {"from": "", "to": "0911999888"}})
    assert push(device.client, [edit]).json()["results"][0]["conflicts"] == ["phone"]
    assert SyncConflict.objects.filter(resident=r).exists() and MoveRequest.objects.filter(resident=r).exists()
    own = services.subject_data(r)  # the person's own copy holds both
    assert own["conflicting_edits"][0]["from_the_phone"] == "0911999888"
    assert own["moved_in"][0]["from"] == area.va2.name and own["moved_in"][0]["done_by"] == users.commune_a.username
    services.erase_resident(r, done_by=users.commune_a, reason="yêu cầu")
    assert not SyncConflict.objects.filter(object_code=str(people.r3.uuid)).exists()
    assert not MoveRequest.objects.exists()
    for text in ("Hoàng Văn Nông", "0911999888", "0911000222"):
        assert not AuditEntry.objects.filter(changes__icontains=text).exists(), text
        assert not AuditEntry.objects.filter(object_repr__icontains=text).exists(), text


def _audit_naming(*texts) -> list[str]:
    from ngoso.accounts.models import AuditEntry

    found = []
    for e in AuditEntry.objects.all():
        blob = json.dumps(e.changes, ensure_ascii=False) + e.object_repr
        found += [f"{t!r} in {e.model} {e.object_pk or '-'} {e.action}" for t in texts if t in blob]
    return found


def test_erasure_takes_a_pending_move_request_that_names_the_person(people, area, device, users):
    """A member asked for Nông to move in (typed without accents); before staff completed it he asked to be
    erased: the request that names him goes with him, a request about someone else stays."""
    from ngoso.people import services
    from ngoso.people.models import MoveRequest

    about_him = {"type": "move_in", "uuid": str(uuid.uuid4()), "household": "H1", "full_name": "Hoang Van Nong",
                 "birth_year": 1990, "sex": "male", "from_village": area.va2.code}
    other = {**about_him, "uuid": str(uuid.uuid4()), "full_name": "Lê Thị Mai", "birth_year": 1960, "sex": "female"}
    refused = {**about_him, "uuid": str(uuid.uuid4()), "full_name": "Hoàng Văn Nông", "birth_year": 1991,
               "from_village": "", "from": "thôn Tân Lập"}
    assert push(device.client, [about_him, other, refused]).json()["counts"]["created"] == 3
    from ngoso.people import registration

    registration.refuse_move(users.commune_a, MoveRequest.objects.get(uuid=refused["uuid"]))
    services.erase_resident(people.r3, done_by=users.commune_a, reason="yêu cầu")
    assert list(MoveRequest.objects.values_list("full_name", flat=True)) == ["Lê Thị Mai"]


def test_erasure_of_a_merged_person_leaves_no_trace_of_either_copy(people, area, users):
    """Lý was listed twice (an import's copy with another phone) and merged: erasing her takes the merged-away
    copy's own audit entries and the merge's entry naming both copies."""
    from ngoso.people.services import erase_resident

    dup = Resident.objects.create(household=people.h2, full_name="Nguyen Thi Ly", sex="female", birth_year=1987,
                                  ethnicity=people.r1.ethnicity, phone="0911000999")
    merge.merge_residents(users.commune_a, people.r1, dup)
    assert _audit_naming("0911000999", "Nguyen Thi Ly")  # the copy's creation and deletion, the merge
    erase_resident(Resident.objects.get(pk=people.r1.pk), done_by=users.commune_a, reason="yêu cầu")
    assert _audit_naming("0911000999", "Nguyen Thi Ly", "Nguyễn Thị Lý", "0987654321") == []


def test_erasure_after_an_undone_merge_leaves_the_other_person_alone(people, area, users):
    """A merge undone (two people after all): erasing the restored one scrubs the undo's entry naming her; the
    kept person's own history stays."""
    from ngoso.people.services import erase_resident

    lan = Resident.objects.create(household=people.h1, full_name="Nguyễn Thị Lí", sex="female", birth_year=1987,
                                  ethnicity=people.r1.ethnicity, phone="0911000777")
    m = merge.merge_residents(users.commune_a, people.r1, lan)
    merge.undo(users.commune_a, m)
    erase_resident(Resident.objects.get(pk=lan.pk), done_by=users.commune_a, reason="yêu cầu")
    assert _audit_naming("Nguyễn Thị Lí", "0911000777") == []
    assert _audit_naming("0987654321")  # Lý's own phone, in her own history


# --- fields the phone does not hold: compared one by one, not by the record's version --------------------------

def test_an_edit_of_a_field_the_phone_does_not_hold_is_compared_by_itself(people, area, device):
    """The phone holds no phone number, ethnic group or means of access (decision 0007). The commune corrected
    Lý's name and H1's house number on the web after the pull; the member, offline, adds Lý's phone and ticks
    H1's radio: nothing of that changed on the server, so it is written — no false alarm for a leader. Her
    ethnic group, changed on the web meanwhile, is a conflict."""
    h1 = _pulled(device, "H1")
    ly = next(r for r in h1["residents"] if r["full_name"] == "Nguyễn Thị Lý")
    assert set(h1) >= {"fp"} and set(ly) >= {"fp"}
    assert "0987654321" not in json.dumps(h1)  # the fingerprint says nothing of the values
    Consent.objects.create(resident=people.r1, given=True, method="oral")
    r = Resident.objects.get(pk=people.r1.pk)
    r.full_name = "Nguyễn Thị Lý (Lý A)"
    r.save()
    h = Household.objects.get(code="H1")
    h.house_number = "12B"
    h.save()
    out = push(device.client, [
        resident_edit(people.r1.uuid, {"phone": {"to": "0912555666"}}, base=ly["version"], fp=ly["fp"]),
        {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "base": h1["version"], "fp": h1["fp"],
         "changes": {"has_radio": {"to": True}}}]).json()
    assert [x["conflicts"] for x in out["results"]] == [[], []], out
    assert Resident.objects.get(pk=r.pk).phone == "0912555666" and Household.objects.get(code="H1").has_radio
    assert not SyncConflict.objects.exists()
    # the ethnic group was changed on the web after the pull: that one field waits for a leader
    r = Resident.objects.get(pk=r.pk)
    r.ethnicity = people.r3.ethnicity  # Tày
    r.save()
    out = push(device.client, [resident_edit(people.r1.uuid, {"ethnicity": {"to": "03"}, "phone": {"to": "0912555777"}},
                                             base=ly["version"], fp=ly["fp"])]).json()
    assert out["results"][0]["conflicts"] == ["ethnicity", "phone"]  # the phone too: written by the first push
    assert SyncConflict.objects.get(field="ethnicity").theirs == people.r3.ethnicity.code
    # a fingerprint of another shape (an older app) falls back on the version, as before
    late = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "base": h1["version"], "fp": "zz",
            "changes": {"has_tv": {"to": True}}}
    assert push(device.client, [late]).json()["results"][0]["conflicts"] == ["has_tv"]


# --- life events as the web shows them; one head per household -----------------------------------------------

def _event(res, event, **kw):
    return {"type": "life_event", "uuid": str(uuid.uuid4()), "resident": str(res.uuid), "event": event, **kw}


def test_the_household_page_says_who_moved_away_where_and_who_died(people, area, device, users, login):
    """Lý (head of H1) moved away to Hà Nội, Bình died: the commune's household page still lists them, after those
    who live there and saying what happened and when, in Vietnamese and in English; the headship passes on."""
    kid = Resident.objects.create(household=people.h1, full_name="Trần Thị Hà", sex="female", birth_year=2005,
                                  ethnicity=people.r1.ethnicity, relation="child")
    out = push(device.client, [_event(people.r1, "moved_away", moved_to="Hà Nội (Cầu Giấy)", on="2026-11-02"),
                               _event(people.r2, "died", on="2026-11-20")]).json()
    assert out["counts"]["created"] == 2, out
    # one head: Bình, the eldest living there, when Lý left; Hà when Bình died
    assert dict(Resident.objects.filter(household=people.h1).values_list("full_name", "relation")) == {
        "Nguyễn Thị Lý": "other", "Trần Văn Bình": "other", "Trần Thị Hà": "head"}
    assert Household.objects.get(code="H1").head == kid
    c = login(users.commune_a)
    page = c.get("/households/H1/").content.decode()
    Resident.objects.create(household=people.h1, full_name="Trần Văn Tú", sex="male", birth_year=2000,
                            ethnicity=people.r1.ethnicity, relation="spouse")
    page = login(users.commune_a).get("/households/H1/").content.decode()
    # the head first, then by age; those who left after
    order = ["Trần Thị Hà", "Trần Văn Tú", "Trần Văn Bình", "Nguyễn Thị Lý"]
    assert sorted(order, key=page.index) == order
    for text in ("Đã chuyển đi", "nơi đến: Hà Nội (Cầu Giấy)", "02/11/2026", "Đã mất", "20/11/2026"):
        assert text in page, text
    assert "Biến động nhân khẩu" in c.get(f"/residents/{people.r2.uuid}/").content.decode()
    c.cookies["django_language"] = "en"
    page = c.get("/households/H1/").content.decode()
    for text in ("Moved away", "to: Hà Nội (Cầu Giấy)", "Died"):
        assert text in page, text
    assert "Change in the household" in c.get(f"/residents/{people.r1.uuid}/").content.decode()


def test_moving_between_households_keeps_one_head_and_the_relation_the_member_gave(people, area, device, users):
    """A household split: Lý (head of H1) and Bình start a new one — she heads it, he is her spouse there; H1 is
    left to Thu, its eldest who stays. Then joined: Thu goes to live with Hùng's family (H4, which has a head)."""
    from ngoso.people.services import erase_resident

    thu = Resident.objects.create(household=people.h1, full_name="Phạm Thị Thu", sex="female", birth_year=1940,
                                  ethnicity=people.r1.ethnicity, relation="parent")
    hid = uuid.uuid4()
    new = household_code(hid)
    out = push(device.client, [new_household(area, hid), _event(people.r1, "move", household=new),
                               _event(people.r2, "move", household=new, relation="spouse")]).json()
    assert out["counts"]["created"] == 3, out
    rel = lambda code: dict(Resident.objects.filter(household__code=code).values_list("full_name", "relation"))  # noqa: E731
    assert rel(new) == {"Nguyễn Thị Lý": "head", "Trần Văn Bình": "spouse"}
    assert rel("H1") == {"Phạm Thị Thu": "head"}
    h4 = Household.objects.create(code="H4", village=area.va1)
    Resident.objects.create(household=h4, full_name="Đỗ Văn Hùng", sex="male", birth_year=1970,
                            ethnicity=people.r1.ethnicity, relation="head")
    # a head joining a household that has one is not a second head, whatever the phone said
    out = push(device.client, [_event(thu, "move", household="H4", relation="head")]).json()
    assert out["counts"]["created"] == 1, out
    assert rel("H4") == {"Đỗ Văn Hùng": "head", "Phạm Thị Thu": "other"}
    assert push(device.client, [_event(thu, "move", household="H1", relation="parent")]).json()["counts"]["created"] == 1
    assert rel("H1") == {"Phạm Thị Thu": "parent"}  # the member said so: H1 has no head until they say who
    bad = push(device.client, [_event(thu, "move", household="H4", relation="cousin")]).json()["results"][0]
    assert (bad["status"], bad["field"]) == ("rejected", "relation")
    # erasing a head hands the headship to the eldest still living there, never to one who died
    out = push(device.client, [_event(people.r2, "died")]).json()
    kid = Resident.objects.create(household_id=Household.objects.get(code=new).pk, full_name="Trần Văn An", sex="male",
                                  birth_year=2010, ethnicity=people.r1.ethnicity, relation="child")
    erase_resident(Resident.objects.get(pk=people.r1.pk), done_by=users.commune_a, reason="yêu cầu")
    assert Resident.objects.get(pk=kid.pk).relation == "head"
    assert Resident.objects.get(pk=people.r2.pk).relation == "spouse"


def test_erasure_cancels_an_import_preview_that_names_the_person(people, area, users):
    """An import waits for the officer's choices, its preview naming Lý as a likely match and its kept file
    holding her row; she is erased meanwhile: the preview no longer names her, the file is deleted, and the job
    says to upload the file again (answering it would have brought her back)."""
    from ngoso.core import files, jobs
    from ngoso.core.models import Job
    from ngoso.people.services import erase_resident
    from tests.helpers import csv_bytes

    data = csv_bytes([{"Mã hộ": "N9", "Mã thôn": area.va1.code, "Họ và tên": "Nguyen Thi Ly", "Giới tính": "Nữ",
                       "Năm sinh": 1978, "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ", "Số điện thoại": "0987654321"}])
    name = files.save("uploads", "up-erase.csv", data)
    job = jobs.submit("import_people", {"path": name, "filename": "list.csv", "user_id": users.commune_a.pk},
                      user=users.commune_a, place_path=area.a.path, background=False)
    assert jobs.waits_for_choice(job.result) and "Nguyễn Thị Lý" in json.dumps(job.result, ensure_ascii=False)
    other = jobs.submit("import_people", {"path": files.save("uploads", "up-other.csv", csv_bytes([{
        "Mã hộ": "N8", "Mã thôn": area.va1.code, "Họ và tên": "Tran Van Binh", "Giới tính": "Nam", "Năm sinh": 1950,
        "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ"}])), "filename": "b.csv", "user_id": users.commune_a.pk},
        user=users.commune_a, place_path=area.a.path, background=False)
    erase_resident(Resident.objects.get(pk=people.r1.pk), done_by=users.commune_a, reason="yêu cầu")
    job = Job.objects.get(pk=job.pk)
    blob = json.dumps(job.result, ensure_ascii=False) + job.error
    assert "Lý" not in blob and "Ly" not in blob and "0987654321" not in blob
    assert not jobs.waits_for_choice(job.result) and job.status == "failed" and "upload" in job.error
    assert not files.exists("uploads", name)
    assert jobs.waits_for_choice(Job.objects.get(pk=other.pk).result)  # a preview about someone else waits on


def test_someone_coming_back_to_a_household_without_a_head_heads_it(people, area, users):
    """Nông (H2's only resident, head) moved away and H2 stopped being counted; he comes back: counted again, head
    again. Lý, who left H1 as head while Bình stayed, comes back as one of the household (Bình heads it now)."""
    r3 = Resident.objects.get(pk=people.r3.pk)
    from ngoso.people import registration

    registration.life_event(users.commune_a, r3, "moved_away", moved_to="Bắc Giang")
    assert Resident.objects.get(pk=r3.pk).relation == "head"  # nobody to hand it to: still his
    registration.life_event(users.commune_a, r3, "returned")
    assert (Resident.objects.get(pk=r3.pk).status, Resident.objects.get(pk=r3.pk).relation) == ("", "head")
    registration.life_event(users.commune_a, people.r1, "moved_away")
    registration.life_event(users.commune_a, Resident.objects.get(pk=people.r1.pk), "returned")
    assert dict(Resident.objects.filter(household=people.h1).values_list("full_name", "relation")) == {
        "Nguyễn Thị Lý": "other", "Trần Văn Bình": "head"}

