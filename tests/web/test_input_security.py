"""Input the server does not expect (issue 14, item 7): every bad input gets a clear 4xx answer in JSON (or a
clear row/column error for imports), never a 500, never stored. Each case counts towards
"bad inputs tried and answered clearly" (tests/measure.py)."""

from __future__ import annotations

import base64
import datetime
import io
import json
import time
import uuid
import zipfile

import pytest
from django.test import Client

from ngoso.people.models import Household, Resident
from ngoso.sync.models import DeviceToken
from ngoso.visits.models import Visit
from tests import factories, measure

TODAY = datetime.date.today()
BAD = "bad inputs tried and answered clearly"


def clear_json_error(r, status: int | tuple = (400, 422), words: str = "") -> bool:
    """A 4xx JSON error in the one shape, with a Vietnamese and an English message (containing ``words``)."""
    statuses = (status,) if isinstance(status, int) else status
    ok = r.status_code in statuses and r["Content-Type"].startswith("application/json")
    if ok:
        body = r.json()
        ok = (isinstance(body.get("code"), str) and body.get("message") and body.get("message_en")
              and body.get("error") == body.get("message") and "details" in body
              and words.lower() in (body["message"] + " " + body["message_en"]).lower())
    return measure.tried(BAD, bool(ok))


@pytest.fixture
def team(people, users, area):
    return factories.village_team(area, users, [people.h1])


@pytest.fixture
def phone(team, users):
    """The team leader's phone (leaders may edit households and residents)."""
    dev, token = DeviceToken.issue(users.leader, "Redmi 9A")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


def visit(people, **kw):
    rec = {"type": "visit", "uuid": str(uuid.uuid4()), "household": "H1", "visited_on": TODAY.isoformat(),
           "present": [str(people.r1.uuid)], "note": "Zalo",
           "results": [{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 2}]}
    rec.update(kw)
    return rec


def post_raw(client, raw: str | bytes, path="/api/v1/sync/push"):
    return client.post(path, raw, content_type="application/json")


def push(client, records, sent_at=None):
    sent_at = sent_at or datetime.datetime.now(datetime.timezone.utc).isoformat()
    return post_raw(client, json.dumps({"sent_at": sent_at, "records": records}))


def rejected(r, field: str) -> bool:
    """The batch was answered (200) and its one record rejected, naming ``field``, in both languages."""
    ok = r.status_code == 200
    if ok:
        res = r.json()["results"][0]
        ok = res["status"] == "rejected" and res.get("field") == field and res.get("error") and res.get("error_en")
    return measure.tried(BAD, bool(ok))


# --- sync push: dates, numbers, types, nesting -------------------------------------------------------

@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "9999-01-01", "2026-00-10", "20260101", "0001-01-01"])
def test_impossible_visit_dates_are_rejected_by_name(people, phone, value):
    r = push(phone, [visit(people, visited_on=value)])
    assert rejected(r, "visited_on"), r.content[:300]
    r = push(phone, [visit(people, next_visit_on=value)])
    assert rejected(r, "next_visit_on"), r.content[:300]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("value", ["2026-02-30T10:00:00", "2026-13-01T10:00:00Z", "9999-12-31T23:59:59Z",
                                   "yesterday", 12345])
def test_impossible_moments_are_clear_errors(people, phone, value):
    # sent_at: the batch as a whole is refused
    r = post_raw(phone, json.dumps({"sent_at": value, "records": [visit(people)]}))
    assert clear_json_error(r, 400, "sent_at"), r.content[:300]
    # recorded_at: that record is refused
    r = push(phone, [visit(people, recorded_at=value)])
    assert rejected(r, "recorded_at"), r.content[:300]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("raw", [
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"latitude": {"to": 1e400}}}]}',
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"latitude": {"to": NaN}}}]}',
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"longitude": {"to": Infinity}}}]}',
    '{"records": [{"type": "household", "uuid": "%s", "household": "H1", "changes": {"longitude": {"to": -Infinity}}}]}',
    '{"records": [], "sent_at": %s}' % ("9" * 5000),
])
def test_non_finite_numbers_are_refused(people, phone, raw):
    r = post_raw(phone, raw.replace("%s", str(uuid.uuid4())) if "%s" in raw else raw)
    assert clear_json_error(r, 400), r.content[:300]
    assert Household.objects.get(code="H1").latitude is None


