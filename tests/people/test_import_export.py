"""Every import error path: the user is told sheet, row, column and reason; nothing is half-written."""

import pytest

from ngoso.accounts.models import AuditEntry
from ngoso.people.io import ImportFailed, export_people, import_people, template_workbook, read_file
from ngoso.people.models import Consent, Household, Resident
from tests.helpers import csv_bytes, xlsx_bytes

GOOD = [
    {"Mã hộ": "N1", "Mã thôn": "07351.001", "Ngõ": "5", "Số nhà": "7", "SĐT hộ": "0912 000 111",
     "Hộ nghèo / cận nghèo": "Cận nghèo", "Năm rà soát nghèo": 2025, "Có điện thoại thông minh": "Có",
     "Họ và tên": "Lê Văn An", "Giới tính": "Nam", "Năm sinh": 1960, "Dân tộc": "Kinh",
     "Quan hệ với chủ hộ": "Chủ hộ", "Đồng ý cho ghi nhận thông tin": "Có"},
    {"Mã hộ": "N1", "Mã thôn": "07351.001", "Họ và tên": "Lê Thị Bé", "Giới tính": "Nữ", "Năm sinh": 1965,
     "Dân tộc": "Tày", "Quan hệ với chủ hộ": "Vợ/chồng", "Số điện thoại": "+84 98 765 4321"},
    {"Mã hộ": "N2", "Mã thôn": "07351.002", "Họ và tên": "Triệu Thị Mai", "Giới tính": "Nữ", "Năm sinh": 1949,
     "Dân tộc": "Dao", "Quan hệ với chủ hộ": "Chủ hộ", "Khuyết tật": "Có"},
]


def _errors(data, name, user):
    with pytest.raises(ImportFailed) as e:
        import_people(data, name, user)
    return e.value.errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_good_file_imports_whole(area, users, fmt):
    data = csv_bytes(GOOD) if fmt == "csv" else xlsx_bytes(GOOD)
    r = import_people(data, f"good.{fmt}", users.commune_a)
    assert (r.households_created, r.residents_created) == (2, 3)
    n1 = Household.objects.get(code="N1")
    assert n1.poverty_status == "near_poor" and n1.has_smartphone and n1.phone_digits == "0912000111"
    be = Resident.objects.get(full_name="Lê Thị Bé")
    assert be.relation == "spouse" and be.ethnicity.name_vi == "Tày" and be.phone == "0987654321"
    assert Resident.objects.get(full_name="Triệu Thị Mai").disability
    assert Consent.objects.filter(resident__full_name="Lê Văn An", given=True).count() == 1
    # audited: one entry per created record, plus the import itself
    assert AuditEntry.objects.filter(action="create", model="people.Resident").count() == 3
    assert AuditEntry.objects.filter(action="import").get().changes["file"] == f"good.{fmt}"


def test_reimport_is_idempotent(area, users):
    import_people(csv_bytes(GOOD), "a.csv", users.commune_a)
    r = import_people(csv_bytes(GOOD), "a.csv", users.commune_a)
    assert (r.households_created, r.households_updated, r.residents_created, r.residents_updated) == (0, 0, 0, 0)
    assert Resident.objects.count() == 3


def test_update_changes_fields_and_audits_old_new(area, users):
    import_people(csv_bytes(GOOD), "a.csv", users.commune_a)
    rows = [dict(GOOD[0], **{"Năm sinh": 1960, "Số điện thoại": "0977 111 222"}), GOOD[1], GOOD[2]]
    r = import_people(csv_bytes(rows), "b.csv", users.commune_a)
    assert r.residents_updated == 1
    entry = AuditEntry.objects.filter(action="update", model="people.Resident").get()
    assert entry.changes["phone"] == ["", "0977111222"] and entry.actor == "xa_a"


def test_unknown_village_future_birth_year_and_bad_values(area, users):
    rows = [dict(GOOD[0], **{"Mã thôn": "99999.001"}),
            dict(GOOD[2], **{"Năm sinh": 2090}),
            {"Mã hộ": "N3", "Mã thôn": "07351.002", "Họ và tên": "Ai Đó", "Giới tính": "Khác",
             "Năm sinh": "19x0", "Dân tộc": "Klingon", "Quan hệ với chủ hộ": "Chủ hộ",
             "Số điện thoại": "12345", "Vĩ độ": "99", "Có ti vi": "có lẽ"}]
    errs = _errors(csv_bytes(rows), "bad.csv", users.commune_a)
    text = "\n".join(str(e) for e in errs)
    assert "bad.csv, dòng 2, cột «Mã thôn»: Không có thôn/tổ dân phố mã «99999.001»" in text
    assert "dòng 3, cột «Năm sinh»: Năm sinh 2090 ở tương lai" in text
    assert "dòng 4, cột «Giới tính»" in text
    assert "dòng 4, cột «Năm sinh»: «19x0» không phải là số nguyên" in text
    assert "dòng 4, cột «Dân tộc»: Không có dân tộc «Klingon»" in text
    assert "dòng 4, cột «Số điện thoại»" in text
    assert "dòng 4, cột «Vĩ độ»" in text
    assert "dòng 4, cột «Có ti vi»" in text
    assert all(e.en for e in errs)  # English too
    assert Household.objects.count() == 0 and Resident.objects.count() == 0  # whole or nothing


