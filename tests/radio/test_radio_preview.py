"""Local abbreviations (rules, scoping, import, audit) and the editor's explaining preview (/radio/preview.json)."""

from __future__ import annotations

import wave

import pytest

from ngoso.accounts.models import AuditEntry
from ngoso.people.io import ImportFailed
from ngoso.radio import abbreviations as abbr
from ngoso.radio import services
from ngoso.radio.abbreviations import AbbreviationError
from ngoso.radio.models import Bulletin, LocalAbbreviation
from tests.helpers import csv_bytes, xlsx_bytes

COLS = ["Viết tắt", "Cách đọc", "Ghi chú"]


# --- the rules of one entry ---------------------------------------------------------------------------------

@pytest.mark.parametrize("abbreviation, reading, note, field, words", [
    ("NVHĐB", "", "", "reading", "không được để trống"),
    ("NVHĐB", "   ", "", "reading", "không được để trống"),
    ("", "nhà văn hóa", "", "abbreviation", "không được để trống"),
    ("K\x00DC", "nhà văn hóa", "", "abbreviation", "U+0000"),
    ("NVHĐB", "khu dân\x1b cư", "", "reading", "U+001B"),
    ("NVHĐB", "nhà văn hóa", "ghi\u202echú", "note", "U+202E"),
    ("NVHĐB", "khu dân\u200b cư", "", "reading", "U+200B"),
    ("NVHĐB", "khu\ud800", "", "reading", "U+D800"),
    ("K" * 41, "nhà văn hóa", "", "abbreviation", "41"),
    ("NVHĐB", "khu " * 60, "", "reading", "dài quá 200"),
    ("NVHĐB", "nhà văn hóa", "x" * 301, "note", "300"),
    ("NVHĐB", "nhà văn hóa số 3", "", "reading", "không dùng chữ số"),
    ("123", "một hai ba", "", "abbreviation", "chữ cái"),
    ("NVHĐB", "NVHĐB", "", "reading", "giống hệt"),
    ("NVHĐB", "...", "", "reading", "phải có chữ"),
])
def test_bad_entries_are_refused_naming_the_field(abbreviation, reading, note, field, words):
    with pytest.raises(AbbreviationError) as exc:
        abbr.clean(abbreviation, reading, note)
    assert exc.value.field == field
    assert words in str(exc.value) and " / " in str(exc.value)  # Vietnamese / English


def test_entries_are_tidied_to_nfc_and_single_spaces():
    c = abbr.clean("  NVHĐB ", "khu  dân\tcư", " gần\r\nchợ ")
    assert (c.abbreviation, c.reading, c.note) == ("NVHĐB", "khu dân cư", "gần chợ")
    decomposed = "khu da\u0302n cu\u031b"  # "khu dân cư" with combining marks
    assert abbr.clean("NVHĐB", decomposed).reading == "khu dân cư"


# --- who may change which list; which list applies where ------------------------------------------------------

def test_who_may_edit_which_place(area, users):
    assert abbr.can_edit(users.commune_a, area.a)
    assert not abbr.can_edit(users.commune_a, area.b)
    assert not abbr.can_edit(users.commune_a, area.province)
    assert abbr.can_edit(users.province, area.province) and abbr.can_edit(users.province, area.b)
    assert not abbr.can_edit(users.radio, area.a)  # operators read the list, approvers change it
    assert not abbr.can_edit(users.commune_a, area.va1)  # villages have no list of their own
    assert not abbr.can_edit(users.province, area.old_commune2)  # nor former units
    with pytest.raises(AbbreviationError):
        abbr.add(area.b, users.commune_a, "NVHĐB", "nhà văn hóa")
    assert [p.code for p in abbr.editable_places(users.commune_a)] == [area.a.code]
    assert {p.code for p in abbr.editable_places(users.province)} == {area.province.code, area.a.code, area.b.code}
    assert abbr.editable_places(users.radio) == []