@pytest.mark.parametrize("field, value", [("latitude", 1e308), ("latitude", 91), ("longitude", -180.5),
                                          ("latitude", "21.0"), ("latitude", True)])
def test_coordinates_out_of_range_or_of_the_wrong_type_are_refused(people, phone, field, value):
    rec = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "changes": {field: {"to": value}}}
    assert rejected(push(phone, [rec]), field)
    assert Household.objects.get(code="H1").latitude is None


def test_coordinates_in_range_are_stored(people, phone):
    rec = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1",
           "changes": {"latitude": {"to": 21.35}, "longitude": {"to": 106}}}
    assert push(phone, [rec]).json()["results"][0]["status"] == "created"
    assert (Household.objects.get(code="H1").latitude, Household.objects.get(code="H1").longitude) == (21.35, 106.0)


@pytest.mark.parametrize("kw, field", [
    ({"results": 5}, "results"), ({"results": "zalo"}, "results"), ({"results": [5]}, "results"),
    ({"results": [{"resident": "x", "skill": "zalo-messaging", "level": "2"}]}, "results"),
    ({"results": [{"resident": {"a": 1}, "skill": "zalo-messaging", "level": 2}]}, "results.resident"),
    ({"present": 7}, "present"), ({"present": [[1]]}, "present"),
    ({"note": {"a": 1}}, "note"), ({"note": 12}, "note"), ({"household": ["H1"]}, "household"),
    ({"visited_on": 20260101}, "visited_on"),
])
def test_wrong_types_are_rejected_by_name(people, phone, kw, field):
    r = push(phone, [visit(people, **kw)])
    assert rejected(r, field), r.content[:300]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_nesting_is_refused(people, phone, depth):
    raw = '{"records": [' + "[" * depth + "]" * depth + "]}"
    assert clear_json_error(post_raw(phone, raw), 400, "JSON")


def test_control_characters_and_overlong_text_from_a_phone_are_refused(people, phone):
    for field, value in (("address", "Thôn\x0bĐồng"), ("address", "a\x00b"), ("alley", "\x85"),
                         ("house_number", "\ud800"), ("address", "x" * 201), ("address", "đường\ncái")):
        rec = {"type": "household", "uuid": str(uuid.uuid4()), "household": "H1", "changes": {field: {"to": value}}}
        raw = json.dumps({"records": [rec]})  # \ud800 travels as a JSON escape, as a phone would send it
        assert rejected(post_raw(phone, raw), field), (field, value)
    assert Household.objects.get(code="H1").address == ""
    r = push(phone, [visit(people, note="Nói\x1bchuyện")])
    assert rejected(r, "note")
    r = push(phone, [visit(people, note="Dòng một\nDòng hai\tcột")])  # a note may hold new lines and tabs
    assert r.json()["counts"]["created"] == 1


def test_a_device_name_is_cleaned(users, login):
    c = login(users.member)
    r = c.post("/api/v1/sync/devices", json.dumps({"name": "x" * 100_000}), content_type="application/json")
    assert clear_json_error(r, 400, "name")
    r = c.post("/api/v1/sync/devices", json.dumps({"name": "a\x00"}), content_type="application/json")
    assert clear_json_error(r, 400, "name")
    assert not DeviceToken.objects.exists()


# --- forged pull cursors --------------------------------------------------------------------------------

def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    _b64([1, 2]), _b64("s"), _b64({"a": 10 ** 30}), _b64({"a": -1}), _b64({"a": "x"}), _b64({"a": 1.5e300}),
    _b64({"s": "2026-02-30T00:00:00"}), _b64({"s": "not a time"}), _b64({"s": 5}), _b64({"t": "9999-99-99"}),
    _b64({"s": {"$gt": 1}}), "%%%", "A" * 5000, _b64(None),
])
def test_forged_pull_cursors_get_a_clear_error(phone, cursor):
    r = phone.get("/api/v1/sync/pull", {"cursor": cursor})
    assert clear_json_error(r, 400, "con trỏ"), r.content[:300]


@pytest.mark.parametrize("params", [{"limit": "1e400"}, {"limit": "NaN"}, {"limit": "x"}])
def test_bad_query_parameters_get_json_422(phone, params):
    r = phone.get("/api/v1/sync/pull", params)
    assert clear_json_error(r, (400, 422)), r.content[:300]