def test_duplicate_resident_in_file(area, users):
    rows = GOOD + [dict(GOOD[1])]
    errs = _errors(xlsx_bytes(rows), "dup.xlsx", users.commune_a)
    assert len(errs) == 1
    e = errs[0]
    assert (e.sheet, e.row, e.column) == ("Nhân khẩu", 5, "Họ và tên")
    assert "Trùng người" in e.vi and "dòng 3" in e.vi
    assert Resident.objects.count() == 0


def test_one_bad_row_among_many_loses_nothing_and_writes_nothing(area, users):
    rows = [{"Mã hộ": f"K{i}", "Mã thôn": "07351.001", "Họ và tên": f"Người Số {i}", "Giới tính": "Nam",
             "Năm sinh": 1970 + i % 40, "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ"} for i in range(300)]
    rows[217]["Năm sinh"] = 3000
    errs = _errors(csv_bytes(rows), "many.csv", users.commune_a)
    assert [(e.row, e.column) for e in errs] == [(219, "Năm sinh")]
    assert Household.objects.count() == 0
    rows[217]["Năm sinh"] = 1980
    assert import_people(csv_bytes(rows), "many.csv", users.commune_a).residents_created == 300


def test_broken_encoding_is_reported_with_line(area, users):
    data = csv_bytes(GOOD[:1]) + "N2,07351.002,,,,,,,,,,,,,,,,,Phạm Văn Cường".encode("cp1258", errors="replace")
    errs = _errors(data, "win.csv", users.commune_a)
    assert len(errs) == 1 and errs[0].row == 3 and "UTF-8" in errs[0].vi


def test_missing_required_column(area, users):
    data = "Mã hộ,Mã thôn,Họ và tên\nX1,07351.001,Lê Văn An\n".encode()
    errs = _errors(data, "cols.csv", users.commune_a)
    assert {e.column for e in errs} == {"Giới tính", "Năm sinh", "Dân tộc", "Quan hệ với chủ hộ"}
    assert all(e.row == 1 for e in errs)


def test_damaged_xlsx_and_wrong_type(area, users):
    errs = _errors(b"PK\x03\x04 this is not a workbook", "broken.xlsx", users.commune_a)
    assert "Không mở được tệp Excel" in errs[0].vi
    errs = _errors(b"hello", "notes.txt", users.commune_a)
    assert ".xlsx" in errs[0].vi


def test_household_fields_conflict_and_heads(area, users):
    rows = [GOOD[0], dict(GOOD[1], **{"Ngõ": "9"}),
            {"Mã hộ": "N5", "Mã thôn": "07351.001", "Họ và tên": "Con Một", "Giới tính": "Nam", "Năm sinh": 2001,
             "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Con"},
            dict(GOOD[2]), dict(GOOD[2], **{"Họ và tên": "Chủ Hộ Hai"})]
    errs = _errors(csv_bytes(rows), "heads.csv", users.commune_a)
    text = "\n".join(map(str, errs))
    assert "dòng 3, cột «Ngõ»: Khác với dòng 2 của cùng hộ «N1»" in text
    assert "Hộ mới «N5» chưa có chủ hộ" in text
    assert "Hộ «N2» có hơn một chủ hộ" in text


def test_export_import_round_trip(people, users, tmp_path, django_user_model):
    out = tmp_path / "round.xlsx"
    export_people(users.province.place, users.province, out)
    data = out.read_bytes()
    # Re-importing the export into the same database changes nothing.
    r = import_people(data, "round.xlsx", users.province)
    assert (r.households_created, r.households_updated, r.residents_created, r.residents_updated) == (0, 0, 0, 0)
    # Into an emptied database it recreates the same people.
    before = sorted(Resident.objects.values_list("full_name", "birth_year", "sex", "relation", "phone",
                                                 "household__code", "ethnicity__code", "disability"))
    Resident.objects.all().delete()
    Household.objects.all().delete()
    import_people(data, "round.xlsx", users.province)
    after = sorted(Resident.objects.values_list("full_name", "birth_year", "sex", "relation", "phone",
                                                "household__code", "ethnicity__code", "disability"))
    assert after == before
    assert Household.objects.get(code="H1").poverty_status == "poor"


