"""The import pages in real headless Chromium, as the sweep cannot reach them (they need a file): the form, the
errors of a rejected file and the duplicates choice, on a 360 px phone in Vietnamese and a PC in English.
Screenshots go to $NGOSO_SHOTS (default /tmp/shots-import/) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import _log_in, _no_horizontal_scroll
from tests.people.test_import_from_excel import PEOPLE, excel_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("NGOSO_SHOTS", "/tmp/shots-import"))


def _upload(page, base, tmp_path, name: str, data: bytes):
    from ngoso.core import jobs
    from ngoso.core.models import Job

    path = tmp_path / name
    path.write_bytes(data)
    page.goto(f"{base}/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("form.card button.primary")
    page.wait_for_url("**/jobs/**")
    job = Job.objects.filter(kind="import_people").latest("pk")
    if job.status not in ("done", "failed"):
        jobs.run_now(job)  # as a worker runs it
    page.reload()
    return job


def test_import_pages_on_a_phone_and_a_pc(live_server, people, users, browser, tmp_path, settings, monkeypatch):
    import tests.people.test_import_from_excel as excel

    users.commune_a.set_password("test-password-123")
    users.commune_a.save()
    # a list with one bad cell (row 9) and one with a person already recorded (Nguyễn Thị Lý, 1978, in H1)
    bad = excel_workbook()
    from openpyxl import load_workbook
    import io

    wb = load_workbook(io.BytesIO(bad))
    wb.worksheets[0]["F9"] = "năm 75"
    buf = io.BytesIO()
    wb.save(buf)
    bad = buf.getvalue()
    good = {}
    for lang, prefix in (("vi", "V"), ("en", "E")):  # new households each time: a file of new people
        monkeypatch.setattr(excel, "PEOPLE", [(prefix + p[0], p[1] if lang == "vi" else "Lê " + p[1].split(" ", 1)[1],
                                               p[2], p[3] - 7 * (lang == "en"), *p[4:]) for p in PEOPLE])
        good[lang] = excel_workbook()
    monkeypatch.setattr(excel, "PEOPLE", [("D1", "Nguyễn Thị Lý", "Nữ", 1978, "Kinh", "Chủ hộ", "", "", "")] + PEOPLE[2:])
    dup = excel_workbook()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for lang, (w, h) in (("vi", (360, 740)), ("en", (1366, 768))):
        context = browser.new_context(viewport={"width": w, "height": h})
        context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        page = context.new_page()
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        _log_in(page, live_server.url, users.commune_a.username)
        page.goto(f"{live_server.url}/import/")
        assert _no_horizontal_scroll(page), lang
        page.screenshot(path=str(SHOTS / f"import-form-{w}-{lang}.png"), full_page=True)

        _upload(page, live_server.url, tmp_path, "danh-sach-loi.xlsx", bad)
        assert not page.inner_text("#job-state").strip().endswith("·")  # no separator left hanging
        table = page.inner_text("table")
        assert "DS thôn Đồng Bụt" in table and "9" in table and "Năm sinh" in table, table
        assert ("«năm 75» không phải là số nguyên" if lang == "vi" else "'năm 75' is not a whole number") in table
        assert _no_horizontal_scroll(page), lang
        page.screenshot(path=str(SHOTS / f"import-errors-{w}-{lang}.png"), full_page=True)

        _upload(page, live_server.url, tmp_path, f"danh-sach-{lang}.xlsx", good[lang])
        state = page.inner_text("#job-state")  # once done, the step's message ("Xong / finished") goes:
        assert ("finished" not in state) if lang == "vi" else ("Xong" not in state), state  # the other language
        assert page.locator(".msg.success").count() == 1
        page.screenshot(path=str(SHOTS / f"import-done-{w}-{lang}.png"), full_page=True)

        _upload(page, live_server.url, tmp_path, "danh-sach-trung.xlsx", dup)
        page.wait_for_selector("fieldset.dup-pair")
        assert _no_horizontal_scroll(page), lang
        # the evidence ("93 % · same name …") reads under the person, not squeezed into a column of its own
        for label in page.locator("fieldset.dup-pair label.check:has(small)").all():
            small, whole = label.locator("small").bounding_box(), label.bounding_box()
            assert small["width"] >= 0.5 * (whole["width"] - 40) or small["height"] <= 24, (lang, small, whole)
        page.screenshot(path=str(SHOTS / f"import-duplicates-{w}-{lang}.png"), full_page=True)
        assert not problems, problems
        context.close()
