"""Lessons: the library for every skill and audience, versioned editing, translations, audio, PDF handouts
with QR codes, self-checks that record skill events, and the lessons the field app keeps offline."""

from __future__ import annotations

import datetime
import io
import json
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied

from ngoso.accounts.models import AuditEntry
from ngoso.lessons import content as C
from ngoso.lessons import services as L
from ngoso.lessons.models import LessonVersion, SelfCheck
from ngoso.people.io import ImportFailed
from ngoso.skills.models import Level, Skill
from ngoso.insights import counters
from ngoso.visits import services as visits
from ngoso.visits.models import ResidentSkill, SkillRecord
from tests.helpers import xlsx_bytes
from tests.visits.test_visits import team  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def _pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _qr_codes(pdf: bytes) -> list[str]:
    """Every distinct QR code in the PDF's images, decoded, in order (pages may share one image object)."""
    import zxingcpp
    from pypdf import PdfReader

    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for img in page.images:
            for code in zxingcpp.read_barcodes(img.image.convert("L")):
                if code.text not in out:
                    out.append(code.text)
    return out


@pytest.fixture
def made(client, django_capture_on_commit_callbacks, monkeypatch, settings, tmp_path):
    """Ask for a file the queue makes (a handout, a recording): the first request answers 202 at once, without
    rendering (the renderer is not called inside it), and queues one job; the job renders it (run here on the
    commit, the queue's immediate mode); the same address then serves it. Returns that second response."""
    from ngoso.lessons import services as services_mod

    settings.DATA_DIR = tmp_path  # an empty cache
    def get(url, **kw):
        calls = []
        real_pdf, real_speech = services_mod.html_to_pdf, services_mod.synthesize
        monkeypatch.setattr(services_mod, "html_to_pdf", lambda *a, **k: calls.append("pdf") or real_pdf(*a, **k))
        monkeypatch.setattr(services_mod, "synthesize", lambda *a, **k: calls.append("speech") or real_speech(*a, **k))
        with django_capture_on_commit_callbacks() as queued:
            first = client.get(url, **kw)
            assert first.status_code == 202, (url, first.status_code)
            assert first["Retry-After"] and calls == []  # answered at once: nothing rendered in the request
            again = client.get(url, **kw)  # asked again before it is made: the same job, not a second one
            assert again.status_code == 202
        assert len(queued) == 1  # one job queued
        run_queued()
        assert calls  # the job rendered
        return client.get(url, **kw)

    return get


def run_queued():
    """Run the jobs the test's requests queued, as a worker does (``core.jobs.execute``: claim, run, record)."""
    from ngoso.core import jobs
    from ngoso.core.models import Job

    for job in Job.objects.filter(status="queued").order_by("pk"):
        jobs.run_now(job)


def _all_right(skill, language="vi", audience="standard"):
    return [q["answer"] for q in L.answer_key(skill, language, audience)["check"]]


# --- the library ---------------------------------------------------------------------------------------------

def test_every_skill_has_a_lesson_in_every_required_language_and_audience():
    codes = set(Skill.objects.filter(catalogue__is_current=True).values_list("code", flat=True))
    assert len(codes) >= 30
    assert L.missing_variants() == []
    for code in codes:
        for lang in C.REQUIRED_LANGUAGES:
            std, old = L.current(code, lang, "standard").content, L.current(code, lang, "elderly").content
            for v in (std, old):
                assert C.validate(v) == v  # whole and clean: title, purpose, steps, mistakes, safety, check
                assert v["steps"] and v["safety"] and v["mistakes"] and v["check"]
            # the older readers' variant has fewer words
            words = lambda c: sum(len(t.split()) for _, t in C.pieces(c))  # noqa: E731
            assert words(old) < words(std), (code, lang)


def test_loading_is_idempotent_and_a_shipped_update_never_overrides_staff(users, monkeypatch, tmp_path):
    assert L.load_package_lessons() == 0
    n = LessonVersion.objects.count()
    L.edit(users.province, "video-calls", "vi", "standard",
           {**L.current("video-calls").content, "title": "Gọi video cho con cháu"}, "tên gần gũi hơn")
    # a newer package version of two lessons: the edited one keeps the staff text, the other moves on
    src = C.DATA / "lessons"
    for f in src.glob("*.json"):
        shutil.copy(f, tmp_path / f.name)
    for name in ("video-calls.json", "qr-payment.json"):
        d = json.loads((tmp_path / name).read_text())
        d["version"] += 1
        d["vi"]["standard"]["title"] += " (mới)"
        (tmp_path / name).write_text(json.dumps(d, ensure_ascii=False))
    monkeypatch.setattr(L, "package_files", lambda: sorted(tmp_path.glob("*.json")))
    added = L.load_package_lessons()
    assert L.current("video-calls").content["title"] == "Gọi video cho con cháu"
    assert L.current("qr-payment").content["title"].endswith("(mới)")
    assert L.current("qr-payment").number == 2
    assert added == 7  # qr-payment's four variants, video-calls' three not edited by staff
    assert LessonVersion.objects.count() == n + 1 + added


