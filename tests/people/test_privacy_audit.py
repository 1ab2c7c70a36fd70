"""Audit log of personal data, consent, subject access and erasure (Decree 13/2023/NĐ-CP)."""

import json

from ngoso.accounts import audit
from ngoso.accounts.models import AuditEntry
from ngoso.insights.stats import stats
from ngoso.people import services
from ngoso.people.models import Erasure, Household, Resident


def test_create_change_delete_are_audited_with_old_and_new(people, users):
    with audit.acting_as(users.commune_a):
        r = people.r1
        r.phone = "0900000001"
        r.save()
        entry = AuditEntry.objects.filter(action="update", object_pk=str(r.pk)).get()
        assert entry.changes == {"phone": ["0987654321", "0900000001"]}
        assert entry.user == users.commune_a and entry.place_path == "24/07351/07351.001/"
        r.save()  # no change, no entry
        assert AuditEntry.objects.filter(action="update", object_pk=str(r.pk)).count() == 1
        pk = people.r2.pk
        people.r2.delete()
    d = AuditEntry.objects.get(action="delete", object_pk=str(pk))
    assert d.changes["full_name"] == ["Trần Văn Bình", None]
    created = AuditEntry.objects.filter(action="create", model="people.Resident").count()
    assert created == 4  # the fixture's residents


def test_web_edits_are_attributed_to_the_user(people, users, login):
    c = login(users.province)
    from django.contrib.auth.models import Permission  # noqa: F401 - superuser has all

    resp = c.post(f"/admin/people/resident/{people.r3.pk}/change/", {
        "household": people.h2.pk, "full_name": "Hoàng Văn Nông", "sex": "male", "birth_year": 1991,
        "ethnicity": people.r3.ethnicity_id, "phone": "", "relation": "head", "disability": "on",
        "consents-TOTAL_FORMS": 0, "consents-INITIAL_FORMS": 0})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    e = AuditEntry.objects.filter(action="update", object_pk=str(people.r3.pk)).get()
    assert e.actor == "tinh" and e.changes["birth_year"] == [1990, 1991]


def test_subject_data_export_contains_everything_and_is_audited(people, users, login):
    services.record_consent(people.r1, True, by="member_a1")
    c = login(users.commune_a)
    resp = c.get(f"/residents/{people.r1.uuid}/data.json")
    assert resp.status_code == 200
    data = json.loads(resp.content)
    assert data["resident"]["full_name"] == "Nguyễn Thị Lý"
    assert data["household"]["code"] == "H1" and data["consents"][0]["given"] is True
    assert AuditEntry.objects.filter(action="subject_export", object_pk=str(people.r1.pk)).exists()


def test_erasure_removes_person_keeps_counts_consistent_and_scrubs_audit(people, users, login):
    before = stats(users.commune_a.place)
    c = login(users.commune_a)
    resp = c.post(f"/residents/{people.r1.uuid}/erase/", {"confirm_name": "nguyen thi ly", "reason": "yêu cầu"})
    assert resp.status_code == 302
    after = stats(users.commune_a.place)
    assert after["residents"] == before["residents"] - 1 and after["households"] == before["households"]
    assert not Resident.objects.filter(full_name="Nguyễn Thị Lý").exists()
    # the spouse became head
    assert Resident.objects.get(pk=people.r2.pk).relation == "head"
    # nothing personal about her is left in the audit log
    assert not AuditEntry.objects.filter(changes__icontains="Nguyễn Thị Lý").exists()
    assert not AuditEntry.objects.filter(object_repr="Nguyễn Thị Lý").exists()
    assert AuditEntry.objects.filter(action="erase").exists()
    er = Erasure.objects.get()
    assert er.household_code == "H1" and not er.household_removed


def test_erasing_last_person_removes_household(people, users):
    services.erase_resident(people.r3, done_by="xa_a")
    assert not Household.objects.filter(code="H2").exists()
    assert Erasure.objects.get().household_removed
    assert not AuditEntry.objects.filter(changes__icontains="Hoàng Văn Nông").exists()


def test_erase_needs_exact_name_and_permission(people, users, login):
    c = login(users.commune_a)
    c.post(f"/residents/{people.r1.uuid}/erase/", {"confirm_name": "someone else"})
    assert Resident.objects.filter(pk=people.r1.pk).exists()
    m = login(users.member)
    assert m.post(f"/residents/{people.r1.uuid}/erase/", {"confirm_name": "Nguyễn Thị Lý"}).status_code == 403
    assert Resident.objects.filter(pk=people.r1.pk).exists()


def test_export_is_audited(people, users, tmp_path):
    from ngoso.people.io import export_people

    with audit.acting_as(users.commune_a):
        export_people(users.commune_a.place, users.commune_a, tmp_path / "x.xlsx")
    e = AuditEntry.objects.get(action="export")
    assert e.actor == "xa_a" and e.changes["rows"] == 3


def test_target_groups_are_derived(people):
    from ngoso.people import targets

    assert set(targets.groups_of(people.r2, year=2026)) == {"elderly", "poor"}
    assert set(targets.groups_of(people.r3, year=2026)) == {"minority", "disability"}
    assert set(Resident.objects.filter(targets.resident_q("elderly", year=2026)).values_list("full_name", flat=True)) \
        == {"Trần Văn Bình"}
    assert Resident.objects.filter(targets.resident_q("minority")).count() == 1
