"""Issue 18, "a Vietnamese spreadsheet from Excel imported": files as Vietnamese Excel really saves them.

Each file goes through the import page (the job a worker runs) and through ``ngoso import``; each is either read
correctly (the residents as they are in the file) or refused with a Vietnamese error naming the sheet, the row
and the column, nothing written. Every one is read by the import's one door, ``people.io.read_file``.
"""

from __future__ import annotations

import contextlib
import datetime
import io

import pytest

from ngoso.people.io import ImportFailed, import_people, read_file
from ngoso.people.models import Household, Resident
from tests.helpers import encode_cp1258

VILLAGE = "07351.001"  # area.va1 (Thôn Đồng Bụt)
HEADERS = ["STT", " Mã hộ ", "MÃ THÔN", "Ho va ten", "Giới  tính", "Năm sinh", "Dân tộc", "Quan hệ với chủ hộ",
           "Số điện thoại", "SĐT hộ", "Số nhà", "Ghi chú"]
PEOPLE = [  # (household, name, sex, birth year, ethnicity, relation, phone, household phone, house number)
    ("X1", "Nguyễn Văn Hưởng", "Nam", 1958, "Kinh", "Chủ hộ", "0912345678", "0912345678", "12"),
    ("X1", "Trần Thị Thủy", "Nữ", 1961, "Kinh", "Vợ", "", "", ""),
    ("X2", "Hoàng Thị Lệ", "Nữ", 1975, "Tày", "Chủ hộ", "0987654321", "", "7"),
    ("X2", "Đặng Văn Ước", "Nam", 2001, "Tày", "Con", "0356789012", "", ""),
]


def _expected():
    return {(name, sex == "Nữ", year, phone) for _h, name, sex, year, _e, _r, phone, *_x in PEOPLE}


def _read_back():
    return {(r.full_name, r.sex == "female", r.birth_year, r.phone) for r in Resident.objects.all()}


def _row(p, i):
    h, name, sex, year, eth, rel, phone, hphone, house = p
    return [i, h, VILLAGE, name, sex, year, eth, rel, phone, hphone, house, ""]


def excel_workbook(*, title_rows=True, empty_row=True, trailing_columns=True, second_sheet=True,
                   numbers_as_excel=True, birth_dates=None) -> bytes:
    """A commune's list as Excel saves it: a merged title block above the header, headers typed by hand
    (spaces, case, no accents), phones typed as numbers (the leading 0 lost), years as floats, an empty row
    between two households, formatted but empty columns at the right, and a second sheet of notes."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "DS thôn Đồng Bụt"
    headers = list(HEADERS)
    if birth_dates is not None:
        headers[5] = "Ngày sinh"
    top = 1
    if title_rows:
        ws["A1"] = "UBND XÃ NGỌC THIỆN"
        ws.merge_cells("A1:D1")
        ws["F1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        ws.merge_cells("F1:L1")
        ws["A3"] = "DANH SÁCH HỘ GIA ĐÌNH VÀ NHÂN KHẨU THÔN ĐỒNG BỤT"
        ws.merge_cells("A3:L3")
        top = 5
    for j, h in enumerate(headers, start=1):
        ws.cell(top, j, h)
    r = top + 1
    for i, p in enumerate(PEOPLE, start=1):
        values = _row(p, i)
        if numbers_as_excel:
            values[5] = float(values[5])  # 1958.0
            values[8] = int(values[8]) if values[8] else None  # 912345678: Excel dropped the 0
            values[9] = float(values[9]) if values[9] else None
            values[10] = int(values[10]) if values[10] else None
        if birth_dates is not None:
            values[5] = birth_dates(p[3])
        for j, v in enumerate(values, start=1):
            c = ws.cell(r, j, v)
            if isinstance(v, datetime.date):
                c.number_format = "dd/mm/yyyy"
        if trailing_columns:
            for j in range(len(headers) + 1, len(headers) + 6):
                ws.cell(r, j).number_format = "@"  # formatted, empty: Excel keeps them in the sheet's range
                ws.cell(r, j).value = None
        r += 1
        if empty_row and i == 2:
            r += 1  # an empty row between two households
    if trailing_columns:
        ws.cell(top, len(headers) + 3, "")  # an empty header cell Excel saved
    if second_sheet:
        notes = wb.create_sheet("Ghi chú")
        notes["A1"] = "Người lập biểu"
        notes["B1"] = "Nguyễn Thị Hoa"
        notes["A2"] = "Ngày lập"
        notes["B2"] = datetime.date(2026, 11, 30)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(sep=",") -> str:
    lines = [sep.join(h.strip() for h in HEADERS)]
    for i, p in enumerate(PEOPLE, start=1):
        values = [str(v) for v in _row(p, i)]
        values[8] = values[8].lstrip("0")  # Excel drops the leading 0 of a number typed as a number
        lines.append(sep.join(values))
    return "\r\n".join(lines) + "\r\n"


def _import_page(client, data: bytes, name: str):
    """Upload through the import page and run its job as a worker does; the job page's text."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ngoso.core import jobs
    from ngoso.core.models import Job

    resp = client.post("/import/", {"file": SimpleUploadedFile(name, data)})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    job = Job.objects.filter(kind="import_people").latest("pk")
    jobs.run_now(job)
    job.refresh_from_db()
    return job, client.get(resp.url).content.decode()