def test_duplicate_per_place_is_refused_but_another_place_may_have_its_own(area, users):
    abbr.add(area.a, users.commune_a, "NVHĐB", "nhà văn hóa")
    with pytest.raises(AbbreviationError) as exc:
        abbr.add(area.a, users.commune_a, " NVHĐB ", "khu đô thị")
    assert "đã có" in str(exc.value) and exc.value.field == "abbreviation"
    abbr.add(area.b, users.commune_b, "NVHĐB", "khu di chỉ")
    assert LocalAbbreviation.objects.count() == 2
    other = abbr.add(area.a, users.commune_a, "BQL", "ban quản lý")
    with pytest.raises(AbbreviationError):
        abbr.change(other, users.commune_a, "NVHĐB", "nhà văn hóa")  # renaming onto an existing one
    other.refresh_from_db()
    assert other.abbreviation == "BQL"


def test_a_bulletin_reads_its_province_list_and_its_commune_list_the_commune_winning(area, users):
    abbr.add(area.province, users.province, "CLB", "câu lạc bộ tỉnh")
    abbr.add(area.province, users.province, "TTYT", "trung tâm y tế tỉnh")
    abbr.add(area.a, users.commune_a, "CLB", "câu lạc bộ xã")
    abbr.add(area.b, users.commune_b, "HTXNN", "hợp tác xã nông nghiệp bê")
    assert abbr.for_place(area.a) == {"CLB": "câu lạc bộ xã", "TTYT": "trung tâm y tế tỉnh"}
    assert abbr.for_place(area.va1) == abbr.for_place(area.a)  # a village bulletin: its commune's list
    assert abbr.for_place(area.province) == {"CLB": "câu lạc bộ tỉnh", "TTYT": "trung tâm y tế tỉnh"}
    assert abbr.for_place(area.b)["HTXNN"] == "hợp tác xã nông nghiệp bê"
    assert "HTXNN" not in abbr.for_place(area.a)
    assert abbr.for_place(None) == {}
    assert "câu lạc bộ xã" in services.preview("Họp CLB lúc 7h", place=area.a)
    assert "câu lạc bộ tỉnh" in services.preview("Họp CLB lúc 7h", place=area.b)


def test_list_page_is_scoped_to_the_area_and_the_places_above(area, users, login):
    a = abbr.add(area.a, users.commune_a, "NVHĐBA", "nhà văn hóa a")
    b = abbr.add(area.b, users.commune_b, "NVHĐBB", "nhà văn hóa bê")
    p = abbr.add(area.province, users.province, "TTYT", "trung tâm y tế tỉnh")
    assert set(abbr.visible(users.commune_a)) == {a, p}
    assert set(abbr.visible(users.radio)) == {a, p}
    assert set(abbr.visible(users.province)) == {a, b, p}
    assert list(abbr.visible(users.nobody)) == []
    page = login(users.radio).get("/radio/abbreviations/").content.decode()
    assert "NVHĐBA" in page and "TTYT" in page and "NVHĐBB" not in page
    assert "abbr-add" not in page  # an operator sees the list, not the form
    assert login(users.commune_a).get(f"/radio/abbreviations/{b.pk}/").status_code == 404
    assert login(users.commune_a).get(f"/radio/abbreviations/{p.pk}/").status_code == 403  # the province's
    assert login(users.member).get("/radio/abbreviations/").status_code == 403


def test_changes_are_audited(area, users):
    e = abbr.add(area.a, users.commune_a, "NVHĐB", "nhà văn hóa")
    abbr.change(e, users.commune_a, "NVHĐB", "nhà văn hóa mới", "sửa")
    abbr.delete(e, users.commune_a)
    entries = AuditEntry.objects.filter(model="radio.LocalAbbreviation").order_by("at", "id")
    assert [x.action for x in entries] == ["create", "update", "delete"]
    assert all(x.place_path == area.a.path and x.actor == "xa_a" for x in entries)
    assert entries[1].changes["reading"] == ["nhà văn hóa", "nhà văn hóa mới"]


# --- spreadsheet import -----------------------------------------------------------------------------------