# --- editing with versions ----------------------------------------------------------------------------------

def test_edit_adds_a_version_and_bad_content_writes_nothing(users):
    cur = L.current("scan-qr-code", "vi", "elderly")
    form = L.to_form(cur.content)
    assert L.from_form(form) == cur.content  # the plain-text form round-trips
    form["steps"] += "\nBác cất điện thoại vào túi."
    new = L.edit(users.province, "scan-qr-code", "vi", "elderly", L.from_form(form), "thêm bước cuối")
    assert new.number == cur.number + 1 and new.author == users.province and new.source == "edit"
    assert L.show("scan-qr-code", "vi", "elderly").pieces["steps"][-1]["text"] == "Bác cất điện thoại vào túi."
    # the same content again: no new version
    assert L.edit(users.province, "scan-qr-code", "vi", "elderly", new.content).pk == new.pk
    # broken content: every fault listed, nothing written
    before = LessonVersion.objects.count()
    with pytest.raises(C.ContentError) as e:
        L.from_form({**form, "title": "  ", "steps": "", "check": "? Câu hỏi\n- a\n- b"})
    paths = [p for p, _, _ in e.value.problems]
    assert "title" in paths and "steps" in paths and "check.1" in paths
    with pytest.raises(C.ContentError):
        L.edit(users.province, "scan-qr-code", "vi", "elderly", {"title": "x", "steps": []})
    assert LessonVersion.objects.count() == before
    # only province staff edit lessons
    for u in (users.member, users.commune_a, users.viewer):
        with pytest.raises(PermissionDenied):
            L.edit(u, "scan-qr-code", "vi", "elderly", new.content)
    # history and restore: the old text comes back as a newer version
    back = L.restore(users.province, cur)
    assert back.number == new.number + 1 and back.content == cur.content


def test_edit_page_shows_errors_and_saves(client, users):
    client.force_login(users.province)
    url = "/lessons/phone-security/edit/?a=standard&l=vi"
    page = client.get(url)
    assert page.status_code == 200
    form = dict(page.context["form"])
    bad = client.post(url, {**form, "check": "? Mật khẩu nên thế nào?\n- 123456\n- ngày sinh"})
    assert bad.status_code == 200 and "chưa đánh dấu đáp án đúng" in bad.content.decode()
    assert L.current("phone-security").number == 1
    ok = client.post(url, {**form, "purpose": form["purpose"] + " Rất quan trọng.", "note": "nhấn mạnh"})
    assert ok.status_code == 302
    assert L.current("phone-security").content["purpose"].endswith("Rất quan trọng.")
    hist = client.get("/lessons/phone-security/history/?a=standard&l=vi")
    assert "nhấn mạnh" in hist.content.decode()
    client.force_login(users.member)
    assert client.get(url).status_code == 403


def test_history_names_each_piece_in_words_not_its_key(client, users):
    """Before: a version's pieces were listed by their keys ("title", "purpose", "you_need.1", "check.2.options.1"),
    as province staff saw on the commune demo."""
    import re

    from ngoso.lessons import content as C

    assert C.piece_label("steps.3") == "Các bước 3" and C.piece_label("steps.3", "en") == "Steps 3"
    assert C.piece_label("check.2.options.1") == "Tự kiểm tra 2 · lựa chọn 1"
    assert C.piece_label("check.2.q", "en") == "Self-check 2 · question"
    client.force_login(users.province)
    html = client.get("/lessons/phone-security/history/?a=standard&l=vi").content.decode()
    assert "<dt>Tên bài</dt>" in html and "<dt>Để làm gì</dt>" in html and "<dt>Các bước 1</dt>" in html
    assert not re.search(r"<dt>[a-z_]+(\.\d+)*(\.[a-z]+)*(\.\d+)?</dt>", html), "a raw key"
    client.cookies["django_language"] = "en"
    html = client.get("/lessons/phone-security/history/?a=standard&l=vi").content.decode()
    assert "<dt>Title</dt>" in html and "<dt>Steps 1</dt>" in html