def _import_cli(tmp_path, data: bytes, name: str, user):
    from ngoso.cli import main

    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(["import", str(path), "--user", user.username])
    return rc, out.getvalue() + err.getvalue()


FILES = {
    "xlsx-as-excel-saves-it": lambda: (excel_workbook(), "danh-sach.xlsx"),
    "xlsx-birth-dates": lambda: (excel_workbook(birth_dates=lambda y: datetime.datetime(y, 3, 15)), "ngay-sinh.xlsx"),
    "xlsx-birth-dates-as-text": lambda: (excel_workbook(birth_dates=lambda y: f"15/03/{y}"), "ngay-sinh-chu.xlsx"),
    "csv-windows-1258": lambda: (encode_cp1258(csv_text()), "excel-1258.csv"),
    "csv-windows-1258-semicolons": lambda: (encode_cp1258(csv_text(";")), "excel-1258-cham-phay.csv"),
    "csv-utf8-bom": lambda: (b"\xef\xbb\xbf" + csv_text().encode(), "csv-utf8.csv"),
    "csv-utf8-bom-semicolons": lambda: (b"\xef\xbb\xbf" + csv_text(";").encode(), "csv-utf8-cham-phay.csv"),
}


@pytest.mark.parametrize("case", FILES)
def test_a_spreadsheet_from_vietnamese_excel_is_read_as_it_is(case, area, users):
    data, name = FILES[case]()
    result = import_people(data, name, users.commune_a)
    assert (result.households_created, result.residents_created) == (2, 4)
    assert _read_back() == _expected()
    x1 = Household.objects.get(code="X1")
    assert x1.village == area.va1 and x1.phone == "0912345678" and x1.house_number == "12"
    assert Resident.objects.get(full_name="Trần Thị Thủy").relation == "spouse"
    assert Resident.objects.get(full_name="Hoàng Thị Lệ").ethnicity.name_vi == "Tày"


@pytest.mark.parametrize("case", FILES)
def test_the_same_files_through_the_page_and_the_command(case, area, users, login, tmp_path, settings):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    data, name = FILES[case]()
    job, page = _import_page(login(users.commune_a), data, name)
    assert job.status == "done", (job.error, page[:3000])
    assert _read_back() == _expected()
    Resident.objects.all().delete()
    Household.objects.all().delete()
    rc, said = _import_cli(tmp_path, data, name, users.commune_a)
    assert rc == 0, said
    assert _read_back() == _expected()


def test_the_header_is_found_below_a_title_block_and_rows_keep_their_excel_numbers(area, users):
    sheets = read_file(excel_workbook(), "danh-sach.xlsx")
    people = sheets[0]
    assert people.header[1].strip() == "Mã hộ" and len(people.header) == len(HEADERS)
    assert [n for n, _cells in people.rows] == [6, 7, 9, 10]  # Excel's own row numbers: header on row 5, row 8 empty


def test_a_bad_cell_below_a_title_block_is_named_by_its_excel_row(area, users):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook()))
    ws = wb.worksheets[0]
    ws["F9"] = "năm 75"  # Hoàng Thị Lệ's birth year, row 9 in Excel
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportFailed) as e:
        import_people(buf.getvalue(), "danh-sach.xlsx", users.commune_a)
    errs = e.value.errors
    assert [(x.sheet, x.row, x.column) for x in errs] == [("DS thôn Đồng Bụt", 9, "Năm sinh")], [str(x) for x in errs]
    assert "DS thôn Đồng Bụt" in str(errs[0]) and "dòng 9" in str(errs[0]) and "«năm 75»" in str(errs[0])
    assert Resident.objects.count() == 0