def test_import_creates_and_updates_the_whole_file(area, users):
    abbr.add(area.a, users.commune_a, "NVHĐB", "nhà văn hóa")
    abbr.add(area.a, users.commune_a, "BQL", "ban quản lý")
    data = xlsx_bytes([{"Viết tắt": "NVHĐB", "Cách đọc": "nhà văn hóa số ba", "Ghi chú": "đổi"},
                       {"Viết tắt": "BQL", "Cách đọc": "ban quản lý"},
                       {},  # blank rows are skipped
                       {"Viết tắt": "HTXDV", "Cách đọc": "hợp tác xã dịch vụ", "Ghi chú": "mới"}],
                      sheet="Viết tắt", columns=COLS)
    done = abbr.import_file(data, "viet-tat.xlsx", area.a, users.commune_a)
    assert (done.created, done.updated, done.unchanged) == (1, 1, 1)
    assert abbr.for_place(area.a) == {"NVHĐB": "nhà văn hóa số ba", "BQL": "ban quản lý",
                                      "HTXDV": "hợp tác xã dịch vụ"}
    # the download has the same columns: it imports back unchanged
    back = abbr.import_file(abbr.template_xlsx(LocalAbbreviation.objects.filter(place=area.a)), "x.xlsx", area.a,
                            users.commune_a)
    assert (back.created, back.updated, back.unchanged) == (0, 0, 3)


def test_import_with_errors_writes_nothing_and_names_row_and_column(area, users):
    data = csv_bytes([{"Viết tắt": "NVHĐB", "Cách đọc": "nhà văn hóa"},
                      {"Viết tắt": "BQL", "Cách đọc": ""},
                      {"Viết tắt": "NVHĐB", "Cách đọc": "khu đô thị"},
                      {"Viết tắt": "CLB", "Cách đọc": "câu lạc bộ", "Ghi chú": "x" * 400}], columns=COLS)
    with pytest.raises(ImportFailed) as exc:
        abbr.import_file(data, "viet-tat.csv", area.a, users.commune_a)
    got = [(e.row, e.column) for e in exc.value.errors]
    assert got == [(3, "Cách đọc"), (4, "Viết tắt"), (5, "Ghi chú")]
    assert "dòng 2" in str(exc.value.errors[1])  # the duplicate names the first row
    assert LocalAbbreviation.objects.count() == 0


def test_import_refuses_a_control_character_at_the_door_naming_row_and_column(area, users):
    """The one import reader (people.io.read_file) refuses control characters before any row is read."""
    data = csv_bytes([{"Viết tắt": "NVHĐB", "Cách đọc": "nhà văn hóa"},
                      {"Viết tắt": "HT\x07X", "Cách đọc": "hợp tác xã"}], columns=COLS)
    with pytest.raises(ImportFailed) as exc:
        abbr.import_file(data, "viet-tat.csv", area.a, users.commune_a)
    assert [(e.row, e.column) for e in exc.value.errors] == [(3, "Viết tắt")]
    assert "U+0007" in exc.value.errors[0].vi
    assert LocalAbbreviation.objects.count() == 0


def test_import_missing_column_and_someone_elses_place(area, users):
    data = csv_bytes([{"Viết tắt": "NVHĐB", "Ghi chú": "x"}], columns=["Viết tắt", "Ghi chú"])
    with pytest.raises(ImportFailed) as exc:
        abbr.import_file(data, "a.csv", area.a, users.commune_a)
    assert [(e.row, e.column) for e in exc.value.errors] == [(1, "Cách đọc")]
    ok = csv_bytes([{"Viết tắt": "NVHĐB", "Cách đọc": "nhà văn hóa"}], columns=COLS)
    with pytest.raises(ImportFailed):
        abbr.import_file(ok, "a.csv", area.b, users.commune_a)
    with pytest.raises(ImportFailed):
        abbr.import_file(ok, "a.csv", area.a, users.radio)
    assert abbr.import_file(ok.replace("Viết tắt".encode(), b"Abbreviation").replace("Cách đọc".encode(),
                                                                                      b"Reading"),
                            "a.csv", area.a, users.commune_a).created == 1  # English headers too