# --- audiences and languages ----------------------------------------------------------------------------------

def test_the_variant_follows_the_residents_profile(people, users):
    assert L.audience_for(people.r2, 2026) == "elderly"     # born 1950
    assert L.audience_for(people.r1, 2026) == "standard"    # born 1978
    assert L.language_for(people.r3) == "vi"                # Tày, but no Tày lessons imported yet
    _import_tay(users.province, {("smartphone-basics", "standard", "title"): "Slử điện thoại"})
    assert L.language_for(people.r3) == "tay"
    assert L.language_for(people.r1) == "vi"


def _import_tay(user, rows: dict):
    data = []
    for (skill, aud, path), text in rows.items():
        data.append({"Mã kỹ năng": skill, "Đối tượng": aud, "Vị trí": path, "Tiếng Việt": "", "Bản dịch": text})
    return L.import_translations(xlsx_bytes(data, sheet="Bản dịch",
                                            columns=["Mã kỹ năng", "Đối tượng", "Vị trí", "Tiếng Việt", "Bản dịch"]),
                                 "tay.xlsx", user, "tay")


def test_translation_template_round_trip_and_fallback(users, client):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(L.translation_template("tay")))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == ("Mã kỹ năng", "Đối tượng", "Vị trí", "Tiếng Việt", "Bản dịch")
    vi = L.current("zalo-messaging", "vi", "elderly").content
    mine = [r for r in rows[1:] if r[0] == "zalo-messaging" and r[1] == "elderly"]
    assert [r[2] for r in mine] == [p for p, _ in C.pieces(vi)] and mine[0][3] == vi["title"]
    # translate the title and the first step, the rest stays empty
    ws = wb.active
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "zalo-messaging" and row[1].value == "elderly" and row[2].value in ("title", "steps.1"):
            row[4].value = "Nhắn tin Zalo (tiếng Tày)" if row[2].value == "title" else "Bước một bằng tiếng Tày"
    buf = io.BytesIO()
    wb.save(buf)
    res = L.import_translations(buf.getvalue(), "tay.xlsx", users.province, "tay")
    assert (res.lessons, res.pieces) == (1, 2)
    shown = L.show("zalo-messaging", "tay", "elderly")
    assert shown.is_translation and shown.title == "Nhắn tin Zalo (tiếng Tày)"
    assert shown.pieces["steps"][0] == {"text": "Bước một bằng tiếng Tày", "vi": vi["steps"][0], "missing": False}
    assert shown.pieces["steps"][1] == {"text": vi["steps"][1], "vi": vi["steps"][1], "missing": True}
    assert 0 < shown.translated_share < 0.2
    page = client.get("/lessons/zalo-messaging/?a=elderly&l=tay&all=1").content.decode()
    assert "Bước một bằng tiếng Tày" in page and vi["steps"][1] in page
    # an empty cell keeps what was there; a second import of another line adds to it
    _import_tay(users.province, {("zalo-messaging", "elderly", "steps.2"): "Bước hai"})
    s = L.show("zalo-messaging", "tay", "elderly")
    assert s.title == "Nhắn tin Zalo (tiếng Tày)" and s.pieces["steps"][1]["text"] == "Bước hai"
    # the Vietnamese changes: the translation says it is behind
    L.edit(users.province, "zalo-messaging", "vi", "elderly", {**vi, "purpose": vi["purpose"] + " Miễn phí."})
    assert L.show("zalo-messaging", "tay", "elderly").stale


def test_bad_translation_rows_are_all_reported_and_nothing_is_written(users):
    before = LessonVersion.objects.count()
    data = xlsx_bytes([
        {"Mã kỹ năng": "smartphone-basics", "Đối tượng": "standard", "Vị trí": "title", "Bản dịch": "Được"},
        {"Mã kỹ năng": "no-such-skill", "Đối tượng": "standard", "Vị trí": "title", "Bản dịch": "x"},
        {"Mã kỹ năng": "smartphone-basics", "Đối tượng": "children", "Vị trí": "title", "Bản dịch": "x"},
        {"Mã kỹ năng": "smartphone-basics", "Đối tượng": "standard", "Vị trí": "steps.99", "Bản dịch": "x"},
        {"Mã kỹ năng": "smartphone-basics", "Đối tượng": "standard", "Vị trí": "title", "Bản dịch": "lại"},
    ], sheet="Bản dịch", columns=["Mã kỹ năng", "Đối tượng", "Vị trí", "Bản dịch"])
    with pytest.raises(ImportFailed) as e:
        L.import_translations(data, "tay.xlsx", users.province, "tay")
    rows = sorted((x.row, x.column) for x in e.value.errors)
    assert rows == [(3, "Mã kỹ năng"), (4, "Đối tượng"), (5, "Vị trí"), (6, "Vị trí")]
    assert "steps.99" in str(e.value.errors[2]) or any("steps.99" in str(x) for x in e.value.errors)
    assert LessonVersion.objects.count() == before
    with pytest.raises(ImportFailed):
        L.import_translations(b"not a spreadsheet", "x.xlsx", users.province, "tay")
    with pytest.raises(L.LessonError):
        L.import_translations(data, "x.xlsx", users.province, "en")  # English ships with the package
    with pytest.raises(PermissionDenied):
        L.import_translations(data, "x.xlsx", users.commune_a, "tay")


