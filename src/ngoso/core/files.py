"""Every file the platform writes or serves goes through Django's storage API, by one of these names.

=========  ==========================================  ================================================
name       default (FileSystemStorage, as before)      holds
=========  ==========================================  ================================================
media      ``MEDIA_ROOT`` (``DATA_DIR/media``)         photos of products and stories
radio      ``DATA_DIR/radio``                          bulletins' rendered or uploaded audio
cache      ``DATA_DIR/cache``                          lesson audio, handout PDFs (keyed by their content)
exports    ``EXPORT_ROOT`` (``DATA_DIR/exports``)      export files (personal data, expire in 24 h)
uploads    ``DATA_DIR/uploads``                        an import's spreadsheet while its job runs
backups    ``DATA_DIR/backups`` (``NGOSO_BACKUP_DIR``)  backups (core/backup: also put here when this
                                                       storage is object storage, i.e. off the machine)
=========  ==========================================  ================================================

``storage(name)`` returns the storage. On the file system it is built from the settings of the moment
(``DATA_DIR``, ``MEDIA_ROOT``, ``EXPORT_ROOT``), at exactly the paths used before storages, so existing data
keeps working. With ``NGOSO_S3_BUCKET`` (or ``NGOSO_STORAGE_URL=s3://bucket/prefix``) every name is an
S3 storage (django-storages) in that bucket under ``<prefix>/<name>/``: private objects, signed URLs only,
never a public bucket. An operator may also point one name elsewhere with ``STORAGES[name]`` in settings.

Names stored in the database are relative to their storage (a photo's ``livelihoods/p3/ab.jpg``, a
bulletin's ``radio/audio/<sha>.ogg`` relative to the data directory as before: ``radio_name`` converts);
``Job.file`` holds the export's name in ``exports`` (``export_name`` also reads the absolute paths older
rows hold). Files that are personal data are streamed through a view after its permission check
(``response``); nothing is served from a storage URL directly.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, Storage

NAMES = ("media", "radio", "cache", "exports", "uploads", "backups")
FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"


def root(name: str) -> Path:
    """The folder of a named storage on the file system (the default; as before storages)."""
    data = Path(settings.DATA_DIR)
    return Path({"media": settings.MEDIA_ROOT, "exports": settings.EXPORT_ROOT, "radio": data / "radio",
                 "cache": data / "cache", "uploads": data / "uploads",
                 "backups": os.environ.get("NGOSO_BACKUP_DIR") or data / "backups"}[name])


def _configured(name: str) -> dict | None:
    conf = (getattr(settings, "STORAGES", None) or {}).get(name)
    if conf and conf.get("BACKEND", FILESYSTEM) != FILESYSTEM:
        return conf
    return None


def storage(name: str) -> Storage:
    """The storage called ``name`` (one of ``NAMES``)."""
    if name not in NAMES:
        raise KeyError(name)
    if _configured(name):
        from django.core.files.storage import storages

        return storages[name]
    return FileSystemStorage(location=str(root(name)), allow_overwrite=True)


def is_local(name: str) -> bool:
    return _configured(name) is None


def save(name: str, path: str, content: bytes | File) -> str:
    """Write ``content`` at ``path`` in storage ``name`` (replacing what is there: our names are unique or
    keyed by their content); returns the stored name. On the file system the file is written beside its
    place and renamed, so a reader never sees half of it."""
    content = ContentFile(content) if isinstance(content, (bytes, bytearray)) else content
    if not is_local(name):
        return storage(name).save(path, content)
    import tempfile

    target = root(name) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in content.chunks():
                f.write(chunk)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


@contextlib.contextmanager
def writing(name: str, path: str) -> Iterator[Path]:
    """A local file to write (a spreadsheet, a PDF, audio from a program); when the block ends without an
    error it becomes ``path`` in storage ``name`` whole (renamed in place on the file system; uploaded and
    removed from the machine's temporary folder otherwise). Left over on an error: deleted. The temporary
    name keeps the extension (programs choose the format by it)."""
    import tempfile

    if is_local(name):
        target = root(name) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}")
    else:
        target = None
        fd, tmp = tempfile.mkstemp(prefix=f"ngoso-{Path(path).stem}.", suffix=f".tmp{Path(path).suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        if target is not None:
            os.replace(tmp, target)
        else:
            with open(tmp, "rb") as f:
                storage(name).save(path, File(f, name=Path(path).name))
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read(name: str, path: str) -> bytes:
    with storage(name).open(path, "rb") as f:
        return f.read()


def exists(name: str, path: str) -> bool:
    return bool(path) and storage(name).exists(path)


def delete(name: str, path: str) -> None:
    """Delete if there (no error when it is gone already)."""
    if path:
        try:
            storage(name).delete(path)
        except FileNotFoundError:
            pass


def walk(name: str, folder: str = "") -> Iterator[str]:
    """Every file's name under ``folder`` of storage ``name``, recursively."""
    st = storage(name)
    try:
        dirs, names = st.listdir(folder)
    except FileNotFoundError:
        return
    for n in sorted(names):
        yield f"{folder}/{n}" if folder else n
    for d in sorted(dirs):
        yield from walk(name, f"{folder}/{d}" if folder else d)


def response(name: str, path: str, content_type: str | None = None, **kwargs):
    """Stream a stored file through the view that checked the request (``FileResponse``). ``kwargs``:
    ``as_attachment``, ``filename``."""
    import mimetypes

    from django.http import FileResponse, Http404

    st = storage(name)
    try:
        f = st.open(path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    resp = FileResponse(f, content_type=content_type or mimetypes.guess_type(path)[0] or "application/octet-stream",
                        **kwargs)
    if not resp.get("Content-Length"):
        try:
            resp["Content-Length"] = str(st.size(path))
        except (OSError, NotImplementedError):
            pass
    return resp


# -------------------------------------------------------------------------------- names kept in the database

def radio_name(audio_path: str) -> str:
    """A bulletin's ``audio_path`` (relative to the data directory: ``radio/audio/x.ogg``) in storage ``radio``."""
    return audio_path.removeprefix("radio/")


def export_name(job_file: str) -> str:
    """A job's ``file`` as a name in storage ``exports``: older rows hold the absolute path."""
    if job_file and os.path.isabs(job_file):
        return Path(job_file).name
    return job_file


# --------------------------------------------------------------------------------------------- configuration

def s3_storages(env: dict | None = None) -> dict:
    """``STORAGES`` entries for every name when object storage is configured in the environment, else {}.

    ``NGOSO_STORAGE_URL=s3://bucket/prefix`` or ``NGOSO_S3_BUCKET`` (+ ``NGOSO_S3_PREFIX``), with
    ``NGOSO_S3_ENDPOINT_URL`` (MinIO, Ceph, a Vietnamese cloud's S3), ``NGOSO_S3_REGION``,
    ``NGOSO_S3_ACCESS_KEY``/``NGOSO_S3_SECRET_KEY`` (else boto3's own chain), ``NGOSO_S3_URL_SECONDS``
    (signed URLs' life, 300 s)."""
    from urllib.parse import urlparse

    env = os.environ if env is None else env
    bucket, prefix = env.get("NGOSO_S3_BUCKET", "").strip(), env.get("NGOSO_S3_PREFIX", "").strip("/ ")
    url = env.get("NGOSO_STORAGE_URL", "").strip()
    if url:
        u = urlparse(url)
        if u.scheme != "s3" or not u.netloc:
            raise ValueError(f"NGOSO_STORAGE_URL phải có dạng s3://bucket/prefix / must be s3://bucket/prefix: {url}")
        bucket, prefix = u.netloc, u.path.strip("/")
    if not bucket:
        return {}
    options = {"bucket_name": bucket, "default_acl": None, "querystring_auth": True, "file_overwrite": True,
               "querystring_expire": int(env.get("NGOSO_S3_URL_SECONDS", "300")),
               "object_parameters": {"CacheControl": "private"}}
    for key, var in (("endpoint_url", "NGOSO_S3_ENDPOINT_URL"), ("region_name", "NGOSO_S3_REGION"),
                     ("access_key", "NGOSO_S3_ACCESS_KEY"), ("secret_key", "NGOSO_S3_SECRET_KEY")):
        if env.get(var):
            options[key] = env[var]
    return {name: {"BACKEND": S3, "OPTIONS": {**options, "location": f"{prefix}/{name}" if prefix else name}}
            for name in NAMES}