def test_the_export_opens_readable_and_prints_on_a4(people, users, tmp_path):
    """Found downloading the commune demo's export: 26 columns at Excel's default width (every header cut),
    nothing frozen, no filter, no print setup. Now as a person opens it, still importable as it is."""
    from openpyxl import load_workbook

    from ngoso.people.io import PEOPLE_COLUMNS

    out = tmp_path / "xa.xlsx"
    export_people(users.commune_a.place, users.commune_a, out)
    ws = load_workbook(out)["Nhân khẩu"]
    assert [c.value for c in ws[1]] == [c.vi for c in PEOPLE_COLUMNS]
    assert all(c.font.b and c.alignment.wrap_text for c in ws[1])
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == f"A1:{ws.cell(1, len(PEOPLE_COLUMNS)).column_letter}1"
    assert ws.column_dimensions["A"].width >= 14 and ws.column_dimensions["S"].width >= 20  # codes, names
    assert all((ws.column_dimensions[c.column_letter].width or 0) >= 10 for c in ws[1])
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws["S2"].value == "Nguyễn Thị Lý" and ws["H2"].value == "0912345678"  # the phone stays text with its 0
    r = import_people(out.read_bytes(), "xa.xlsx", users.commune_a)
    assert (r.households_created, r.households_updated, r.residents_created, r.residents_updated) == (0, 0, 0, 0)


def test_template_has_all_columns_and_reads_back(area, users):
    sheets = read_file(template_workbook(users.commune_a), "template.xlsx")
    people_sheet = sheets[0]
    assert people_sheet.name == "Nhân khẩu" and "Họ và tên" in people_sheet.header
    assert any(s.name == "Hướng dẫn" for s in sheets)
    lists = next(s for s in sheets if s.name == "Danh mục")
    assert any(r[0] == "07351.001" for _, r in lists.rows)
    assert not any(r[0] == "07210.001" for _, r in lists.rows)  # only the user's own villages


def test_villages_sheet_imports_villages_first(area, users):
    vcols = ["Mã thôn", "Tên thôn", "Loại", "Mã xã/phường", "Mã xã cũ (trước 7/2025)", "Vĩ độ", "Kinh độ"]
    villages = [{"Mã thôn": "07351.050", "Tên thôn": "Mới", "Loại": "Bản", "Mã xã/phường": "07351",
                 "Mã xã cũ (trước 7/2025)": "07360", "Vĩ độ": 21.39, "Kinh độ": 106.1}]
    rows = [dict(GOOD[0], **{"Mã thôn": "07351.050"}), dict(GOOD[1], **{"Mã thôn": "07351.050"})]
    r = import_people(xlsx_bytes(rows, extra_sheets={"Thôn": (vcols, villages)}), "v.xlsx", users.commune_a)
    assert r.villages_created == 1 and r.residents_created == 2
    from ngoso.places.models import Place

    v = Place.objects.get(code="07351.050")
    assert v.name == "Bản Mới" and v.former_parent == area.old_commune and v.parent == area.a


def test_import_job_reports_progress_and_errors(area, users, tmp_path):
    from ngoso.core import files, jobs

    name = files.save("uploads", "up.csv", csv_bytes([dict(GOOD[0], **{"Năm sinh": 2999})]))  # as the page does
    p = files.root("uploads") / name
    assert p.exists()
    job = jobs.submit("import_people", {"path": name, "filename": "up.csv", "user_id": users.commune_a.pk},
                      user=users.commune_a, background=False)
    assert job.status == "done" and job.result["ok"] is False and job.result["error_count"] == 1
    assert job.result["errors"][0]["column"] == "Năm sinh"
    assert not p.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.django_db(transaction=True)  # the job runs in a real worker thread with its own connection
def test_import_page_end_to_end(area, users, login):
    c = login(users.commune_a)
    from django.core.files.uploadedfile import SimpleUploadedFile

    resp = c.post("/import/", {"file": SimpleUploadedFile("g.csv", csv_bytes(GOOD), "text/csv")})
    assert resp.status_code == 302
    import time

    from ngoso.core.models import Job

    job = Job.objects.get()
    for _ in range(100):
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job.status == "done", job.error
    page = c.get(resp.url).content.decode()
    assert "3" in page and Resident.objects.count() == 3


def test_member_cannot_import(area, users, login):
    assert login(users.member).get("/import/").status_code == 403


@pytest.mark.django_db(transaction=True)  # the export runs in a worker thread
def test_large_export_runs_as_job_and_reuses_the_last_file_when_nothing_changed(people, users):
    import time

    from ngoso.core.models import Job
    from ngoso.people.services import export_area

    def wait(job):
        for _ in range(200):
            job.refresh_from_db()
            if job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        raise AssertionError("export did not finish")

    first = wait(export_area(people.h1.village.parent, users.commune_a))
    assert first.status == "done" and first.file and first.result["rows"] == 3
    again = export_area(people.h1.village.parent, users.commune_a)
    assert again.status == "done" and again.file == first.file and again.result["reused_from"] == first.pk
    assert AuditEntry.objects.filter(action="export").count() == 2  # still a deliberate, recorded export
    # another user with the same area gets the same content; a change makes a new file
    people.r1.phone = "0900000009"
    people.r1.save()
    third = wait(export_area(people.h1.village.parent, users.commune_a))
    assert third.file != first.file and "reused_from" not in third.result
    assert Job.objects.filter(kind="export_people").count() == 3
