"""Django settings for Ngõ Số.

Configuration comes from the environment so that one build runs anywhere:

- ``NGOSO_DATABASE_URL``: e.g. ``postgres://user:pass@127.0.0.1:5432/ngoso``; default: SQLite (WAL) at
  ``$NGOSO_DATA_DIR/ngoso.sqlite3``.
- ``NGOSO_DATA_DIR``: where the SQLite database, media and export files live (default ``./var``).
- ``NGOSO_SECRET_KEY``, ``NGOSO_DEBUG``, ``NGOSO_ALLOWED_HOSTS`` (comma separated).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("NGOSO_DATA_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("NGOSO_SECRET_KEY", "ngoso-insecure-development-key-change-me-in-production")
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
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
    "ngoso.accounts.middleware.AuditUserMiddleware",
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
if _db_url:
    DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60)}
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
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LANGUAGE_CODE = "vi"
FORMAT_MODULE_PATH = ["ngoso.formats"]
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = None  # served straight from the package by WhiteNoise's finders; no collectstatic step
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
MEDIA_ROOT = DATA_DIR / "media"
EXPORT_ROOT = DATA_DIR / "exports"

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30  # members stay logged in on their phone for a month
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("NGOSO_LOG_LEVEL", "WARNING")},
}
