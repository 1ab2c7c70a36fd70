"""Django settings for Ngõ Số.

Configuration comes from the environment so that one build runs anywhere:

- ``NGOSO_DATABASE_URL``: e.g. ``postgres://user:pass@127.0.0.1:5432/ngoso``; default: SQLite (WAL) at
  ``$NGOSO_DATA_DIR/ngoso.sqlite3``.
- ``NGOSO_DATABASE_POOLED=1`` (or ``?pooled=1`` on the URL): PostgreSQL is reached through PgBouncer in
  transaction mode. ``NGOSO_DATABASE_REPLICA_URL``: a streaming read replica for dashboards, exports and
  reports (``core.db``); ``NGOSO_REPLICA_PIN_SECONDS`` (5): how long a user reads the primary after a write.
  ``NGOSO_DATABASE_DIRECT_URL`` (``postgres://user:pass@host:port``): PostgreSQL itself, for ``pg_dump`` and
  ``pg_restore`` (backups, partition archives) when the URL goes through PgBouncer.
- ``NGOSO_PLAYLOG_RETENTION_MONTHS`` (24): play-log partitions older than this are archived (PostgreSQL).
- ``NGOSO_DATA_DIR``: where the SQLite database, media and export files live (default ``./var``).
- ``NGOSO_SECRET_KEY``: default: the key in ``$NGOSO_DATA_DIR/secret_key`` (made once by ``ngoso secret-key``,
  mode 600); without either, a fixed development key that ``ngoso serve`` refuses (``ngoso demo`` warns).
- ``NGOSO_DEBUG``, ``NGOSO_ALLOWED_HOSTS`` (comma separated).
- ``NGOSO_HTTPS=1``: served over HTTPS (behind a proxy that sets ``X-Forwarded-Proto: https``): Secure
  cookies, HSTS, redirect to HTTPS. ``NGOSO_HSTS_SECONDS`` (default one year). ``NGOSO_TRUSTED_PROXIES``:
  how many reverse proxies append to X-Forwarded-For (default 1 with HTTPS, else 0: header ignored).
- ``NGOSO_SESSION_HOURS``: how long a login lasts (default 12).
- ``NGOSO_CSP``: Content-Security-Policy on every page (1, the default with NGOSO_HTTPS) or only on the
  public pages (0, the default over plain HTTP).
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE

from ngoso.core import files as _files, staticfiles as _staticfiles

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("NGOSO_DATA_DIR", Path.cwd() / "var")).resolve()

# The secret key signs sessions, CSRF tokens and the personal self-check links. Order: the environment,
# then the file in the data directory (docs/decisions/0008-logins-and-secrets.md).
INSECURE_SECRET_KEY = "ngoso-insecure-development-key-change-me-in-production"
SECRET_KEY_FILE = DATA_DIR / "secret_key"


def _secret_key() -> str:
    key = os.environ.get("NGOSO_SECRET_KEY", "").strip()
    if key:
        return key
    try:
        key = SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        key = ""
    return key or INSECURE_SECRET_KEY


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("NGOSO_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("NGOSO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",  # login throttling and lockout, counted in the database (shared by every server process)
    "csp",
    "ngoso.core",
    "ngoso.places",
    "ngoso.accounts",
    "ngoso.people",
    "ngoso.teams",
    "ngoso.skills",
    "ngoso.visits",
    "ngoso.sync",
    "ngoso.poverty",
    "ngoso.lessons",
    "ngoso.livelihoods",
    "ngoso.radio",
    "ngoso.insights",
    "ngoso.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ngoso.core.db.PrimaryAfterWriteMiddleware",  # a request that writes, and its user's next seconds: the primary
    "ngoso.core.staticfiles.StaticMiddleware",  # WhiteNoise, once the hashed files are collected
    "django.middleware.gzip.GZipMiddleware",
    "ngoso.api.errors.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ngoso.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ngoso.core.clean.CleanInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ngoso.core.middleware.ContentSecurityPolicyMiddleware",
    "ngoso.accounts.middleware.AuditUserMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into the lockout page
]

ROOT_URLCONF = "ngoso.urls"
WSGI_APPLICATION = "ngoso.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ngoso.core.context_processors.navigation",
            ],
        },
    }
]

_db_url = os.environ.get("NGOSO_DATABASE_URL", "").strip()


def _postgres(url: str) -> dict:
    """One PostgreSQL connection's settings from its URL. ``?pooled=1`` on the URL (or ``NGOSO_DATABASE_POOLED=1``):
    the server is reached through PgBouncer in transaction mode (docs/operations.md), so nothing may rely on the
    session: no server-side cursors (``.iterator()`` reads client-side), no prepared statements (psycopg prepares
    a query run 5 times; PgBouncer 1.18 would hand it to another client's server connection)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    pooled = query.pop("pooled", "") == "1" or os.environ.get("NGOSO_DATABASE_POOLED", "0") == "1"
    db = dj_database_url.parse(urlunsplit(parts._replace(query=urlencode(query))), conn_max_age=60)
    if pooled:
        db["DISABLE_SERVER_SIDE_CURSORS"] = True
        db.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return db


# A read replica (a streaming standby): dashboards, exports and reports read there inside
# ``core.db.reading_from_replica()``; everything else, and any request pinned after a write, reads the primary.
REPLICA_PIN_SECONDS = int(os.environ.get("NGOSO_REPLICA_PIN_SECONDS", "5"))
_replica_url = os.environ.get("NGOSO_DATABASE_REPLICA_URL", "").strip()
if _db_url:
    DATABASES = {"default": _postgres(_db_url)}
    if _replica_url:
        DATABASES["replica"] = _postgres(_replica_url)
        # tests read the replica alias from the test database (tests/core/test_db_replica points it at a real standby)
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
        DATABASE_ROUTERS = ["ngoso.core.db.ReplicaRouter"]
else:
    DATABASES = {
        "default": {
            "ENGINE": "ngoso.core.sqlite",  # Django's, writers of one process queued (core/sqlite)
            "NAME": DATA_DIR / "ngoso.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while a writer commits; IMMEDIATE avoids
                # "database is locked" upgrade deadlocks between concurrent writers.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; "
                    # the server checkpoints from a thread of its own (core/sqlite); this is the safety net
                    "PRAGMA wal_autocheckpoint=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
    # Tests use a real file too (WAL, busy timeout), so that background-job threads and the live server
    # behave as in production; pytest-xdist adds a per-worker suffix.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-ngoso.sqlite3")}
    DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Partitioned history (core/partitions, PostgreSQL): play-log months kept before the nightly archive
PLAYLOG_RETENTION_MONTHS = int(os.environ.get("NGOSO_PLAYLOG_RETENTION_MONTHS", "24"))
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Every password that is set (ngoso createuser, the admin, the change-password page) passes these;
# Django ships their messages in Vietnamese.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ngoso.accounts.validators.DemoPasswordValidator"},
]

# Login throttling (django-axes): 5 wrong passwords for one username from one address lock that pair out
# for 15 minutes; every further try during the lockout starts the 15 minutes again. The counts live in the
# database (axes' database handler), so several server processes share them. Unlock: the admin's
# "Access attempts" (delete the rows) or ``ngoso unlock USERNAME``.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("NGOSO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("NGOSO_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "ngoso.accounts.views.client_ip"  # X-Forwarded-For only from TRUSTED_PROXIES
AXES_RESET_ON_SUCCESS = True
# never stored with a failed attempt (axes masks "password" itself)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "old_password", "new_password1", "new_password2",
                             "csrfmiddlewaretoken"]
AXES_LOCKOUT_CALLABLE = "ngoso.accounts.views.lockout"  # the page core/lockout.html, 429
AXES_VERBOSE = False

LANGUAGE_CODE = "vi"
FORMAT_MODULE_PATH = ["ngoso.formats"]
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names for long caching (core/staticfiles.py): collected by the first process that needs them into a
# folder named by the static files' fingerprint (no build step; an upgrade gets a new folder). WhiteNoise also
# serves the unhashed names straight from the package through its finders.
STATIC_ROOT = DATA_DIR / "static" / _staticfiles.fingerprint(sorted(BASE_DIR.glob("**/static")))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "ngoso.core.staticfiles.CollectedFinder",  # the hashed names, for servers that use the finders (tests)
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
MEDIA_ROOT = DATA_DIR / "media"
EXPORT_ROOT = DATA_DIR / "exports"
# Every file goes through a named storage (core/files.py): media, radio, cache, exports, uploads. By default
# the file system at the paths above; NGOSO_S3_BUCKET or NGOSO_STORAGE_URL=s3://bucket/prefix puts them all
# in object storage (django-storages), private, under <prefix>/<name>/.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": MEDIA_ROOT}},
    "staticfiles": {"BACKEND": "ngoso.core.staticfiles.HashedStaticStorage"},
    **_files.s3_storages(),
}
if "media" in STORAGES:
    STORAGES["default"] = STORAGES["media"]