# --- pages ----------------------------------------------------------------------------------------------

def test_add_edit_delete_on_the_page_keeping_the_input_on_error(area, users, login):
    c = login(users.commune_a)
    r = c.post("/radio/abbreviations/", {"place": area.a.code, "abbreviation": "NVHĐB", "reading": "",
                                        "note": "gần chợ"})
    page = r.content.decode()
    assert r.status_code == 200 and "không được để trống" in page and 'value="gần chợ"' in page
    assert 'aria-invalid="true"' in page
    r = c.post("/radio/abbreviations/", {"place": area.a.code, "abbreviation": "NVHĐB", "reading": "nhà văn hóa"})
    assert r.status_code == 302
    e = LocalAbbreviation.objects.get()
    assert (e.place, e.created_by) == (area.a, users.commune_a)
    assert c.post("/radio/abbreviations/", {"place": area.b.code, "abbreviation": "X", "reading": "ích"}
                  ).status_code == 403
    r = c.post(f"/radio/abbreviations/{e.pk}/", {"abbreviation": "NVHĐB", "reading": "nhà văn hóa mới"})
    assert r.status_code == 302 and LocalAbbreviation.objects.get().reading == "nhà văn hóa mới"
    r = c.post(f"/radio/abbreviations/{e.pk}/", {"action": "delete"})
    assert r.status_code == 302 and not LocalAbbreviation.objects.exists()
    # the preview's hint link fills the abbreviation in
    page = c.get("/radio/abbreviations/", {"add": "NVHĐB", "place": area.a.code}).content.decode()
    assert 'name="abbreviation" required maxlength="40" value="NVHĐB"' in page