def test_a_year_typed_into_a_date_formatted_cell_is_the_year_typed(area, users):
    """Excel shows 1958 typed into a cell formatted as a date as 11/05/1905 (day 1958 after 1900), and stores
    that date: it is read as the year typed, not as someone born in 1905."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook(title_rows=False)))
    ws = wb.worksheets[0]
    ws["F2"].value = datetime.datetime(1899, 12, 30) + datetime.timedelta(days=1958)
    ws["F2"].number_format = "dd/mm/yyyy"
    buf = io.BytesIO()
    wb.save(buf)
    import_people(buf.getvalue(), "danh-sach.xlsx", users.commune_a)
    assert Resident.objects.get(full_name="Nguyễn Văn Hưởng").birth_year == 1958


def test_a_second_sheet_of_residents_is_not_left_out_silently(area, users):
    """A commune's workbook with one sheet per village: before, only the first sheet was imported and the second
    left out without a word. Now the file is refused, naming the second sheet and the one imported."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook(second_sheet=False)))
    second = wb.copy_worksheet(wb.worksheets[0])
    second.title = "Thôn Tân Lập"
    for row in second.iter_rows(min_row=6):
        if row[1].value:
            row[1].value = "Y" + row[1].value[1:]
            row[2].value = "07351.002"
            row[3].value = "Lê " + row[3].value.split(" ", 1)[1]  # other people: no likely duplicate to choose
            row[5].value += 3
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportFailed) as e:
        import_people(buf.getvalue(), "hai-thon.xlsx", users.commune_a)
    errs = e.value.errors
    assert [(x.sheet, x.row) for x in errs] == [("Thôn Tân Lập", 5)]
    assert "«DS thôn Đồng Bụt»" in errs[0].vi and "'DS thôn Đồng Bụt'" in errs[0].en
    assert Resident.objects.count() == 0  # nothing written: the file is imported whole or not at all


def test_one_error_is_said_as_one_in_english_on_the_command_line(area, users, tmp_path):
    """Before: "1 errors, nothing imported" (one msgid for every count)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook()))
    wb.worksheets[0]["F9"] = "năm 75"
    buf = io.BytesIO()
    wb.save(buf)
    rc, said = _import_cli(tmp_path, buf.getvalue(), "mot-loi.xlsx", users.commune_a)
    assert rc == 3 and "1 lỗi, chưa nhập dữ liệu nào:" in said and "\n1 error, nothing imported:\n" in said, said
    assert "DS thôn Đồng Bụt, row 9, column 'Năm sinh': 'năm 75' is not a whole number" in said, said
    with pytest.raises(ImportFailed) as e:
        import_people(buf.getvalue(), "mot-loi.xlsx", users.commune_a)
    assert e.value.en == "1 error, nothing imported" and e.value.vi == "1 lỗi, chưa nhập dữ liệu nào"
    wb.worksheets[0]["F10"] = "?"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportFailed) as e:
        import_people(buf.getvalue(), "hai-loi.xlsx", users.commune_a)
    assert e.value.en == "2 errors, nothing imported"


def test_a_csv_saved_from_such_a_workbook_keeps_its_title_rows_and_commas_in_cells(area, users):
    """Vietnamese Excel's "CSV (Comma delimited)" writes ";" and keeps the title block as rows of one cell and
    empty ones; an address holds commas. The header is found under the title, the delimiter is ";"."""
    sep = ";"
    n = len(HEADERS)
    lines = [sep.join(["UBND XÃ NGỌC THIỆN"] + [""] * (n - 1)), sep * (n - 1),
             sep.join(["DANH SÁCH HỘ GIA ĐÌNH, NHÂN KHẨU THÔN ĐỒNG BỤT"] + [""] * (n - 1)), sep * (n - 1)]
    body = csv_text(sep).splitlines()
    header = body[0].replace("Ghi chú", "Địa chỉ")
    rows = [r[: r.rfind(sep)] + sep + '"Xóm 2, thôn Đồng Bụt, xã Ngọc Thiện"' for r in body[1:]]
    data = encode_cp1258("\r\n".join(lines + [header] + rows) + "\r\n")
    sheet = read_file(data, "excel.csv")[0]
    assert sheet.header_row == 5 and [r for r, _c in sheet.rows] == [6, 7, 8, 9]
    result = import_people(data, "excel.csv", users.commune_a)
    assert result.residents_created == 4 and _read_back() == _expected()
    assert Household.objects.get(code="X1").address == "Xóm 2, thôn Đồng Bụt, xã Ngọc Thiện"


def test_a_row_numbering_the_columns_under_the_header_is_not_a_resident(area, users):
    """Official forms number their columns under the header: (1) (2) (3) … — that row is skipped, not refused."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook(empty_row=False)))
    ws = wb.worksheets[0]
    ws.insert_rows(6)
    for j in range(1, len(HEADERS) + 1):
        ws.cell(6, j, f"({j})")
    buf = io.BytesIO()
    wb.save(buf)
    sheet = read_file(buf.getvalue(), "danh-sach.xlsx")[0]
    assert [r for r, _c in sheet.rows] == [7, 8, 9, 10]
    assert import_people(buf.getvalue(), "danh-sach.xlsx", users.commune_a).residents_created == 4