# --- every error of /api/ in JSON -----------------------------------------------------------------------

def test_a_30_mb_body_gets_json_413(phone, users, login):
    big = b'{"records": [], "pad": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    assert clear_json_error(post_raw(phone, big), 413)
    assert clear_json_error(post_raw(login(users.leader), big, "/api/v1/radio/bulletins"), 413)


def test_errors_outside_operations_are_json(users, login, people):
    anon = Client()
    assert clear_json_error(anon.get("/api/v1/nothing-here"), 404)
    assert clear_json_error(anon.get("/api/v1/places/24"), 401)
    c = login(users.commune_a)
    assert clear_json_error(c.get("/api/v1/places/NOPE"), 404)
    assert clear_json_error(c.get("/api/v1/places/07210"), 403)
    assert clear_json_error(c.delete("/api/v1/places/07351"), 405)
    assert clear_json_error(c.get("/api/v1/residents"), 422, "q")
    assert clear_json_error(c.get("/api/v1/residents", {"q": "x"}), 400, "2")
    # CSRF: a session POST without the token
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users.member)
    assert clear_json_error(strict.post("/api/v1/sync/devices", "{}", content_type="application/json"), 403)


def test_an_unexpected_exception_is_a_json_500(users, login, monkeypatch, area):
    import ngoso.api.v1 as v1

    def boom(place):
        raise RuntimeError("a bug")

    monkeypatch.setattr(v1, "stats", boom)
    c = login(users.commune_a)
    c.raise_request_exception = False
    r = c.get("/api/v1/places/07351")
    assert r.status_code == 500 and r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == "server_error" and body["message"] and body["message_en"] and "a bug" not in r.content.decode()


def test_the_openapi_document_lists_every_error(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert "Error" in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status in ("400", "401", "403", "404", "405", "413", "422", "500"):
                assert status in op["responses"], (method, path, status)
                assert op["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


# --- next= after saving a visit -------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["javascript:alert(1)", "https://evil.example/x", "//evil.example/x",
                                    "/\\evil.example", "http://testserver@evil.example/", "/today/\r\nSet-Cookie: x=1"])
def test_next_never_leaves_the_site_and_never_500s(people, team, users, login, target):
    c = login(users.member)
    c.raise_request_exception = False
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "",
                               "uuid": str(uuid.uuid4()), "next": target})
    ok = r.status_code == 302 and r["Location"] == "/today/"
    assert measure.tried(BAD, ok), (r.status_code, r.get("Location"))
    assert Visit.objects.count() == 1


def test_next_to_a_page_of_the_site_is_followed(people, team, users, login):
    c = login(users.member)
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "",
                               "uuid": str(uuid.uuid4()), "next": "/households/H1/"})
    assert r.status_code == 302 and r["Location"] == "/households/H1/"


# --- imports: bounded, formulas reported, cells cleaned --------------------------------------------------

def _person(**kw):
    row = {"Mã hộ": "N1", "Mã thôn": "07351.001", "Họ và tên": "Lê Thị Mai", "Giới tính": "Nữ", "Năm sinh": 1980,
           "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ"}
    row.update(kw)
    return row


def _refused(call, *words, row=None, column=None) -> list:
    """Run an import that must fail; True if one error names ``row``/``column`` and holds every word."""
    from ngoso.people.io import ImportFailed

    try:
        call()
    except ImportFailed as exc:
        hits = [e for e in exc.errors if (row is None or e.row == row) and (column is None or e.column == column)
                and all(w.lower() in (e.vi + " " + e.en).lower() for w in words)]
        measure.tried(BAD, bool(hits))
        return hits
    measure.tried(BAD, False)
    return []


