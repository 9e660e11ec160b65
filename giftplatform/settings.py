"""Settings from the environment (12-factor).

With nothing set: SQLite in var/, DEBUG on, a generated dev secret key, tasks inline.
DJANGO_ENV=production refuses to start without SECRET_KEY and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from giftplatform.xmlsafety import harden_xml_parsing

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)


def _dev_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts of the dev server."""
    import secrets

    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production needs these environment variables: {', '.join(missing)}"
        )
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _dev_secret_key()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "giftplatform",
    "suppliers",
    "gifts",
    "policies",
    "distribution",
    "stats",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "guardian",
    "import_export",
    "simple_history",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "giftplatform.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lock-out flagged during authentication into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "giftplatform.urls"
WSGI_APPLICATION = "giftplatform.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Server-side binding lets psycopg prepare what a connection runs again and again (the
    # counter page's look-ups): PostgreSQL plans each once per connection, not per request
    # (~2 ms less on the workbench page). Turn it off behind a transaction-pooling PgBouncer
    # without prepared-statement support; restart workers after a migration that changes a
    # table they query (a prepared plan does not survive a changed result type).
    # No JIT: it compiles each statistics query afresh (~90 ms of a 500 ms question on
    # 5M gift lines) and gains nothing on queries that read a few hundred thousand rows.
    server_options = [] if env.bool("DATABASE_JIT", default=False) else ["-c jit=off"]
    # Room for the statistics' sorts and hashes (a quarter's distinct (category, policy)
    # pairs are 600k rows): with PostgreSQL's 4MB default, that question ran over 10
    # minutes (cancelled) where 64MB answers in about 2 s (bench_stats). Per sort or hash
    # node of a running query, not per connection; "" keeps the server's own setting.
    work_mem = env.str("DATABASE_WORK_MEM", default="64MB")
    if work_mem:
        server_options.append(f"-c work_mem={work_mem}")
    if server_options:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(server_options)
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "giftplatform.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username+address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading a user's permissions in one query instead of two.
    "giftplatform.backends.OneQueryModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user is not used: anonymous visitors see nothing.
ANONYMOUS_USER_NAME = None
# Object permissions never fall back to global ones; access.py decides scope explicitly.
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "media/"

LOGIN_URL = "admin:login"
# Where a sign-in lands when its ?next= is missing or points off-site (Django refuses
# those); Django's own default, /accounts/profile/, does not exist here.
LOGIN_REDIRECT_URL = "admin:index"

# Failed sign-ins (django-axes): after AXES_FAILURE_LIMIT failures for one username from
# one address, that pair is locked for AXES_COOLOFF_TIME hours (0: until an administrator
# deletes the attempt under Admin > Axes > Access attempts, or `manage.py
# axes_reset_username NAME`). Other addresses and other usernames are not affected.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
_axes_cooloff_hours = env.float("AXES_COOLOFF_TIME", default=0.5)
AXES_COOLOFF_TIME = timedelta(hours=_axes_cooloff_hours) if _axes_cooloff_hours > 0 else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_LOCKOUT_CALLABLE = "giftplatform.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Registered by giftplatform/admin_axes.py instead: the sign-in logs are audit rows there.
AXES_ENABLE_ADMIN = False
# The client address: REMOTE_ADDR alone unless TRUSTED_PROXY_IP_HEADER names the header
# the proxy in front sets (e.g. X-Forwarded-For or X-Real-IP); any other forwarding
# header a client sends is ignored. TRUSTED_PROXY_COUNT is how many proxy addresses that
# header holds after the client's, counted from the right (0 for X-Real-IP, or for
# X-Forwarded-For from a single proxy); whatever a client put further left is ignored.
TRUSTED_PROXY_IP_HEADER = env.str("TRUSTED_PROXY_IP_HEADER", default="").strip()
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)


def _meta_key(header: str) -> str:
    """X-Forwarded-For, HTTP_X_FORWARDED_FOR and x_forwarded_for all name one META key."""
    key = header.upper().replace("-", "_")
    return key if key == "REMOTE_ADDR" or key.startswith("HTTP_") else f"HTTP_{key}"


if TRUSTED_PROXY_IP_HEADER:
    AXES_IPWARE_META_PRECEDENCE_ORDER = (_meta_key(TRUSTED_PROXY_IP_HEADER),)
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
AXES_IPWARE_PROXY_ORDER = "left-most"
# A header with more hops than TRUSTED_PROXY_COUNT (a client behind its own proxy, or one
# that adds addresses of its own) still yields the address our proxy saw, counted from
# the right; strict mode would drop such headers and leave the address unknown.
IPWARE_STRICT = False

# Uploads: files above the memory limit go to a temp file; the import limit is our own.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Spreadsheet imports: hostile files are refused before they cost memory.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int(
    "IMPORT_MAX_UNCOMPRESSED_BYTES", default=4 * 1024 * 1024 * 1024
)
IMPORT_MAX_COMPRESSION_RATIO = env.int("IMPORT_MAX_COMPRESSION_RATIO", default=200)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_100_000)
IMPORT_BATCH_SIZE = env.int("IMPORT_BATCH_SIZE", default=5000)
# How much sheet XML calamine holds at once (a sheet is read a piece at a time);
# 0 reads every sheet with openpyxl's streaming reader instead.
IMPORT_CALAMINE_MAX_XML_BYTES = env.int("IMPORT_CALAMINE_MAX_XML_BYTES", default=200 * 1024 * 1024)
# Sheets above this size are read and parsed by a child process while this one
# checks and writes (two cores at work); IMPORT_PARALLEL=false turns that off.
IMPORT_PARALLEL = env.bool("IMPORT_PARALLEL", default=True)
IMPORT_PARALLEL_MIN_BYTES = env.int("IMPORT_PARALLEL_MIN_BYTES", default=2 * 1024 * 1024)
# fork | forkserver | spawn; empty: fork when the process has one thread, else spawn.
IMPORT_PARALLEL_START_METHOD = env.str("IMPORT_PARALLEL_START_METHOD", default="")

# Admin list exports ("Export to Excel") are written during the request: past this many
# rows the user is asked to narrow the filters. 50,000 rows of the 22-column policy list
# take 5-15 s to write on one core, inside a web worker's timeout; bigger extracts
# belong to a background job.
EXPORT_MAX_ROWS = env.int("EXPORT_MAX_ROWS", default=50_000)
# Suppliers ship a physical gift within this many mainland working days (weekends and
# public holidays not counted); past it the item is flagged overdue in the portal and
# on the staff's overdue list.
SHIPMENT_SLA_WORKING_DAYS = env.int("SHIPMENT_SLA_WORKING_DAYS", default=3)

# Providers: a contract ending within this many days is flagged (list and page); their
# documents (contract, licence: PDF, JPEG or PNG by content) may be at most this big.
PROVIDER_CONTRACT_WARNING_DAYS = env.int("PROVIDER_CONTRACT_WARNING_DAYS", default=30)
PROVIDER_DOCUMENT_MAX_BYTES = env.int("PROVIDER_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Tasks run inline unless a broker is configured (later issues move imports to Celery).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
POLICY_SOURCE_URL = env.str("POLICY_SOURCE_URL", default="")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

harden_xml_parsing()
