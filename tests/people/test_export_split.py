"""Exports of an area larger than a commune (issue 20, item 5): one XLSX per commune made by child jobs
(core.jobs.fan_out), one ZIP download, the same rows as one export of the whole area, sheets within Excel's
row limit; a failing part is retried, and a part that fails for good fails the export with a clear message."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from ngoso.core import files, jobs
from ngoso.core.models import Job
from ngoso.people import io as pio


def _rows(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _zip(job) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(files.read("exports", job.file))) as z:
        return {n: z.read(n) for n in z.namelist()}


def _single(place, user, tmp_path) -> list[tuple]:
    out = tmp_path / f"single-{place.code}.xlsx"
    pio.export_people(place, user, out)
    return _rows(out.read_bytes())[pio.PEOPLE_SHEET]


def test_a_province_export_is_one_file_per_commune_with_the_rows_of_the_single_export(people, users, area,
                                                                                        tmp_path):
    job = jobs.submit("export_people", {"place": area.province.code, "user_id": users.province.pk},
                      user=users.province, place_path=area.province.path, background=False)
    assert job.status == "done", job.error_detail or job.error
    assert job.file.endswith(".zip") and job.result["communes"] == 2
    parts = _zip(job)
    assert sorted(parts) == ["07210-phuong-bac-giang.xlsx", "07351-xa-ngoc-thien.xlsx"]
    a = _rows(parts["07351-xa-ngoc-thien.xlsx"])[pio.PEOPLE_SHEET]
    b = _rows(parts["07210-phuong-bac-giang.xlsx"])[pio.PEOPLE_SHEET]
    assert a[0] == b[0] == tuple(c.header for c in pio.PEOPLE_COLUMNS)
    assert {r[0] for r in a[1:]} == {"H1", "H2"} and {r[0] for r in b[1:]} == {"H3"}  # each commune its own
    single = _single(area.province, users.province, tmp_path)
    assert sorted(a[1:] + b[1:]) == sorted(single[1:])  # equal in total to the old single export
    assert job.result["rows"] == len(single) - 1 == 4 and job.result["residents"] == 4
    # the per-commune files are inside the ZIP only; each part job is done and names its commune
    kids = jobs.children(job)
    assert [k.params["place"] for k in kids] == ["07210", "07351"] and all(k.status == "done" for k in kids)
    assert all(k.file == "" for k in kids) and list(files.walk("exports", f"parts/{job.token[:12]}")) == []
    # the download: the same rule (the maker or higher staff, the export permission), audited with the totals
    from django.test import Client

    from ngoso.accounts.models import AuditEntry

    c = Client()
    c.force_login(users.commune_a)
    assert c.get(f"/jobs/{job.token}/download/").status_code == 404
    c.force_login(users.province)
    r = c.get(f"/jobs/{job.token}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"
    e = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, changes__has_key="download").latest("pk")
    assert e.changes["rows"] == 4 and e.changes["residents"] == 4 and e.changes["file"] == job.file


def test_a_former_district_is_split_by_its_former_communes(people, users, area, tmp_path):
    job = jobs.submit("export_people", {"place": area.old_district.code, "user_id": users.province.pk},
                      user=users.province, place_path=area.old_district.path, background=False)
    assert job.status == "done", job.error_detail or job.error
    parts = _zip(job)
    assert sorted(parts) == ["old-07342-xa-viet-ngoc.xlsx", "old-07360-xa-ngoc-thien.xlsx"]
    got = [r for data in parts.values() for r in _rows(data)[pio.PEOPLE_SHEET][1:]]
    assert sorted(got) == sorted(_single(area.old_district, users.province, tmp_path)[1:])


def test_a_commune_export_stays_one_xlsx(people, users, area):
    job = jobs.submit("export_people", {"place": area.a.code, "user_id": users.commune_a.pk}, user=users.commune_a,
                      place_path=area.a.path, background=False)
    assert job.status == "done" and job.file.endswith(".xlsx") and jobs.children(job) == []


def test_no_sheet_exceeds_the_row_limit(people, users, area, monkeypatch, tmp_path):
    monkeypatch.setattr(pio, "SHEET_ROWS", 2)  # Excel's 1,048,576, made small: a header and one row per sheet
    out = tmp_path / "x.xlsx"
    stats = {}
    assert pio.export_people(area.province, users.province, out, stats=stats) == 4
    sheets = _rows(out.read_bytes())
    assert list(sheets) == ["Nhân khẩu", "Nhân khẩu (2)", "Nhân khẩu (3)", "Nhân khẩu (4)"] and stats["sheets"] == 4
    assert all(len(rows) <= 2 and rows[0] == tuple(c.header for c in pio.PEOPLE_COLUMNS) for rows in sheets.values())
    monkeypatch.setattr(pio, "SHEET_ROWS", 3)
    job = jobs.submit("export_people", {"place": area.province.code, "user_id": users.province.pk},
                      user=users.province, place_path=area.province.path, background=False)
    a = _rows(_zip(job)["07351-xa-ngoc-thien.xlsx"])  # H1's two residents and H2's one: 3 rows, 2 sheets
    assert [len(rows) for rows in a.values()] == [3, 2]


def _queued(kind):
    return list(Job.objects.filter(kind=kind, status="queued").order_by("pk"))


@pytest.fixture
def queue(settings, monkeypatch, django_capture_on_commit_callbacks):
    """The queue as workers see it: ``jobs.execute`` (claim, lease, retry), without a worker thread; what
    would be put on the queue (after the commit) is collected and run by ``drain``."""
    settings.NGOSO_JOB_RETRY_SECONDS = 0.0
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda pk, kind="", delay=0: queued.append(pk))

    def step(fn, *args, **kw):
        with django_capture_on_commit_callbacks(execute=True):  # the commit's callbacks: what it queues
            return fn(*args, **kw)

    def drain(limit=50):
        ran = 0
        while queued and ran < limit:
            step(jobs.execute, queued.pop(0))
            ran += 1

    return type("Q", (), {"drain": staticmethod(drain), "step": staticmethod(step), "ids": queued})


def test_in_the_queue_the_parent_waits_its_children_run_a_failing_one_is_retried(people, users, area, queue,
                                                                                monkeypatch):
    real = jobs._HANDLERS["export_people_part"]
    tries = []

    def flaky(job, progress):
        tries.append(job.params["place"])
        if job.params["place"] == "07351" and tries.count("07351") == 1:
            raise OSError("disk hiccup")  # unexpected: retried
        return real(job, progress)

    monkeypatch.setitem(jobs._HANDLERS, "export_people_part", flaky)
    parent = queue.step(jobs.submit, "export_people", {"place": area.province.code, "user_id": users.province.pk},
                        user=users.province, place_path=area.province.path)
    assert queue.ids == [parent.pk]
    queue.step(jobs.execute, queue.ids.pop(0))  # the parent: records its children, queues them and waits
    parent.refresh_from_db()
    assert parent.status == "running" and parent.lease_until is None and parent.total == 2 and parent.done == 0
    assert "0/2" in parent.message and len(queue.ids) == 2 and parent.pk not in queue.ids
    jobs.recover()
    assert parent.pk not in queue.ids  # a waiting parent is not taken for an interrupted one
    queue.ids[:] = list(dict.fromkeys(queue.ids))
    queue.step(jobs.execute, queue.ids.pop(0))  # the first child: done; the parent counts it
    parent.refresh_from_db()
    assert parent.status == "running" and parent.done == 1
    assert parent.message == "Đang làm xong 1/2 xã / 1 of 2 communes done"
    queue.drain()
    parent.refresh_from_db()
    assert tries.count("07351") == 2 and parent.status == "done", (parent.error, parent.error_detail)
    assert parent.done == 2 and parent.result["rows"] == 4 and parent.file.endswith(".zip")
    assert parent.attempts == 1  # putting the parts together is not counted as a retry


def test_a_part_that_fails_for_good_fails_the_export_clearly_in_vietnamese(people, users, area, queue, monkeypatch,
                                                                           settings):
    settings.NGOSO_JOB_ATTEMPTS = 2
    real = jobs._HANDLERS["export_people_part"]

    def broken(job, progress):
        if job.params["place"] == "07210":
            raise OSError("no space left on device")
        return real(job, progress)

    monkeypatch.setitem(jobs._HANDLERS, "export_people_part", broken)
    parent = queue.step(jobs.submit, "export_people", {"place": area.province.code, "user_id": users.province.pk},
                        user=users.province, place_path=area.province.path)
    queue.drain()
    parent.refresh_from_db()
    kids = {k.params["place"]: k for k in jobs.children(parent)}
    assert kids["07210"].status == "failed" and kids["07210"].attempts == 2  # retried first
    assert parent.status == "failed" and parent.file == ""
    assert parent.error == ("Không làm xong 1/2 xã: Phường Bắc Giang (đã thử 2 lần). Các xã khác đã xong nhưng chưa "
                            "được ghép lại; hãy chạy lại. / 1 of 2 communes failed: Phường Bắc Giang (tried 2 times). "
                            "The others finished but were not put together; run it again.")
    # the finished part is not left behind
    assert kids["07351"].file == "" and list(files.walk("exports", f"parts/{parent.token[:12]}")) == []
