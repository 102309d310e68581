"""Django settings, read from the environment so the embedded default needs none of it.

VAXPASS_DATABASE_URL   postgresql://user:pass@host:port/name (default: SQLite in VAXPASS_DATA_DIR)
VAXPASS_DATA_DIR       where the SQLite files, secret key and uploads live (default: ./var)
VAXPASS_REGISTRY_URL   population registry database; default: sqlite file in the data dir,
                       or, with a PostgreSQL main database, the schema "registry" in it
VAXPASS_DEBUG          1 to turn on debug pages
VAXPASS_ALLOWED_HOSTS  comma-separated host names
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("VAXPASS_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("VAXPASS_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _database(url: str | None) -> dict:
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "vaxpass.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"VAXPASS_DATABASE_URL: unsupported scheme {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "TEST": {"NAME": os.environ.get("VAXPASS_TEST_DATABASE_NAME")},
    }


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("VAXPASS_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("VAXPASS_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "vaxpass.accounts",
    "vaxpass.places",
    "vaxpass.records",
    "vaxpass.imports",
    "vaxpass.notifications",
    "vaxpass.passports",
    "vaxpass.cleaning",
    "vaxpass.portal",
    "django_tasks_db",
]


# Private keys: encrypted key files in the data directory by default (the passphrase file
# is made on first use, like the secret key; point VAXPASS_KEY_PASSPHRASE_FILE at a secret
# mount in production), or a PKCS#11 hardware module.
def _key_store() -> dict:
    if os.environ.get("VAXPASS_KEY_STORE", "files") == "pkcs11":
        return {
            "backend": "pkcs11",
            "module": os.environ["VAXPASS_PKCS11_MODULE"],
            "token": os.environ["VAXPASS_PKCS11_TOKEN"],
            "pin_file": os.environ["VAXPASS_PKCS11_PIN_FILE"],
        }
    passphrase = Path(os.environ.get("VAXPASS_KEY_PASSPHRASE_FILE", DATA_DIR / "keys.passphrase"))
    if not passphrase.exists():
        try:
            fd = os.open(passphrase, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    return {
        "backend": "files",
        "directory": Path(os.environ.get("VAXPASS_KEY_DIR", DATA_DIR / "keys")),
        "passphrase_file": passphrase,
    }


KEY_STORE = _key_store()
# How long a passport's QR code stays valid, and how long before expiry it is renewed.
PASSPORT_VALIDITY = timedelta(days=int(os.environ.get("VAXPASS_PASSPORT_DAYS", "365")))
PASSPORT_RENEWAL_WINDOW = timedelta(days=int(os.environ.get("VAXPASS_RENEWAL_DAYS", "30")))

# Background jobs: a job table in the main database that `vaxpass db_worker` processes
# claim (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL). No broker to run.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vaxpass.middleware.VietnameseByDefaultLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vaxpass.records.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "vaxpass.urls"
WSGI_APPLICATION = "vaxpass.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": _database(os.environ.get("VAXPASS_DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The population registry is an outside system; its default adapter keeps its own database.
REGISTRY_URL = os.environ.get("VAXPASS_REGISTRY_URL") or (
    "schema:registry"
    if DATABASES["default"]["ENGINE"].endswith("postgresql")
    else f"sqlite:{DATA_DIR / 'registry.sqlite3'}"
)

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# The app's few static files are served straight from the package, no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("VAXPASS_LOG_LEVEL", "WARNING")},
}
# Static files are served by the app itself (WhiteNoise), so one process is the whole site.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