def test_import_page_shows_row_errors_and_download(area, users, login):
    c = login(users.province)
    bad = csv_bytes([{"Viết tắt": "NVHĐB", "Cách đọc": "khu 3"}], columns=COLS)
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = c.post("/radio/abbreviations/", {"action": "import", "place": area.b.code,
                                        "file": SimpleUploadedFile("v.csv", bad)})
    page = r.content.decode()
    assert r.status_code == 200 and "Cách đọc" in page and "chữ số" in page and "1 lỗi" in page
    good = csv_bytes([{"Viết tắt": "NVHĐB", "Cách đọc": "khu ba"}], columns=COLS)
    r = c.post("/radio/abbreviations/", {"action": "import", "place": area.b.code,
                                        "file": SimpleUploadedFile("v.csv", good)})
    assert r.status_code == 302 and abbr.for_place(area.b) == {"NVHĐB": "khu ba"}
    r = c.get(f"/radio/abbreviations/file.xlsx?place={area.b.code}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert login(users.commune_a).get(f"/radio/abbreviations/file.xlsx?place={area.b.code}").status_code == 403


# --- the explaining preview ------------------------------------------------------------------------------------

TEXT = "UBND xã họp lúc 7h30 ngày 28/11/2026 tại NVHĐB Đồng Bụt."


def _json(c, text=TEXT, **extra):
    r = c.post("/radio/preview.json", {"text": text, "voice": "north", **extra})
    assert r.status_code == 200, r.content
    return r.json()


def test_preview_json_explains_every_changed_span_and_flags_unknown_capitals(area, users, login):
    d = _json(login(users.radio))
    changed = [s for s in d["segments"] if "rule" in s]
    assert [(s["source"], s["rule"]) for s in changed] == [("UBND", "abbreviation"), ("7h30", "time"),
                                                            ("28/11/2026", "date"), ("NVHĐB", "unknown_acronym")]
    assert changed[1]["text"] == "bảy giờ ba mươi" and changed[1]["label"] == "giờ, phút, giây"
    assert [s["unknown"] for s in changed] == [False, False, False, True]
    assert d["changed"] == 4 and d["unknown"] == 1
    assert "1 từ viết hoa chưa biết" in d["summary"] and "4 chỗ" in d["summary"]
    # kept text and readings join into exactly what the speech engine is given
    assert "".join(s["text"] for s in d["segments"]) == d["spoken"] == services.preview(TEXT, place=area.a)
    for s in changed:
        assert TEXT[s["start"]:s["end"]] == s["source"]


def test_a_local_abbreviation_changes_the_preview_at_once(area, users, login):
    c = login(users.commune_a)
    assert [s for s in _json(c)["segments"] if s.get("source") == "NVHĐB"][0]["rule"] == "unknown_acronym"
    abbr.add(area.a, users.commune_a, "NVHĐB", "nhà văn hóa", "nhà văn hóa mới")
    d = _json(c)
    seg = [s for s in d["segments"] if s.get("source") == "NVHĐB"][0]
    assert (seg["rule"], seg["text"], seg["unknown"]) == ("local_abbreviation", "nhà văn hóa", False)
    assert seg["label"] == "viết tắt địa phương" and d["unknown"] == 0
    assert seg["note"] == "Xã Ngọc Thiện: nhà văn hóa mới"  # whose list, and its note
    assert "tại nhà văn hóa Đồng Bụt" in d["spoken"]
    # commune B's bulletin does not read commune A's list
    other = _json(login(users.province), place=area.b.code)
    assert "nhà văn hóa" not in other["spoken"] and other["unknown"] == 1


def test_preview_json_scoping_method_and_permission(area, users, login):
    assert login(users.commune_a).post("/radio/preview.json", {"text": "x", "place": area.b.code}).status_code == 403
    assert login(users.radio).get("/radio/preview.json").status_code == 405
    assert login(users.member).post("/radio/preview.json", {"text": "x"}).status_code == 403
    refused = login(users.radio).post("/radio/preview.json", {"text": "a\x00b", "voice": "north"})
    assert refused.status_code == 400 and "U+0000" in refused.json()["message"]  # refused at the door, in JSON
    d = _json(login(users.radio), text="Họp lúc 7h.")
    long = _json(login(users.radio), text="Họp lúc 7h. " + "a " * 10000 + "UBND")
    assert long["truncated"] and "20.000 ký tự đầu" in long["summary"] and "UBND" not in long["spoken"]
    assert not d["truncated"]
    english = login(users.radio)
    english.cookies["django_language"] = "en"
    assert "7h30" in [s.get("source") for s in _json(english)["segments"]]
    assert "unknown capitalised word" in _json(english)["summary"]


def test_editor_and_emergency_form_have_the_preview_without_inline_script(area, users, login):
    import re

    from django.templatetags.static import static

    c = login(users.radio)
    assert re.fullmatch(r"/static/radio/preview\.[0-9a-f]{12}\.js", static("radio/preview.js"))
    for url in ("/radio/bulletins/new/", "/radio/emergency/"):
        page = c.get(url).content.decode()
        assert "data-vt-preview" in page and static("radio/preview.js") in page, url  # its hashed name
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url  # no inline script
        assert not re.search(r"\son[a-z]+=", page), url  # no inline event handler
    assert c.get("/static/radio/preview.js").status_code == 200
    hashed = c.get(static("radio/preview.js"))  # the page's address: kept a year, a new version is a new name
    assert hashed.status_code == 200 and "immutable" in hashed["Cache-Control"]


def test_bulletin_speech_uses_the_local_abbreviations(area, users, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    abbr.add(area.province, users.province, "NVHĐB", "nhà văn hóa")
    b = services.create_bulletin(title="Họp", text="Họp NVHĐB Đồng Bụt lúc 7h30.", category="policy", place=area.a,
                                 author=users.radio)
    job = services.request_render(b, users.radio, background=False)
    assert job.status == "done", job.error
    b.refresh_from_db()
    assert b.audio_status == Bulletin.Audio.READY
    assert b.spoken_text == "Họp nhà văn hóa Đồng Bụt lúc bảy giờ ba mươi."
    with wave.open(str(tmp_path / b.audio_path)) as w:
        assert w.getnframes() / w.getframerate() > 1.0


def test_cli_lists_adds_and_imports_local_abbreviations(area, users, tmp_path, capsys):
    from ngoso.cli import main

    u = ["radio", "--user", users.commune_a.username]
    assert main(u + ["abbreviation-add", area.a.code, "NVHĐB", "nhà văn hóa", "--note", "thôn"]) == 0
    assert main(u + ["abbreviation-add", area.a.code, "NVHĐB", "khu đô thị"]) == 2  # duplicate
    assert main(u + ["abbreviation-add", area.b.code, "NVHĐB", "khu đô thị"]) == 2  # not their commune
    f = tmp_path / "v.csv"
    f.write_bytes(csv_bytes([{"Viết tắt": "BQL", "Cách đọc": ""}], columns=COLS))
    capsys.readouterr()
    assert main(u + ["abbreviation-import", area.a.code, str(f)]) == 2
    err = capsys.readouterr().err.splitlines()  # the count, then each row's error, in one language per block
    assert err[0] == "Lỗi: 1 lỗi, chưa nhập dữ liệu nào:" and err[1].startswith("  v.csv, dòng 2, cột «Cách đọc»: ")
    assert err[2] == "Error: 1 error, nothing imported:" and err[3].startswith("  v.csv, row 2, column 'Cách đọc': ")
    assert len(err) == 4 and not any(" / " in line for line in err)
    f.write_bytes(csv_bytes([{"Viết tắt": "BQL", "Cách đọc": "ban quản lý"}], columns=COLS))
    assert main(u + ["abbreviation-import", area.a.code, str(f)]) == 0
    assert capsys.readouterr().out.splitlines() == ["Đã nhập: 1 mới, 0 thay đổi, 0 giữ nguyên.",
                                                    "Imported: 1 new, 0 changed, 0 unchanged."]
    assert main(u + ["abbreviations", area.va1.code]) == 0
    assert capsys.readouterr().out.splitlines() == ["BQL\tban quản lý\tXã Ngọc Thiện\t",
                                                    "NVHĐB\tnhà văn hóa\tXã Ngọc Thiện\tthôn"]


def test_a_copy_sent_down_is_read_again_with_the_communes_own_list(area, users, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    abbr.add(area.a, users.commune_a, "NVHĐB", "nhà văn hóa")
    b = services.create_bulletin(title="Họp", text="Họp NVHĐB lúc 7h.", category="policy", place=area.province,
                                 author=users.province)
    services.render_audio(b)
    assert "nhà văn hóa" not in b.spoken_text  # the province has no such entry: spelled
    a, bb = services.send_down(b, [area.a, area.b], users.province, background=False)
    a.refresh_from_db()
    bb.refresh_from_db()
    assert a.spoken_text == "Họp nhà văn hóa lúc bảy giờ." and a.audio_status == Bulletin.Audio.READY
    assert a.audio_sha256 != b.audio_sha256
    assert (bb.spoken_text, bb.audio_sha256) == (b.spoken_text, b.audio_sha256)  # same list: same audio


def test_api_preview_and_abbreviations(area, users, login):
    import json

    abbr.add(area.province, users.province, "CLB", "câu lạc bộ tỉnh")
    abbr.add(area.a, users.commune_a, "CLB", "câu lạc bộ xã")
    c = login(users.radio)
    r = c.post("/api/v1/radio/preview", json.dumps({"text": "Họp CLB lúc 7h30"}), content_type="application/json")
    assert r.status_code == 200
    assert "câu lạc bộ xã" in r.json()["spoken"]
    assert ("CLB", "local_abbreviation") in [(s.get("source"), s.get("rule")) for s in r.json()["segments"]]
    assert [x["place"] for x in c.get("/api/v1/radio/abbreviations").json()] == [area.province.code, area.a.code]
    r = c.post("/api/v1/radio/preview", json.dumps({"text": "x", "place": area.b.code}),
               content_type="application/json")
    assert r.status_code == 400
    assert c.get(f"/api/v1/radio/abbreviations?place={area.b.code}").status_code == 400
