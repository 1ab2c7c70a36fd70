"""Backups and restore: the database **and** the data directory's files in one ``.tar`` with a manifest.

``make_backup(to_dir)`` may run while the server serves: SQLite is copied with its online backup API (one
consistent snapshot, writers wait only for the copy), PostgreSQL with ``pg_dump --format=custom`` (one
snapshot by design); then the files: photos and recordings read from their storages (``core.files``: media,
radio; on the file system or in object storage alike), the rest of the data directory (the secret key), and
``manifest.json`` last, with the size and SHA-256 of every member. ``restore(file)`` checks every
checksum first and writes nothing if one is wrong, then restores into a data directory (and database)
that must be empty. ``rotate(dir)`` keeps the last 7 daily and 4 weekly backups (the nightly schedule).

Off the machine: when the storage ``backups`` (``core.files``) is object storage (``NGOSO_STORAGE_URL``), every
backup is also put there (``<prefix>/backups/ngoso-….tar``, private like every object of ours), the same rotation
applies there (``rotate_stored``), and ``restore`` takes the name of a stored backup as well as a file: it is
downloaded into the local backups folder first (so a fresh machine restores a province from its bucket).
Members keep the data directory's layout (``data/media/…``, ``data/radio/…``): a restore writes them back
through the same storages. Left out: export files (personal data that expires in 24 h), uploads, caches
(rebuilt), the job queue.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import UserError

from . import files
from .db import pg_tool_env

FORMAT = 1
NAME_RE = re.compile(r"^ngoso-(\d{8}-\d{6})\.tar$")
# top-level entries of the data directory that are not backed up (see the module docstring)
SKIP = {"backups", "exports", "uploads", "cache", "tmp", "static"}
# the storages backed up (core.files), each as data/<name>/… whatever its backend; left out of the walk above
STORED = ("media", "radio")
SKIP_PREFIXES = ("ngoso.sqlite3", "test-ngoso", "queue.sqlite3", ".")


class BackupError(UserError):
    """Told to the operator (one msgid; the CLI prints it in Vietnamese and English)."""


def default_dir() -> Path:
    return Path(os.environ.get("NGOSO_BACKUP_DIR") or settings.DATA_DIR / "backups")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_env() -> tuple[dict, str]:
    return pg_tool_env(  # behind PgBouncer: PostgreSQL itself (NGOSO_DATABASE_DIRECT_URL)
        connection.settings_dict)


def _dump_database(work: Path) -> str:
    if connection.vendor == "sqlite":
        dest = work / "db.sqlite3"
        src = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=60)
        dst = sqlite3.connect(str(dest))
        try:
            src.backup(dst)  # all pages in one step: one consistent snapshot, even with writers running
        finally:
            dst.close()
            src.close()
        return dest.name
    if connection.vendor == "postgresql":
        env, name = _pg_env()
        dest = work / "db.pgdump"
        p = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dest), name], env=env,
                           capture_output=True, text=True)
        if p.returncode:
            raise BackupError(_("pg_dump failed: %(x)s"), x=p.stderr.strip()[-500:])
        return dest.name
    raise BackupError(_("cannot back up a %(vendor)s database"), vendor=connection.vendor)


def _data_files() -> list[tuple[Path, str]]:
    """Files of the data directory itself (not those of the storages in ``STORED``)."""
    root = Path(settings.DATA_DIR)
    out = []
    for top in sorted(root.iterdir()) if root.is_dir() else []:
        if top.name in SKIP or top.name in STORED or top.name.startswith(SKIP_PREFIXES):
            continue
        items = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for p in items:
            if p.name.endswith((".part", ".tmp")):
                continue
            out.append((p, "data/" + p.relative_to(root).as_posix()))
    return out


def make_backup(to_dir=None, now=None) -> dict:
    """Write ``ngoso-YYYYmmdd-HHMMSS.tar`` into ``to_dir`` (default ``DATA_DIR/backups``); returns its summary."""
    now = timezone.localtime(now or timezone.now())
    dest_dir = Path(to_dir) if to_dir else default_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"ngoso-{now:%Y%m%d-%H%M%S}.tar"
    final = dest_dir / name
    part = dest_dir / f".{name}.part"
    manifest = {"format": FORMAT, "created_at": now.isoformat(), "database": connection.vendor, "files": {}}
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".work-") as tmp:
        work = Path(tmp)
        db_name = _dump_database(work)
        manifest["db_file"] = db_name
        with tarfile.open(part, "w") as tar:
            members = [(work / db_name, db_name), *_data_files()]
            for path, arc in members:
                try:
                    digest, size = _sha256(path), path.stat().st_size
                    tar.add(str(path), arcname=arc, recursive=False)
                except FileNotFoundError:  # deleted meanwhile (an erased photo): not part of this backup
                    continue
                manifest["files"][arc] = {"sha256": digest, "size": size}
            for store in STORED:
                for name in files.walk(store):
                    if name.rsplit("/", 1)[-1].startswith(".") or name.endswith((".part", ".tmp")):
                        continue
                    arc = f"data/{store}/{name}"
                    try:
                        meta = _add_stored(tar, store, name, arc, now)
                    except FileNotFoundError:  # deleted meanwhile (an erased photo): not part of this backup
                        continue
                    manifest["files"][arc] = meta
            raw = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(raw), int(now.timestamp())
            tar.addfile(info, io.BytesIO(raw))
    os.replace(part, final)
    out = {"file": str(final), "size": final.stat().st_size, "files": len(manifest["files"]) - 1,
           "database": connection.vendor}
    if is_offsite():
        out["stored"] = put_stored(final)
    return out


# --- off the machine: the storage ``backups`` when it is object storage ---------------------------------------

STORE = "backups"


def is_offsite() -> bool:
    """Backups are also kept in object storage (the storage ``backups`` is not the local folder)."""
    return not files.is_local(STORE)


def put_stored(path: Path) -> str:
    """Upload the backup ``path`` into the storage ``backups`` under its own name; checked by its size."""
    path = Path(path)
    with open(path, "rb") as f:
        name = files.save(STORE, path.name, File(f, name=path.name))
    if files.storage(STORE).size(name) != path.stat().st_size:
        raise BackupError(_("the copy of %(name)s in object storage is incomplete"), name=name)
    return name


def stored_backups() -> list[str]:
    """Names of the backups in object storage, newest first ([] when backups are only local)."""
    if not is_offsite():
        return []
    return sorted((n for n in files.walk(STORE) if NAME_RE.match(n)), reverse=True)


def fetch_stored(name: str, to_dir=None) -> Path:
    """Download the stored backup ``name`` (``ngoso-….tar``, optionally ``backups/…``) into ``to_dir`` (default
    the local backups folder); an existing local copy of the same size is used as it is."""
    name = name.removeprefix("backups/")
    if not NAME_RE.match(name) or not is_offsite() or not files.exists(STORE, name):
        raise BackupError(_("no such file or stored backup: %(file)s"), file=name)
    dest_dir = Path(to_dir) if to_dir else default_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / name
    st = files.storage(STORE)
    if dest.is_file() and dest.stat().st_size == st.size(name):
        return dest
    part = dest_dir / f".{name}.part"
    with st.open(name, "rb") as src, open(part, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(part, dest)
    return dest


def _add_stored(tar: tarfile.TarFile, store: str, name: str, arc: str, now) -> dict:
    """Add one file of a storage to the tar (read twice: its checksum, then its bytes; our stored files are
    never rewritten in place: photos have new names, audio is named by its content)."""
    st = files.storage(store)
    h, size = hashlib.sha256(), 0
    with st.open(name, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    info = tarfile.TarInfo(arc)
    info.size, info.mtime, info.mode = size, int(now.timestamp()), 0o600
    with st.open(name, "rb") as f:
        tar.addfile(info, f)
    return {"sha256": h.hexdigest(), "size": size}


def _stored(arc: str) -> tuple[str, str] | None:
    """(storage, name) of a member that goes back into a storage, else None."""
    for store in STORED:
        if arc.startswith(f"data/{store}/"):
            return store, arc[len(store) + 6:]
    return None


def _same(store: str, name: str, meta: dict) -> bool:
    """The storage holds ``name`` with the size and SHA-256 of the manifest's ``meta``."""
    if not files.exists(store, name):
        return False
    st = files.storage(store)
    if st.size(name) != meta["size"]:
        return False
    h = hashlib.sha256()
    with st.open(name, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest() == meta["sha256"]


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        m = json.loads(tar.extractfile("manifest.json").read())
    except (KeyError, AttributeError, ValueError):
        raise BackupError(_("not a Ngõ Số backup (no manifest.json)")) from None
    if m.get("format") != FORMAT:
        raise BackupError(_("backup format %(x)s is not supported"), x=m.get('format'))
    return m


def verify(file) -> dict:
    """Check every member against the manifest; raises BackupError naming the first bad one."""
    with tarfile.open(file, "r") as tar:
        m = read_manifest(tar)
        names = set(tar.getnames()) - {"manifest.json"}
        for arc, meta in m["files"].items():
            if arc not in names:
                raise BackupError(_("%(arc)s is missing from the backup"), arc=arc)
            h = hashlib.sha256()
            f = tar.extractfile(arc)
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
            if h.hexdigest() != meta["sha256"]:
                raise BackupError(_("%(arc)s is damaged (checksum)"), arc=arc)
        extra = names - set(m["files"])
        if extra:
            raise BackupError(_("unexpected files in the backup: %(x)s"), x=sorted(extra)[:3])
    return m


def _database_is_empty() -> bool:
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        if not path.exists() or path.stat().st_size == 0:
            return True
        con = sqlite3.connect(str(path))
        try:
            return not con.execute("SELECT 1 FROM sqlite_master WHERE type='table' LIMIT 1").fetchone()
        finally:
            con.close()
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
        return c.fetchone()[0] == 0


def restore(file) -> dict:
    """Restore a backup (a file, or the name of a backup in object storage) into an empty data directory and
    database. Nothing is written unless every checksum is right and the target is empty (files already in their
    storage with the same content count as empty: they are left as they are)."""
    file = Path(file)
    if not file.is_file():
        if not is_offsite():
            raise BackupError(_("no such file: %(file)s"), file=file)
        file = fetch_stored(str(file))  # the name of a backup in object storage
    m = verify(file)
    root = Path(settings.DATA_DIR)
    if m["database"] != connection.vendor:
        raise BackupError(_("the backup is %(database)s, this installation uses %(vendor)s"), database=m['database'],
                          vendor=connection.vendor)
    if not _database_is_empty():
        raise BackupError(_("the target database is not empty; restore only into an empty data directory and database"))
    # a file already in its storage with the same content is no clash (object storage outlives a machine: the
    # province's bucket still holds the photos a backup of it has); it is not written again
    there = {arc for arc in m["files"] if _stored(arc) and _same(*_stored(arc), m["files"][arc])}
    clash = [arc for arc in m["files"] if arc.startswith("data/") and arc[5:] != "secret_key" and arc not in there
             and (files.exists(*_stored(arc)) if _stored(arc) else (root / arc[5:]).exists())]
    if clash:
        raise BackupError(_("the data directory is not empty (%(x)s)"), x=clash[0][5:])
    connection.close()
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(file, "r") as tar, tempfile.TemporaryDirectory(dir=root, prefix=".restore-") as tmp:
        for arc in m["files"]:
            if arc in there:
                continue
            if _stored(arc):
                with tar.extractfile(arc) as src:
                    files.save(*_stored(arc), File(src, name=arc.rsplit("/", 1)[-1]))
                continue
            target = Path(tmp) / m["db_file"] if arc == m["db_file"] else root / arc[5:]
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(arc) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        dbfile = Path(tmp) / m["db_file"]
        if m["database"] == "sqlite":
            path = Path(connection.settings_dict["NAME"])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.move(str(dbfile), str(path))
        else:
            env, name = _pg_env()
            p = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", name, str(dbfile)],
                               env=env, capture_output=True, text=True)
            if p.returncode:
                raise BackupError(_("pg_restore failed: %(x)s"), x=p.stderr.strip()[-500:])
    return {"created_at": m["created_at"], "database": m["database"], "files": len(m["files"]) - 1}