# A login lasts 12 hours (a working day); the field app keeps working offline with its device token.
SESSION_COOKIE_AGE = int(float(os.environ.get("NGOSO_SESSION_HOURS", "12")) * 3600)

# Served over HTTPS (NGOSO_HTTPS=1, usually behind a proxy that sets X-Forwarded-Proto): cookies only over
# HTTPS, HSTS, and plain-HTTP requests redirected. Plain HTTP stays possible for a demo on a laptop or LAN.
HTTPS = os.environ.get("NGOSO_HTTPS", "0") == "1"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Reverse proxies in front of the server: their X-Forwarded-For tells the client's address for login
# throttling (accounts.views.client_ip). 0: the header is ignored (a client could forge it).
TRUSTED_PROXIES = int(os.environ.get("NGOSO_TRUSTED_PROXIES", "1" if HTTPS else "0"))
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("NGOSO_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("NGOSO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False  # other services of the commune may share the domain

# Content-Security-Policy (django-csp; core.middleware.ContentSecurityPolicyMiddleware decides where): the
# public pages always; every page when served over HTTPS, or with NGOSO_CSP=1 (NGOSO_CSP=0: public only).
# Scripts only from this site or carrying the response's nonce, nothing from other sites, no plugins, no
# framing. Inline style attributes stay allowed (templates use them for widths of bars and small layout);
# they cannot run code. docs/decisions/0008-logins-and-secrets.md
CSP_EVERYWHERE = os.environ.get("NGOSO_CSP", "1" if HTTPS else "0") == "1"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
if HTTPS:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("NGOSO_LOG_LEVEL", "WARNING")},
}