def test_the_cli_says_a_rejected_translation_file_row_by_row_in_each_language(users, tmp_path, capsys):
    """`ngoso lessons import-translations` says a rejected file as the web page and the other imports do: the
    count, then each row's place and error, the Vietnamese lines then the English ones (one rule:
    cli.import_failed); nothing is written."""
    from ngoso.cli import main

    before = LessonVersion.objects.count()
    f = tmp_path / "tay.xlsx"
    f.write_bytes(xlsx_bytes([
        {"Mã kỹ năng": "no-such-skill", "Đối tượng": "standard", "Vị trí": "title", "Bản dịch": "x"},
        {"Mã kỹ năng": "smartphone-basics", "Đối tượng": "children", "Vị trí": "title", "Bản dịch": "x"},
    ], sheet="Bản dịch", columns=["Mã kỹ năng", "Đối tượng", "Vị trí", "Bản dịch"]))
    capsys.readouterr()
    assert main(["lessons", "import-translations", "tay", str(f), "--user", users.province.username]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Lỗi: 2 lỗi, chưa nhập dữ liệu nào:", err
    assert err[1].startswith("  Bản dịch, dòng 2, cột «Mã kỹ năng»: ") and err[2].startswith("  Bản dịch, dòng 3, ")
    assert err[3] == "Error: 2 errors, nothing imported:", err
    assert err[4].startswith("  Bản dịch, row 2, column 'Mã kỹ năng': ") and err[5].startswith("  Bản dịch, row 3, ")
    assert len(err) == 6 and not any(" / " in line for line in err)
    assert LessonVersion.objects.count() == before


# --- read aloud ------------------------------------------------------------------------------------------------

def test_lesson_and_step_are_read_aloud_and_cached(settings, tmp_path, client):
    from ngoso.core import files

    settings.DATA_DIR = tmp_path
    name = L.audio_file("bank-app", "elderly", "all")
    path = files.root("cache") / name  # the default storage "cache": DATA_DIR/cache, as before
    assert path == tmp_path / "cache" / "lesson-audio" / f"{path.stem}.ogg"
    soxi = shutil.which("soxi")
    duration = float(subprocess.run([soxi, "-D", str(path)], capture_output=True, text=True, check=True).stdout)
    assert duration > 20  # a whole lesson read slowly
    assert path.read_bytes()[:4] == b"OggS"
    mtime = path.stat().st_mtime_ns
    assert L.audio_file("bank-app", "elderly", "all") == name and path.stat().st_mtime_ns == mtime  # cached
    step = files.root("cache") / L.audio_file("bank-app", "elderly", "2")
    assert step != path and 1 < float(subprocess.run([soxi, "-D", str(step)], capture_output=True, text=True,
                                                     check=True).stdout) < duration
    text = C.spoken_text(L.current("bank-app", "vi", "elderly").content, "2")
    assert text.startswith("Bước 2.")
    r = client.get("/lessons/bank-app/audio/elderly/2.ogg")
    assert r.status_code == 200 and r["Content-Type"] == "audio/ogg" and "max-age" in r["Cache-Control"]
    assert client.get("/lessons/bank-app/audio/elderly/99.ogg").status_code == 404
    assert client.get("/lessons/bank-app/audio/nobody/1.ogg").status_code == 404


def test_lesson_audio_not_yet_made_is_queued_and_the_request_answers_at_once(made, client):
    """Before: the first listener of a step waited while espeak read it inside the web worker."""
    r = made("/lessons/maps-directions/audio/standard/1.ogg")
    assert r.status_code == 200 and r["Content-Type"] == "audio/ogg"
    assert b"".join(r.streaming_content)[:4] == b"OggS"
    # a bad address is still told at once, nothing queued
    from ngoso.core.models import Job

    assert client.get("/lessons/maps-directions/audio/standard/99.ogg").status_code == 404
    assert client.get("/lessons/maps-directions/audio/standard/1.ogg?voice=robot").status_code == 404
    assert Job.objects.filter(kind="lesson_audio").count() == 1


def test_the_preparing_page_says_so_in_both_languages(client, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.DATA_DIR = tmp_path
    with django_capture_on_commit_callbacks():
        vi = client.get("/lessons/online-shopping/handout.pdf").content.decode()
        client.cookies["django_language"] = "en"
        en = client.get("/lessons/online-shopping/handout.pdf?l=en").content.decode()
    assert "Phiếu đang được chuẩn bị" in vi and 'id="preparing"' in vi
    assert "The handout is being prepared" in en


def test_two_requests_making_the_same_audio_at_once_leave_one_good_file(settings, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from ngoso.core import files

    settings.DATA_DIR = tmp_path
    with ThreadPoolExecutor(4) as pool:
        names = list(pool.map(lambda _: L.audio_file("maps-directions", "standard", "1"), range(4)))
    paths = [files.root("cache") / n for n in names]
    assert len(set(paths)) == 1 and paths[0].read_bytes()[:4] == b"OggS"
    assert [p.name for p in paths[0].parent.iterdir()] == [paths[0].name]  # no half-written leftovers


# --- handouts ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size,audience", [("A5", "elderly"), ("A4", "standard")])
def test_handout_pdf_keeps_vietnamese_diacritics_and_its_qr_opens_the_lesson(client, made, size, audience):
    from pypdf import PdfReader

    r = made(f"/lessons/online-shopping/handout.pdf?a={audience}&size={size}")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = r.content
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    w, h = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(w), round(h)) == ((420, 595) if size == "A5" else (595, 842))
    text = _pdf_text(pdf)
    c = L.current("online-shopping", "vi", audience).content
    flat = " ".join(text.split())
    for expected in (c["title"], "Các bước", "Giữ an toàn", c["steps"][0][:40]):
        assert " ".join(expected.split()) in flat, expected
    codes = _qr_codes(pdf)
    assert codes == [f"http://testserver/lessons/online-shopping/?a={audience}"]
    opened = client.get(codes[0].replace("http://testserver", ""))
    assert opened.status_code == 200 and c["title"] in opened.content.decode()
    # printed once, then kept: the same bytes again; an edited lesson prints anew
    assert client.get(f"/lessons/online-shopping/handout.pdf?a={audience}&size={size}").content == pdf


def test_an_english_handout_has_english_headings(client, made):
    """Found printing the commune demo's handouts: the English handout's headings ("Cần chuẩn bị", "Các bước"),
    the QR caption and the footer were Vietnamese."""
    client.cookies["django_language"] = "en"
    pdf = made("/lessons/online-shopping/handout.pdf?l=en").content
    flat = " ".join(_pdf_text(pdf).split())
    c = L.current("online-shopping", "en").content
    for expected in (c["title"], "You need", "Steps", "Staying safe", "Scan the code", "Community digital technology team"):
        assert expected in flat, (expected, flat[:500])
    for vietnamese in ("Cần chuẩn bị", "Các bước", "Giữ an toàn", "Lỗi hay gặp", "Quét mã", "Tổ công nghệ số"):
        assert vietnamese not in flat, vietnamese
    vi = " ".join(_pdf_text(made("/lessons/online-shopping/handout.pdf?l=vi").content).split())
    assert "Các bước" in vi and "Quét mã để xem bài" in vi and "Steps" not in vi


def test_an_edited_lesson_prints_its_new_text(client, made, users):
    first = made("/lessons/online-shopping/handout.pdf?a=standard").content
    c = L.current("online-shopping").content
    L.edit(users.province, "online-shopping", "vi", "standard", {**c, "title": "Mua hàng qua mạng an toàn"})
    again = made("/lessons/online-shopping/handout.pdf?a=standard").content
    assert again != first and "Mua hàng qua mạng an toàn" in _pdf_text(again)


def test_handout_qr_uses_the_public_address_not_the_office_network(client, made, monkeypatch):
    monkeypatch.setenv("NGOSO_PUBLIC_URL", "https://ngoso.bacninh.example")
    pdf = made("/lessons/scan-qr-code/handout.pdf", HTTP_HOST="127.0.0.1").content
    assert _qr_codes(pdf) == ["https://ngoso.bacninh.example/lessons/scan-qr-code/?a=standard"]


def test_translations_survive_a_change_in_the_vietnamese_lessons_shape(users):
    vi = L.current("web-search", "vi", "standard").content
    _import_tay(users.province, {("web-search", "standard", "title"): "Tìm trên mạng (Tày)",
                                 ("web-search", "standard", "steps.1"): "Bước đầu (Tày)"})
    # the Vietnamese gets a new first step: every step moves down one
    L.edit(users.province, "web-search", "vi", "standard", {**vi, "steps": ["Mở điện thoại."] + vi["steps"]})
    _import_tay(users.province, {("web-search", "standard", "purpose"): "Để làm gì (Tày)"})
    t = L.show("web-search", "tay", "standard")
    assert t.title == "Tìm trên mạng (Tày)" and t.pieces["purpose"]["text"] == "Để làm gì (Tày)"
    assert t.pieces["steps"][0]["missing"] and t.pieces["steps"][1]["text"] == "Bước đầu (Tày)"


def test_bad_handout_requests_get_clear_errors(client):
    assert client.get("/lessons/online-shopping/handout.pdf?size=Letter").status_code == 400
    assert client.get("/lessons/no-such-skill/").status_code == 404
    assert "no-such-skill" in client.get("/lessons/no-such-skill/").content.decode()


def test_tomorrows_batch_prints_each_households_next_lessons_with_personal_codes(people, users, team, client,
                                                                               django_capture_on_commit_callbacks,
                                                                               monkeypatch, settings, tmp_path):
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    visits.assign(users.leader, [people.h1], team.member)
    batch = L.tomorrow_batch(users.member, day=tomorrow, base_url="http://testserver")
    assert batch.households == 1 and batch.lessons == 2  # two residents, each at their first ready skill
    text = " ".join(_pdf_text(batch.pdf).split())
    # paper left at the door names the person by given name and the house by its number, nothing more
    assert "Bài cho: Bình" in text and "Bài cho: Lý" in text and "Nhà số 12" in text
    for private in ("Trần Văn Bình", "Nguyễn Thị Lý", "H1", "ngõ 3", "0912345678", "t="):
        assert private not in text, private
    codes = _qr_codes(batch.pdf)
    assert len(codes) == batch.lessons
    # each code is the resident's lesson in their audience, with an opaque personal code for the self-check
    elderly = [u for u in codes if "a=elderly" in u]
    assert elderly, codes
    q = parse_qs(urlsplit(elderly[0]).query)
    token = q["t"][0]
    assert len(token) == 12 and str(people.r2.uuid) not in token
    assert L.read_token(token, urlsplit(elderly[0]).path.split("/")[2]).resident == people.r2
    # printing again reuses the residents' codes
    again = L.tomorrow_batch(users.member, day=tomorrow, base_url="http://testserver")
    assert set(_qr_codes(again.pdf)) == set(codes)
    assert AuditEntry.objects.filter(action="export", model="lessons.Handout").count() == 2  # each print
    # through the web: the member's own list only, printed by the queue (a request never renders the PDF): the
    # job page with its progress bar, then the download, audited like every print
    from ngoso.core.models import Job

    settings.EXPORT_ROOT = tmp_path
    client.force_login(users.member)
    rendered = []
    monkeypatch.setattr(L, "html_to_pdf", lambda *a, _real=L.html_to_pdf, **k: rendered.append(1) or _real(*a, **k))
    with django_capture_on_commit_callbacks() as queued:
        r = client.get(f"/lessons/print/?day={tomorrow.isoformat()}")
        assert r.status_code == 302 and rendered == []
    job = Job.objects.get(kind="lesson_batch")
    assert r.url == f"/jobs/{job.token}/" and len(queued) == 1
    assert "progress" in client.get(r.url).content.decode()  # the job page's bar while it waits
    run_queued()
    assert rendered == [1]
    job.refresh_from_db()
    assert job.status == "done" and job.result["households"] == 1 and job.result["lessons"] == 2, job.error
    assert job.expires_at is not None and job.place_path == team.member.place.path
    page = client.get(r.url).content.decode()
    assert f"/jobs/{job.token}/download/" in page and "Phiếu bài học" in page
    got = client.get(f"/jobs/{job.token}/download/")
    pdf = b"".join(got.streaming_content)
    assert got.status_code == 200 and set(_qr_codes(pdf)) == set(codes)
    assert AuditEntry.objects.filter(action="export", model="lessons.Handout").count() == 4  # printed, downloaded
    for other in (users.leader, users.commune_a, users.viewer):  # another's print is not theirs to open
        client.force_login(other)
        assert client.get(f"/jobs/{job.token}/download/").status_code == 404
    client.force_login(users.member)
    assert client.get("/lessons/print/?day=31-02-2026").status_code == 400
    client.force_login(users.commune_a)  # not a member: nothing to print, and told so
    r = client.get("/lessons/print/")
    assert r.status_code == 403 and "Chỉ thành viên tổ" in r.content.decode()


# --- self-check ---------------------------------------------------------------------------------------------------

def test_self_check_from_a_handout_records_a_skill_event(people, users, team, client, area):
    visits.assign(users.leader, [people.h1], team.member)
    skill = visits.next_skills(people.r2, 1)[0]
    token = L.handout_link(people.r2, skill.code, users.member).token
    before = counters.counters(area.va1)
    url = f"/lessons/{skill.code}/check/?a=elderly"
    page = client.get(f"/lessons/{skill.code}/?a=elderly&t={token}&step=99")
    assert f'name="t" value="{token}"' in page.content.decode()  # the answers go with the personal code
    answers = _all_right(skill.code, "vi", "elderly")
    wrong = {f"q{i + 1}": (a + 1) % 2 for i, a in enumerate(answers)}
    r = client.post(url, {"t": token, **wrong})
    assert r.status_code == 200
    assert not SkillRecord.objects.filter(resident=people.r2, skill=skill).exists()
    assert SelfCheck.objects.get(resident=people.r2).correct < len(answers)
    r = client.post(url, {"t": token, **{f"q{i + 1}": a for i, a in enumerate(answers)}})
    assert r.status_code == 200
    rec = SkillRecord.objects.get(resident=people.r2, skill=skill)
    assert rec.source == "self_check" and rec.level == Level.WITH_HELP and rec.recorded_by is None
    assert ResidentSkill.objects.get(resident=people.r2, skill=skill).level == Level.WITH_HELP
    assert SelfCheck.objects.filter(resident=people.r2, skill_record=rec).exists()
    assert counters.counters(area.va1) != before  # the village's figures follow, as for a visit
    # passing again at home does not add another event (the level would not rise)
    client.post(url, {"t": token, **{f"q{i + 1}": a for i, a in enumerate(answers)}})
    assert SkillRecord.objects.filter(resident=people.r2, skill=skill).count() == 1
    # a forged or another lesson's code is refused with a clear message
    bad = client.post(url, {"t": token + "x", "q1": 0})
    assert bad.status_code == 400 and "không đúng" in bad.content.decode()
    other = client.post("/lessons/video-calls/check/?a=elderly", {"t": token, "q1": 0})
    assert other.status_code == 400 and "bài học khác" in other.content.decode()
    assert client.post(url, {"t": token}).status_code == 400  # nothing answered
    # switching the lesson to English keeps the personal code
    cover = client.get(f"/lessons/{skill.code}/?a=elderly&t={token}").content.decode()
    assert f"l=en&amp;t={token}" in cover
    # a handout's code allows a few attempts, not endless ones (3 used above)
    for _ in range(2):
        assert client.post(url, {"t": token, **wrong}).status_code == 200
    used = client.post(url, {"t": token, **{f"q{i + 1}": a for i, a in enumerate(answers)}})
    assert used.status_code == 400 and "hết số lần" in used.content.decode()
    assert SelfCheck.objects.filter(resident=people.r2).count() == L.LINK_ATTEMPTS
    # the lesson itself still opens, saying why answers are no longer recorded
    still = client.get(f"/lessons/{skill.code}/?a=elderly&t={token}")
    assert still.status_code == 200 and "hết số lần" in still.content.decode()
    # an expired code is refused with its reason
    old = L.handout_link(people.r1, skill.code, users.member)
    old.expires_on = datetime.date.today() - datetime.timedelta(days=1)
    old.save()
    assert "hết hạn" in client.post(url, {"t": old.token, "q1": 0}).content.decode()


def test_member_assisted_self_check_can_record_alone_but_never_lowers(people, users, team, client):
    skill = Skill.objects.get(code="video-calls", catalogue__is_current=True)
    right = _all_right("video-calls", "vi", "standard")
    res = L.self_check(resident=people.r1, skill_code="video-calls", answers=right, assisted_by=users.member,
                       did_it_alone=True)
    assert res.level_recorded == Level.ALONE
    assert SkillRecord.objects.get(resident=people.r1, skill=skill).member == team.member
    again = L.self_check(link=L.handout_link(people.r1, "video-calls", users.member), skill_code="video-calls", answers=right)
    assert again.level_recorded is None
    assert ResidentSkill.objects.get(resident=people.r1, skill=skill).level == Level.ALONE
    # out of the member's area
    with pytest.raises(PermissionDenied):
        L.self_check(resident=people.r4, skill_code="video-calls", answers=right, assisted_by=users.member)
    client.force_login(users.member)
    r = client.post("/lessons/video-calls/check/?a=standard",
                    {"r": str(people.r4.uuid), **{f"q{i + 1}": a for i, a in enumerate(right)}})
    assert r.status_code == 403
    # English has its own questions: graded by its own answers
    en = _all_right("video-calls", "en", "standard")
    r = client.post("/lessons/video-calls/check/?a=standard&l=en", {f"q{i + 1}": a for i, a in enumerate(en)})
    assert r.status_code == 200 and r.context["correct"] == len(en)


# --- pages ------------------------------------------------------------------------------------------------------

def test_public_pages_standard_and_one_step_per_screen(client):
    lib = client.get("/lessons/")
    assert lib.status_code == 200
    assert L.current("passwords-otp").content["title"] in lib.content.decode()
    std = client.get("/lessons/passwords-otp/").content.decode()
    c = L.current("passwords-otp", "vi", "standard").content
    assert all(s in std for s in (c["steps"][0], c["steps"][-1], c["check"][0]["q"]))
    e = L.current("passwords-otp", "vi", "elderly").content
    cover = client.get("/lessons/passwords-otp/?a=elderly").content.decode()
    assert e["purpose"] in cover and e["steps"][0] not in cover
    one = client.get("/lessons/passwords-otp/?a=elderly&step=2").content.decode()
    assert e["steps"][1] in one and e["steps"][0] not in one and e["steps"][2] not in one
    assert f"Bước 2 / {len(e['steps'])}" in one or f"Bước 2 trên {len(e['steps'])}" in one
    last = client.get(f"/lessons/passwords-otp/?a=elderly&step={len(e['steps']) + 1}").content.decode()
    assert e["check"][0]["q"] in last
    en = client.get("/lessons/passwords-otp/?l=en").content.decode()
    assert L.current("passwords-otp", "en", "standard").content["title"] in en


# --- offline ------------------------------------------------------------------------------------------------------

def test_offline_payload_has_every_lesson_once_and_only_when_changed(people, users):
    p = L.offline_payload(users.member, None)
    keys = {(x["skill"], x["language"], x["audience"]) for x in p["lessons"]}
    n_skills = Skill.objects.filter(catalogue__is_current=True).count()
    assert len(keys) == len(p["lessons"]) == n_skills * 2  # Vietnamese, both audiences
    assert L.offline_payload(users.member, p["version"]) is None
    _import_tay(users.province, {("smartphone-basics", "standard", "title"): "Slử điện thoại"})
    p2 = L.offline_payload(users.commune_a, p["version"])   # commune A has a Tày resident
    assert p2 is not None
    tay = [x for x in p2["lessons"] if x["language"] == "tay"]
    assert len(tay) == 1 and tay[0]["content"]["title"] == "Slử điện thoại"
    assert tay[0]["content"]["steps"] == L.current("smartphone-basics", "vi", "standard").content["steps"]


# --- the command ----------------------------------------------------------------------------------------------

def test_lessons_command(tmp_path):
    from tests.demo.test_demo_cli import _ngoso

    n = Skill.objects.filter(catalogue__is_current=True).count()
    ok = _ngoso(tmp_path, "lessons", "check")
    assert f"{n} kỹ năng, {4 * n}/{4 * n} bài" in ok.stdout
    out = tmp_path / "phieu.pdf"
    _ngoso(tmp_path, "lessons", "handout", "qr-payment", "--audience", "elderly", "--out", str(out))
    assert L.current("qr-payment", "vi", "elderly").content["title"] in " ".join(_pdf_text(out.read_bytes()).split())
    bad = _ngoso(tmp_path, "lessons", "handout", "no-such-skill", "--out", str(tmp_path / "x.pdf"), check=False)
    assert bad.returncode == 2 and "no-such-skill" in bad.stderr and not (tmp_path / "x.pdf").exists()
    sheet = tmp_path / "tay.xlsx"
    _ngoso(tmp_path, "lessons", "translations", "tay", "--out", str(sheet))
    assert sheet.read_bytes()[:2] == b"PK"