def _old(names, keep_daily: int, keep_weekly: int) -> list[str]:
    """Of the backups ``names``, those to delete: all but the newest of each of the last ``keep_daily`` days that
    have one and the newest of each of the last ``keep_weekly`` ISO weeks (oldest last)."""
    found = sorted(((datetime.datetime.strptime(m.group(1), "%Y%m%d-%H%M%S"), n) for n in names
                    if (m := NAME_RE.match(n))), reverse=True)
    keep, days, weeks = set(), [], []
    for t, n in found:
        day, week = t.date(), t.isocalendar()[:2]
        if day not in days and len(days) < keep_daily:
            days.append(day)
            keep.add(n)
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.append(week)
            keep.add(n)
    return [n for _, n in found if n not in keep]


def rotate(directory=None, keep_daily: int = 7, keep_weekly: int = 4) -> list[str]:
    """Delete old backups in ``directory``: keep the newest of each of the last ``keep_daily`` days that have one,
    and the newest of each of the last ``keep_weekly`` ISO weeks. Returns the names deleted."""
    d = Path(directory) if directory else default_dir()
    deleted = _old([p.name for p in d.glob("ngoso-*.tar")] if d.is_dir() else [], keep_daily, keep_weekly)
    for name in deleted:
        (d / name).unlink(missing_ok=True)
    return deleted


def rotate_stored(keep_daily: int = 7, keep_weekly: int = 4) -> list[str]:
    """The same rotation in object storage (nothing when backups are only local). Returns the names deleted."""
    deleted = _old(stored_backups(), keep_daily, keep_weekly)
    for name in deleted:
        files.delete(STORE, name)
    return deleted
