"""Every file path of the platform against a real S3-compatible server (moto's server mode on a port of our
own): photos, exports, handouts, lesson audio, radio audio, import uploads and the backup's media part land
in the bucket, are served from it after the same checks, and nothing of them is written under the data
directory (core/files.py)."""

from __future__ import annotations

import io
import socket
import tarfile

import pytest

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

from ngoso.core import files  # noqa: E402

BUCKET = "ngoso-test"


def _free_port(lo=18800, hi=18899) -> int:
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18800-18899")


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_server, settings, tmp_path, monkeypatch):
    env = {"NGOSO_STORAGE_URL": f"s3://{BUCKET}/site1", "NGOSO_S3_ENDPOINT_URL": s3_server,
           "NGOSO_S3_REGION": "us-east-1", "NGOSO_S3_ACCESS_KEY": "test", "NGOSO_S3_SECRET_KEY": "test"}
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    data = tmp_path / "data"
    data.mkdir()
    settings.DATA_DIR = data
    settings.MEDIA_ROOT = data / "media"
    settings.EXPORT_ROOT = data / "exports"
    settings.STORAGES = {**settings.STORAGES, **files.s3_storages(env)}

    def keys() -> set[str]:
        return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}

    def local() -> list[str]:
        """Files under the data directory (a SQLite test database lives elsewhere)."""
        return sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.is_file())

    return type("S3", (), {"client": client, "keys": staticmethod(keys), "local": staticmethod(local),
                           "data": data})


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(buf, "JPEG")
    return buf.getvalue()


def test_s3_settings_from_the_environment():
    conf = files.s3_storages({"NGOSO_S3_BUCKET": "b", "NGOSO_S3_PREFIX": "/tinh/"})
    assert set(conf) == set(files.NAMES)
    assert conf["exports"]["OPTIONS"]["location"] == "tinh/exports"
    assert conf["media"]["OPTIONS"]["default_acl"] is None and conf["media"]["OPTIONS"]["querystring_auth"]
    assert files.s3_storages({}) == {}
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        files.s3_storages({"NGOSO_STORAGE_URL": "http://x/y"})


