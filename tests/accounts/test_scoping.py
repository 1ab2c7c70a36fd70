"""A commune user never sees another commune's residents — through any page, export, API or admin."""

import io

import pytest
from openpyxl import load_workbook

from ngoso.accounts.scope import scoped
from ngoso.people.io import export_people
from ngoso.people.models import Household, Resident


def test_scoped_querysets(people, users):
    names = lambda u: set(scoped(Resident.objects.all(), u).values_list("full_name", flat=True))  # noqa: E731
    assert names(users.commune_a) == {"Nguyễn Thị Lý", "Trần Văn Bình", "Hoàng Văn Nông"}
    assert names(users.commune_b) == {"Nguyễn Thị Lan"}
    assert names(users.member) == {"Nguyễn Thị Lý", "Trần Văn Bình"}
    assert len(names(users.province)) == 4
    assert names(users.nobody) == set()


def test_anonymous_sees_nothing(people):
    from django.contrib.auth.models import AnonymousUser

    assert not scoped(Resident.objects.all(), AnonymousUser()).exists()


@pytest.mark.parametrize("url_name,arg", [("household", "H3"), ("resident", None), ("resident_data", None),
                                          ("place", "07210"), ("place", "07210.001")])
def test_pages_refuse_other_commune(people, users, login, url_name, arg):
    from django.urls import reverse

    c = login(users.commune_a)
    arg = arg or people.r4.uuid
    resp = c.get(reverse(url_name, args=[arg]))
    assert resp.status_code in (403, 404)
    assert "Nguyễn Thị Lan" not in resp.content.decode()


def test_pages_allow_own_commune(people, users, login):
    from django.urls import reverse

    c = login(users.commune_a)
    assert c.get(reverse("household", args=["H1"])).status_code == 200
    resp = c.get(reverse("resident", args=[people.r1.uuid]))
    assert resp.status_code == 200 and "Nguyễn Thị Lý" in resp.content.decode()


def test_search_is_scoped(people, users, login):
    c = login(users.commune_a)
    body = c.get("/search/", {"q": "nguyen thi"}).content.decode()
    assert "Nguyễn Thị Lý" in body and "Nguyễn Thị Lan" not in body
    body = c.get("/search/", {"q": "0911222333"}).content.decode()
    assert "Nguyễn Thị Lan" not in body


def test_export_is_scoped(people, users, tmp_path):
    out = tmp_path / "a.xlsx"
    n = export_people(users.commune_a.place, users.commune_a, out)
    assert n == 3
    text = " ".join(str(c) for row in load_workbook(out).active.iter_rows(values_only=True) for c in row)
    assert "Nguyễn Thị Lan" not in text
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_people(users.commune_b.place, users.commune_a, tmp_path / "b.xlsx")


def test_export_view_refuses_other_commune(people, users, login):
    c = login(users.commune_a)
    assert c.post("/places/07210/export/").status_code == 403


def test_api_is_scoped(people, users, login):
    c = login(users.commune_a)
    assert c.get("/api/v1/places/07210").status_code == 403
    ok = c.get("/api/v1/places/07351")
    assert ok.status_code == 200 and ok.json()["stats"]["residents"] == 3
    hits = c.get("/api/v1/residents", {"q": "nguyen thi"}).json()
    assert {h["full_name"] for h in hits} == {"Nguyễn Thị Lý"}
    assert c.get("/api/v1/residents", {"q": "0911222333"}).json() == []


def test_api_requires_login(people, client):
    assert client.get("/api/v1/places/24").status_code == 401


def test_admin_is_scoped(people, users, login):
    c = login(users.commune_a)
    # commune staff are staff users; grant model permissions so the admin list renders
    from django.contrib.auth.models import Permission

    users.commune_a.user_permissions.add(*Permission.objects.filter(codename__in=["view_resident", "view_household"]))
    body = c.get("/admin/people/resident/").content.decode()
    assert "Nguyễn Thị Lý" in body and "Nguyễn Thị Lan" not in body
    assert c.get(f"/admin/people/resident/{people.r4.pk}/change/").status_code in (302, 404)
    body = c.get("/admin/people/household/").content.decode()
    assert "H1" in body and ">H3<" not in body


def test_import_refuses_other_commune(people, users):
    from ngoso.people.io import ImportFailed, import_people
    from tests.helpers import csv_bytes

    data = csv_bytes([{"Mã hộ": "H9", "Mã thôn": "07210.001", "Họ và tên": "Lê Văn A", "Giới tính": "Nam",
                       "Năm sinh": 1980, "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ"}])
    with pytest.raises(ImportFailed) as e:
        import_people(data, "x.csv", users.commune_a)
    assert "ngoài địa bàn" in str(e.value.errors[0])
    assert not Household.objects.filter(code="H9").exists()


def test_former_units_are_visible_only_to_areas_that_took_them_over(people, users, login):
    assert login(users.commune_a).get("/places/old-07360/").status_code == 200
    assert login(users.province).get("/places/old-24/").status_code == 200
    assert login(users.commune_b).get("/places/old-07360/").status_code == 403