def test_a_house_number_excel_turned_into_a_date_is_read_as_typed(area, users):
    """Typed "12/3" (house 12, lane 3), Vietnamese Excel stores the date 12 March: before, the house number was
    imported as "2026-03-12 00:00:00"."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook()))
    ws = wb.worksheets[0]
    ws["K6"].value = datetime.datetime(2026, 3, 12)
    ws["K6"].number_format = "dd/mm/yyyy"
    buf = io.BytesIO()
    wb.save(buf)
    import_people(buf.getvalue(), "danh-sach.xlsx", users.commune_a)
    assert Household.objects.get(code="X1").house_number == "12/3"


def test_an_old_excel_file_is_told_how_to_save_it(area, users, login, tmp_path):
    """Offices keep many lists as .xls (Excel 97–2003): refused before with 'only .xlsx or .csv', no way on."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ImportFailed) as e:
        import_people(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "danh-sach-2019.xls", users.commune_a)
    err = e.value.errors[0]
    assert (err.sheet, err.row) == ("danh-sach-2019.xls", 0)
    assert "Excel Workbook (.xlsx)" in err.vi and err.vi.startswith("Đây không phải tệp .xlsx")
    client = login(users.commune_a)
    r = client.post("/import/", {"file": SimpleUploadedFile("danh-sach-2019.xls", b"\xd0\xcf\x11\xe0")}, follow=True)
    assert "lưu lại dưới dạng «Excel Workbook (.xlsx)»" in r.content.decode()
    rc, said = _import_cli(tmp_path, b"\xd0\xcf\x11\xe0", "danh-sach-2019.xls", users.commune_a)
    assert rc == 3 and "save it as 'Excel Workbook (.xlsx)'" in said, said


def test_header_at_keeps_row_one_and_finds_a_header_under_a_title():
    from ngoso.people.io import header_at

    assert header_at([["Mã", "Cách đọc"], ["UBND", "ủy ban nhân dân"]]) == 0  # a plain two-column list
    assert header_at([["Mã hộ", "Năm", 2025], ["H1", "x", 3]]) == 0  # row 1 wide: the header, a number or not
    titled = [["UBND XÃ NGỌC THIỆN", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], [None] * 6,
              ["DANH SÁCH HỘ NGHÈO NĂM 2025"], [], ["STT", "Mã hộ", "Họ và tên", "Năm sinh", "Dân tộc", "Ghi chú"],
              [1, "H1", "Lê Văn An", 1960, "Kinh", None]]
    assert header_at(titled) == 4
    assert header_at([]) == 0


def test_relations_as_household_registers_write_them(area, users):
    """A commune's list says "Con trai", "Con gái", "Cháu nội", "Em gái" as the household register does:
    before, each was refused as not one of the eight relations."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(excel_workbook()))
    ws = wb.worksheets[0]
    ws["H10"] = "Con trai"  # Đặng Văn Ước
    ws["H7"] = "Vợ"
    buf = io.BytesIO()
    wb.save(buf)
    import_people(buf.getvalue(), "danh-sach.xlsx", users.commune_a)
    assert Resident.objects.get(full_name="Đặng Văn Ước").relation == "child"
    from ngoso.people.io import _RELATIONS
    from ngoso.core.text import fold

    for words, relation in (("Con gái", "child"), ("Cháu nội", "grandchild"), ("Cháu ngoại", "grandchild"),
                            ("Em gái", "sibling"), ("Anh trai", "sibling"), ("Con nuôi", "child")):
        assert _RELATIONS[fold(words)] == relation, words