def test_every_file_lands_in_the_bucket_and_is_served_from_it(s3, area, users, people, client,
                                                              django_capture_on_commit_callbacks):
    from ngoso.core import backup, jobs
    from ngoso.lessons import services as lessons
    from ngoso.livelihoods import services as liv
    from ngoso.livelihoods.models import Product
    from ngoso.radio import services as radio

    assert not files.is_local("media") and not files.is_local("exports")

    # a product photo: re-encoded into the bucket, served by the checked view
    producer = liv.create_producer(people.h1, users.member, name="Bánh nhôm", kind="craft", person=people.r1)
    product = Product.objects.create(producer=producer, name="Bánh nhôm nhân đỗ xanh", price=45000, unit="hộp")
    photo = liv.add_product_photo(product, _jpeg(), "banh.jpg", users.member)
    assert f"site1/media/{photo.file}" in s3.keys() and f"site1/media/{photo.thumb}" in s3.keys()
    client.force_login(users.member)
    r = client.get(f"/livelihoods/photos/product/{photo.pk}/l/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:3] == b"\xff\xd8\xff"

    # an export: made by the job into the bucket, downloaded through the view, audited as before
    job = jobs.submit("export_people", {"place": area.a.code, "user_id": users.commune_a.pk}, user=users.commune_a,
                      place_path=area.a.path, background=False)
    assert job.status == "done", job.error_detail
    assert f"site1/exports/{job.file}" in s3.keys()
    client.force_login(users.commune_a)
    r = client.get(f"/jobs/{job.token}/download/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"
    assert r["Cache-Control"] == "no-store, private"

    # an import upload goes through the bucket and is gone when its job has read it
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ngoso.core.models import Job

    r = client.post("/import/", {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n", "text/csv")})
    assert r.status_code == 302
    upload = Job.objects.filter(kind="import_people").latest("pk")
    assert f"site1/uploads/{upload.params['path']}" in s3.keys()
    upload = jobs.run_now(upload)  # the queue runs it once the request's transaction commits
    assert upload.status == "done" and upload.result["ok"] is False  # a file with no known columns
    assert not any(k.startswith("site1/uploads/") for k in s3.keys())

    # a handout PDF and lesson audio: cached in the bucket under their keys
    pdf = lessons.handout_pdf("bank-app", "standard", "vi", "A5", "http://ngoso.test")
    assert pdf[:4] == b"%PDF" and any(k.startswith("site1/cache/handouts/") for k in s3.keys())
    assert lessons.handout_pdf("bank-app", "standard", "vi", "A5", "http://ngoso.test") == pdf  # from the cache
    r = client.get("/lessons/bank-app/audio/standard/1.ogg")
    assert r.status_code == 202  # read aloud by the queue, never inside the request
    jobs.run_now(Job.objects.filter(kind="lesson_audio").latest("pk"))
    r = client.get("/lessons/bank-app/audio/standard/1.ogg")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:4] == b"OggS"
    assert any(k.startswith("site1/cache/lesson-audio/") for k in s3.keys())

    # radio audio: rendered into the bucket, fetched by a speaker cluster and by the page
    b = radio.create_bulletin(title="Tin", text="Xã họp dân lúc 8 giờ sáng mai.", category="policy", place=area.a,
                              author=users.radio)
    b = radio.render_audio(b)
    assert b.audio_path.startswith("radio/audio/") and f"site1/{b.audio_path}" in s3.keys()
    cluster, _ = radio.register_cluster(place=area.va1, code="S3-1", name="Cụm S3")
    token = cluster.issue_token()
    ext = b.audio_path.rsplit(".", 1)[-1]
    r = client.get(f"/radio/device/v1/audio/{b.audio_sha256}.{ext}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200 and b"".join(r.streaming_content) == files.read("radio", b.audio_path[6:])
    client.force_login(users.commune_a)
    assert client.get(f"/radio/bulletins/{b.pk}/audio/").status_code == 200

    # nothing of these was written under the data directory
    assert s3.local() == [], s3.local()

    # the backup takes the photos and the recording from the bucket
    out = backup.make_backup(s3.data.parent / "backups")
    with tarfile.open(out["file"]) as tar:
        names = set(tar.getnames())
        assert f"data/media/{photo.file}" in names and f"data/{b.audio_path}" in names
        assert tar.extractfile(f"data/media/{photo.file}").read() == files.read("media", photo.file)
    backup.verify(out["file"])

    # erasing the photo deletes it from the bucket
    with django_capture_on_commit_callbacks(execute=True):
        liv.delete_photo(photo, users.member)
    assert f"site1/media/{photo.file}" not in s3.keys()


@pytest.mark.django_db(transaction=True)
def test_backups_go_off_the_machine_rotate_there_and_restore_from_their_name(s3, s3_server, people, users, tmp_path):
    """With object storage, ``ngoso backup`` also puts the tar in the bucket (site1/backups/, private), the nightly
    rotation (7 daily, 4 weekly) applies there too, and a fresh machine restores it from its name alone (the
    photos already in the bucket with the same content are left where they are)."""
    import datetime
    import json
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection
    from django.utils import timezone

    from ngoso.core import backup, jobs
    from tests.radio import radio_live as live

    if connection.vendor != "sqlite":
        pytest.skip("restores into a fresh SQLite data directory; the PostgreSQL dump is the same command's other path")
    photo = files.save("media", "test-backup/anh.jpg", _jpeg())
    out = backup.make_backup(tmp_path / "machine1")
    name = Path(out["file"]).name
    key = f"site1/backups/{name}"
    assert out["stored"] == name and key in s3.keys()
    obj = s3.client.get_object(Bucket=BUCKET, Key=key)
    assert obj["Body"].read() == Path(out["file"]).read_bytes() and obj["CacheControl"] == "private"
    grants = s3.client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert not [g for g in grants if "URI" in g["Grantee"]], grants  # no AllUsers / AuthenticatedUsers: private
    assert backup.stored_backups() == [name]

    # rotation in the bucket: 40 nights of older backups, the same rule as on the machine
    today = timezone.localtime()
    older = [f"ngoso-{today - datetime.timedelta(days=d):%Y%m%d}-023000.tar" for d in range(1, 41)]
    for n in older:
        files.save("backups", n, b"an older night")
    local = tmp_path / "same-names"
    local.mkdir()
    for n in [name, *older]:
        (local / n).write_bytes(b"x")
    expected = backup.rotate(local)
    assert len(expected) >= 40 - 10  # at most 6 more days and 4 weeks kept
    assert backup.rotate_stored() == expected
    kept = backup.stored_backups()
    assert set(kept) == {p.name for p in local.iterdir()} and name in kept
    assert {k.rsplit("/", 1)[-1] for k in s3.keys() if k.startswith("site1/backups/")} == set(kept)
    # the nightly backup puts tonight's there and rotates the bucket too
    files.save("backups", f"ngoso-{today - datetime.timedelta(days=90):%Y%m%d}-023000.tar", b"too old")
    nightly = jobs._PERIODIC["backup"]["fn"]()
    assert nightly["stored"] in backup.stored_backups()
    # the older backup of the same day goes (the newest of a day is kept), and the one of 90 days ago
    assert nightly["deleted_stored"] == [name, f"ngoso-{today - datetime.timedelta(days=90):%Y%m%d}-023000.tar"]
    name, out = nightly["stored"], nightly

    # a fresh machine of the province: an empty data directory, the same bucket, the backup's name
    env = {**live.env(tmp_path / "fresh"), "NGOSO_STORAGE_URL": f"s3://{BUCKET}/site1",
           "NGOSO_S3_ENDPOINT_URL": s3_server, "NGOSO_S3_REGION": "us-east-1", "NGOSO_S3_ACCESS_KEY": "test",
           "NGOSO_S3_SECRET_KEY": "test"}

    def ngoso(*args):
        return subprocess.run([sys.executable, "-m", "ngoso", *args], env=env, capture_output=True, text=True,
                              timeout=300, cwd=live.ROOT)

    listed = ngoso("restore", "--list")
    assert listed.returncode == 0 and name in listed.stdout.split(), listed.stderr[-2000:]
    missing = ngoso("restore", "ngoso-20200101-000000.tar")
    assert missing.returncode == 2 and "không thấy tệp hay bản sao lưu" in missing.stderr + missing.stdout
    p = ngoso("restore", name)
    assert p.returncode == 0, p.stderr[-3000:]
    assert (tmp_path / "fresh" / "backups" / name).read_bytes() == Path(out["file"]).read_bytes()  # fetched
    q = subprocess.run([sys.executable, "-c", "import json; from ngoso.cli import setup_django; setup_django(); "
                        "from ngoso.people.models import Resident; "
                        "print(json.dumps(sorted(str(u) for u in Resident.objects.values_list('uuid', flat=True))))"],
                       env=env, capture_output=True, text=True, timeout=300, cwd=live.ROOT)
    assert q.returncode == 0, q.stderr[-3000:]
    from ngoso.people.models import Resident

    assert json.loads(q.stdout.splitlines()[-1]) == sorted(str(u) for u in Resident.objects.values_list("uuid",
                                                                                                        flat=True))
    assert files.read("media", photo) == s3.client.get_object(Bucket=BUCKET, Key=f"site1/media/{photo}")["Body"].read()
