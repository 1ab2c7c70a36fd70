"""Static files with their content's hash in the name (``app.3f2a9c1b7d0e.css``), so browsers and proxies keep
them for a year (WhiteNoise marks hashed names immutable) and a new version is a new address.

Django's ``ManifestStaticFilesStorage`` needs ``collectstatic`` into ``STATIC_ROOT``. There is no build step to
forget: ``STATIC_ROOT`` is ``DATA_DIR/static/<fingerprint>``, the fingerprint being the names, sizes and times
of the package's static files, and the first process that needs it (``StaticMiddleware`` when a web process
starts, or the first ``{% static %}``) collects it under a lock; an upgrade that changes a file gets a new
folder (the older ones are removed). WhiteNoise serves the hashed files from there, and the unhashed names
from the package as before (the field app's service worker lists both, ``sync.views.service_worker``).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.middleware import WhiteNoiseMiddleware


_COLLECTING = False


def fingerprint(dirs) -> str:
    """Of the static source folders: every file's name, size and modification time."""
    import django

    h = hashlib.sha256(django.__version__.encode())  # the admin's files come with Django
    for d in dirs:
        d = Path(d)
        for p in sorted(d.rglob("*")) if d.is_dir() else []:
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(d).as_posix()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def collect() -> None:
    """Collect the static files into ``STATIC_ROOT`` once (several processes may start at once: one does it,
    the others wait for it); the folders of earlier versions are removed."""
    import fcntl

    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    manifest = root / HashedStaticStorage.manifest_name
    if manifest.exists():
        return
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".collect.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists():
            return
        global _COLLECTING
        _COLLECTING = True
        try:
            call_command("collectstatic", interactive=False, verbosity=0, clear=False)
        finally:
            _COLLECTING = False
        for old in root.parent.iterdir():
            if old.is_dir() and old != root:
                shutil.rmtree(old, ignore_errors=True)


class HashedStaticStorage(ManifestStaticFilesStorage):
    """``ManifestStaticFilesStorage`` that collects itself the first time it is asked for an address."""

    def stored_name(self, name):
        if not self.hashed_files and not _COLLECTING:
            collect()
            self.hashed_files, self.manifest_hash = self.load_manifest()
        return super().stored_name(name)


class StaticMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, after making sure the hashed files exist (it lists ``STATIC_ROOT`` when it starts)."""

    def __init__(self, *args, **kwargs):
        if settings.STATIC_ROOT:
            collect()
        super().__init__(*args, **kwargs)


class CollectedFinder(BaseFinder):
    """Finds the hashed names in ``STATIC_ROOT`` for servers that look files up through the finders (Django's
    ``runserver`` and test live server). Lists nothing, so ``collectstatic`` never copies the folder into itself."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        collect()
        p = Path(settings.STATIC_ROOT) / path
        found = str(p) if p.is_file() and ".." not in Path(path).parts else None
        return ([found] if found else []) if (find_all or kwargs.get("all")) else found

    def list(self, ignore_patterns):
        return []