def _in_xml(data: bytes, old: str, new: str) -> bytes:
    """The workbook with ``old`` replaced by ``new`` in its XML (what openpyxl refuses to write itself)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info.filename).replace(old.encode(), new.encode()))
    return out.getvalue()


def _bomb(unpacked_mb: int) -> bytes:
    """A real template workbook whose first sheet unpacks to ``unpacked_mb`` MB (of blanks): about 1 MB packed
    for 250 MB unpacked."""
    from tests.helpers import xlsx_bytes

    src = zipfile.ZipFile(io.BytesIO(xlsx_bytes([_person()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with z.open(info.filename, "w", force_zip64=True) as f:
                    f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                            b'spreadsheetml/2006/main"><sheetData>')
                    chunk = b" " * (1024 * 1024)
                    for _ in range(unpacked_mb):
                        f.write(chunk)
                    f.write(b"</sheetData></worksheet>")
            else:
                z.writestr(info, src.read(info.filename))
    return out.getvalue()


def test_a_zip_bomb_is_refused_quickly_by_every_import(users, people):
    from ngoso.lessons import services as lessons
    from ngoso.people.io import import_people
    from ngoso.poverty import services as pov

    bomb = _bomb(250)
    assert len(bomb) < 2 * 1024 * 1024
    for call in (lambda: import_people(bomb, "bom.xlsx", users.commune_a),
                 lambda: pov.import_reviews(bomb, "bom.xlsx", users.commune_a),
                 lambda: pov.import_sites(bomb, "bom.xlsx", users.commune_a),
                 lambda: lessons.import_translations(bomb, "bom.xlsx", users.province, "tay")):
        t0 = time.perf_counter()
        assert _refused(call, "MB", "250")
        assert time.perf_counter() - t0 < 1.0
    assert not Household.objects.filter(code="N1").exists()


def test_rows_are_bounded_and_read_as_a_stream(users, people, monkeypatch):
    from ngoso.people import io as pio
    from tests.helpers import csv_bytes, xlsx_bytes

    monkeypatch.setattr(pio, "MAX_ROWS", 5)
    rows = [_person(**{"Mã hộ": f"N{i}", "Quan hệ với chủ hộ": "Chủ hộ"}) for i in range(8)]
    for data, name in ((xlsx_bytes(rows), "x.xlsx"), (csv_bytes(rows), "x.csv")):
        assert _refused(lambda: pio.import_people(data, name, users.commune_a), "5", "dòng", row=7)
    assert not Household.objects.filter(code__startswith="N").exists()
    # empty rows (a sheet formatted to row 1,048,576) do not count
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Nhân khẩu"
    ws.append(list(rows[0]))
    ws.append(list(rows[0].values()))
    for r in range(3, 200):
        ws.cell(row=r, column=1, value="")
    buf = io.BytesIO()
    wb.save(buf)
    assert pio.import_people(buf.getvalue(), "x.xlsx", users.commune_a).households_created == 1


def test_formula_cells_are_reported_with_row_and_column(users, people):
    from ngoso.people.io import import_people
    from ngoso.poverty import services as pov
    from tests.helpers import xlsx_bytes

    data = xlsx_bytes([_person(), _person(**{"Mã hộ": "N2", "Họ và tên": '=HYPERLINK("http://x/"&A2, "bấm")'})])
    hits = _refused(lambda: import_people(data, "f.xlsx", users.commune_a), "công thức", "dán giá trị",
                    row=3, column="Họ và tên")
    assert hits and not any("thiếu" in e.vi.lower() for e in hits)
    data = xlsx_bytes([{"Mã": "B1", "Loại": "BTS", "Mã thôn": "=CONCAT(\"07351\",\".001\")", "Công nghệ": "4G"}],
                      columns=["Mã", "Loại", "Mã thôn", "Công nghệ"])
    assert _refused(lambda: pov.import_sites(data, "s.xlsx", users.commune_a), "công thức", row=2, column="Mã thôn")


@pytest.mark.parametrize("value, words", [("Lê\x00Mai", "U+0000"), ("Lê\x0bMai", "U+000B"), ("Lê\x1bMai", "U+001B"),
                                          ("Lê\x7fMai", "U+007F"), ("Lê\x9bMai", "U+009B")])
def test_control_characters_in_a_csv_are_refused_with_row_and_column(users, people, value, words):
    from ngoso.people.io import import_people
    from tests.helpers import csv_bytes

    data = csv_bytes([_person(), _person(**{"Mã hộ": "N2", "Địa chỉ": value})])
    assert _refused(lambda: import_people(data, "c.csv", users.commune_a), words, row=3, column="Địa chỉ")
    assert not Household.objects.filter(code__in=["N1", "N2"]).exists()


def test_control_characters_in_an_xlsx_are_refused(users, people):
    from ngoso.people.io import import_people
    from tests.helpers import xlsx_bytes

    # Excel stores a control character as _x000B_ in the XML; openpyxl reads it back as the character
    data = _in_xml(xlsx_bytes([_person(**{"Địa chỉ": "XómQQTrại"})]), "QQ", "_x000B_")
    assert _refused(lambda: import_people(data, "c.xlsx", users.commune_a), "U+000B", row=2, column="Địa chỉ")


@pytest.mark.parametrize("column, size, limit", [("Họ và tên", 100_000, None), ("Họ và tên", 121, 120),
                                                 ("Địa chỉ", 201, 200), ("Mã hộ", 41, 40), ("Ngõ", 81, 80)])
def test_text_longer_than_its_field_is_refused(users, people, column, size, limit):
    from ngoso.people.io import import_people
    from tests.helpers import csv_bytes, xlsx_bytes

    for data, name in ((xlsx_bytes([_person(**{column: "a" * size})]), "l.xlsx"),
                       (csv_bytes([_person(**{column: "a" * size})]), "l.csv")):
        assert _refused(lambda: import_people(data, name, users.commune_a), str(limit or 32767), row=2, column=column)
    assert not Resident.objects.filter(full_name__startswith="aaaa").exists()


def test_site_and_translation_imports_check_their_fields(users, people):
    from ngoso.lessons import services as lessons
    from ngoso.poverty import services as pov
    from tests.helpers import csv_bytes, xlsx_bytes

    sites = [{"Mã": "B1", "Loại": "Loa", "Mã thôn": "07351.001", "Tên": "n" * 161}]
    assert _refused(lambda: pov.import_sites(csv_bytes(sites, columns=["Mã", "Loại", "Mã thôn", "Tên"]), "s.csv",
                                             users.commune_a), "160", row=2, column="Tên")
    rows = [{"Mã kỹ năng": "zalo-messaging", "Đối tượng": "standard", "Vị trí": "title", "Tiếng Việt": "",
             "Bản dịch": "SlikQQ"}]
    data = _in_xml(xlsx_bytes(rows, sheet="Bản dịch",
                              columns=["Mã kỹ năng", "Đối tượng", "Vị trí", "Tiếng Việt", "Bản dịch"]), "QQ", "_x0000_")
    assert _refused(lambda: lessons.import_translations(data, "t.xlsx", users.province, "tay"), "U+0000", row=2,
                    column="Bản dịch")


def test_article_import_refuses_control_characters(users):
    from ngoso.livelihoods import services
    from ngoso.livelihoods.models import FarmingArticle

    art = {"slug": "thu-nghiem", "title": "Thử\x07 nghiệm", "topic": FarmingArticle._meta.get_field("topic").choices[0][0],
           "subject": "lúa", "summary": "Tóm tắt", "body": "Dòng một\nDòng hai", "source_type": "extension",
           "source": "Trạm khuyến nông"}
    with pytest.raises(services.LivelihoodError) as exc:
        services.import_articles(json.dumps({"articles": [art]}).encode(), "a.json", users.province)
    assert measure.tried(BAD, "U+0007" in str(exc.value) and "title" in str(exc.value))
    assert not FarmingArticle.objects.filter(slug="thu-nghiem").exists()


def test_forms_refuse_control_characters_in_the_field(users):
    from ngoso.livelihoods.forms import ProductForm, StoryForm

    f = ProductForm(data={"name": "Vải\x1b thiều", "description": "Ngọt\r\nthơm"})
    assert not f.is_valid() and "description" not in f.errors  # a new line in a multi-line field is fine
    assert measure.tried(BAD, "U+001B" in str(f.errors.get("name")))
    s = StoryForm(data={"title": "Câu chuyện", "change": "Một\x0bhai"})
    assert measure.tried(BAD, "U+000B" in str(s.errors.get("change")))


# --- what the pages say ---------------------------------------------------------------------------------

def test_a_failed_job_page_shows_no_traceback(users, login, area, caplog):
    from ngoso.core import jobs
    from ngoso.core.models import Job

    @jobs.handler("test_boom")
    def boom(job, progress):
        open("/nonexistent/secret-path/file.xlsx")

    job = jobs.submit("test_boom", {}, user=users.commune_a, place_path=area.a.path, background=False)
    assert job.status == "failed"
    page = login(users.commune_a).get(f"/jobs/{job.pk}/").content.decode()
    ok = "Traceback" not in page and "secret-path" not in page and "File \"" not in page and f"{job.pk}" in page
    assert measure.tried(BAD, ok), page[-800:]
    assert "Traceback" in caplog.text and "secret-path" in caplog.text  # the server log keeps it
    Job.objects.filter(pk=job.pk).delete()


def test_a_web_visit_note_is_cleaned(people, team, users, login):
    c = login(users.member)
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "Ghi\x00chú",
                              "uuid": str(uuid.uuid4())})
    # refused at the door (CleanInputMiddleware), before the view
    assert measure.tried(BAD, r.status_code == 400 and "U+0000" in r.content.decode() and "note" in r.content.decode())
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "x" * 20_001,
                              "uuid": str(uuid.uuid4())})
    assert measure.tried(BAD, r.status_code == 200 and "20000" in r.content.decode()) and Visit.objects.count() == 0
    r = c.post("/visit/H1/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk], "note": "Dòng 1\r\nDòng 2",
                              "uuid": str(uuid.uuid4())})
    assert r.status_code == 302 and Visit.objects.get().note == "Dòng 1\nDòng 2"


def test_api_search_terms_are_bounded(users, login, people):
    c = login(users.commune_a)
    assert clear_json_error(c.get("/api/v1/residents", {"q": "x" * 5000}), 400, "100")
    assert clear_json_error(c.get("/api/v1/residents", {"q": "Lý\x00"}), 400, "U+0000")
    assert clear_json_error(c.get("/api/v1/livelihoods/producers", {"q": "a\x1b"}), 400, "q")
    assert clear_json_error(c.get("/api/v1/livelihoods/articles", {"subject": "s" * 101}), 400, "subject")
    assert c.get("/api/v1/residents", {"q": "Lý"}).json()[0]["full_name"] == "Nguyễn Thị Lý"


def test_a_bulletin_sent_through_the_api_is_cleaned(users, login, area):
    from ngoso.radio.models import Bulletin

    c = login(users.commune_a)
    base = {"category": "health", "place": area.a.code, "text": "Thông báo"}
    for extra, field in (({"title": "t" * 201}, "title"), ({"title": "Tin\x00"}, "title"),
                         ({"title": "Tin", "text": "a\x0bb"}, "text")):
        r = c.post("/api/v1/radio/bulletins", json.dumps({**base, **extra}), content_type="application/json")
        assert clear_json_error(r, 400, field), r.content[:300]
    assert not Bulletin.objects.exists()


def test_admin_forms_refuse_control_characters(users, people, rf):
    from django.contrib import admin

    request = rf.get("/")
    request.user = users.province
    Form = admin.site._registry[Household].get_form(request, people.h1)
    data = {f: getattr(people.h1, f) for f in Form.base_fields if not f.endswith("village")}
    data |= {"village": people.h1.village_id, "address": "Xóm\x0bTrại", "latitude": "", "longitude": "",
             "poverty_year": people.h1.poverty_year or ""}
    form = Form(data=data, instance=people.h1)
    assert not form.is_valid()
    assert measure.tried(BAD, "U+000B" in str(form.errors.get("address"))), form.errors


def test_forms_refuse_far_dates_and_impossible_coordinates(users, people, rf):
    from django.contrib import admin

    from ngoso.livelihoods.forms import ChannelForm

    f = ChannelForm(data={"kind": "social", "platform": "zalo", "address": "", "since": "9999-01-01"})
    assert not f.is_valid()
    assert measure.tried(BAD, "9999" in str(f.errors.get("since"))), f.errors
    request = rf.get("/")
    request.user = users.province
    Form = admin.site._registry[Household].get_form(request, people.h1)
    data = {f: getattr(people.h1, f) for f in Form.base_fields if not f.endswith("village")}
    data |= {"village": people.h1.village_id, "latitude": "1e308", "longitude": "-181",
             "poverty_year": people.h1.poverty_year or ""}
    form = Form(data=data, instance=people.h1)
    assert not form.is_valid()
    assert measure.tried(BAD, "latitude" in form.errors and "longitude" in form.errors), form.errors


# --- the rules themselves (ngoso.core.clean) ------------------------------------------------------------

def test_control_characters_are_exactly_the_refused_ones():
    from ngoso.core import clean

    for code in range(0x110000):
        # C0 but TAB (and LF in multi-line fields), DEL, C1, lone surrogates (cannot be stored as UTF-8)
        single = (code < 0x20 and code != 0x09) or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
        ch = chr(code)
        assert (clean.bad_character(ch) is not None) == single, hex(code)
        assert (clean.bad_character(ch, multiline=True) is not None) == (single and code != 0x0A), hex(code)
    assert clean.bad_character("a\nb") is not None and clean.bad_character("a\nb", multiline=True) is None
    assert clean.bad_character("Nguyễn Thị Lý · ①") is None


def test_numbers_dates_and_json():
    from ngoso.core import clean

    for bad in (float("nan"), float("inf"), -float("inf"), 1e308, 10 ** 400, "1e400", "NaN", "abc", True, [1]):
        with pytest.raises(clean.CleanError):
            clean.latitude(bad)
    assert clean.latitude("21,35") == 21.35 and clean.longitude(-180) == -180.0 and clean.latitude(None) is None
    for bad in ("2026-02-30", "2026-13-01", "9999-01-01", "1899-12-31", "2026-1-1x", "01/02/2026", 20260101):
        with pytest.raises(clean.CleanError) as exc:
            clean.date(bad, "visited_on")
        assert exc.value.field == "visited_on" and "visited_on" in exc.value.vi
    assert clean.date("2028-02-29", "d") == datetime.date(2028, 2, 29)
    for raw in ('{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}', '{"a": 1e400}', "[" * 40 + "]" * 40,
                "[" * 100_000, b"\xff", "1" * 5000, '{"a": '):
        with pytest.raises(clean.CleanError):
            clean.json_loads(raw)
    assert clean.json_loads('{"a": [1.5, {"b": null}]}') == {"a": [1.5, {"b": None}]}


@pytest.mark.parametrize("max_length", [None, 5])
def test_text_never_raises_anything_but_a_clean_error(max_length):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from ngoso.core import clean

    @given(st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text())), st.booleans())
    @settings(max_examples=300, deadline=None)
    def check(value, multiline):
        try:
            out = clean.text(value, "f", max_length=max_length, multiline=multiline)
        except clean.CleanError as exc:
            assert exc.field == "f" and exc.vi and exc.en
        else:
            assert isinstance(out, str) and clean.bad_character(out, multiline) is None
            assert max_length is None or len(out) <= max_length

    check()


def test_a_csv_larger_than_the_bound_is_refused_before_reading(users, people, monkeypatch):
    from ngoso.people import io as pio
    from tests.helpers import csv_bytes

    data = csv_bytes([_person(**{"Mã hộ": f"N{i}"}) for i in range(50)])
    monkeypatch.setattr(pio, "MAX_UNPACKED_BYTES", len(data) - 1)
    assert _refused(lambda: pio.import_people(data, "x.csv", users.commune_a), "MB")


@pytest.mark.parametrize("method, path, data, field", [
    ("get", "/search/", {"q": "Lý\x00"}, "q"),
    ("get", "/api/v1/livelihoods/articles", {"q": "lúa\x1b"}, "q"),
    ("post", "/radio/bulletins/new/", {"title": "Tin\x0b", "text": "x", "category": "health"}, "title"),
    ("get", "/search/", {"q\x00": "x"}, "q"),
])
def test_every_page_refuses_control_characters_at_the_door(users, login, area, method, path, data, field):
    c = login(users.commune_a)
    r = getattr(c, method)(path, data)
    body = r.content.decode()
    ok = r.status_code == 400 and field in body and "U+00" in body and "điều khiển" in body
    assert measure.tried(BAD, ok), (r.status_code, body[:300])
    if path.startswith("/api/"):
        assert r.json()["code"] == "control_character"


def test_new_lines_and_tabs_pass_the_door(users, login, people):
    c = login(users.commune_a)
    assert c.get("/search/", {"q": "Lý\tThị"}).status_code == 200


def test_api_bodies_refuse_control_characters_where_they_are(users, login, area):
    from ngoso.radio.models import Bulletin

    c = login(users.commune_a)
    for body, where in (({"title": "Tin", "category": "health", "place": "07351\x00"}, "place"),
                        ({"title": "Tin", "category": "health\x1b", "place": "07351"}, "category"),
                        ({"title": "Tin", "category": "health", "place": "07351", "x\x00": 1}, "x")):
        r = c.post("/api/v1/radio/bulletins", json.dumps(body), content_type="application/json")
        assert clear_json_error(r, 400, f"«{where}"), r.content[:300]
    assert not Bulletin.objects.exists()
