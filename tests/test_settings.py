"""Settings from the environment, checked in fresh processes as an operator would start them."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every variable settings.py reads; a test starts from none of them set.
CONFIG_VARS = [
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests, never by an operator
    "DJANGO_ENV",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "CSRF_TRUSTED_ORIGINS",
    "MEDIA_ROOT",
    "IMPORT_MAX_UPLOAD_BYTES",
    "IMPORT_MAX_UNCOMPRESSED_BYTES",
    "IMPORT_MAX_COMPRESSION_RATIO",
    "IMPORT_MAX_ROWS",
    "IMPORT_BATCH_SIZE",
    "IMPORT_CALAMINE_MAX_XML_BYTES",
    "IMPORT_PARALLEL",
    "IMPORT_PARALLEL_MIN_BYTES",
    "IMPORT_PARALLEL_START_METHOD",
    "CELERY_BROKER_URL",
    "POLICY_SOURCE_URL",
    "LOG_LEVEL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
]

SHOW_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
}))
"""

pytestmark = pytest.mark.skipif(
    (ROOT / ".env").exists(), reason="a local .env supplies settings these tests assume unset"
)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, no shell
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "gift.example.com",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def test_production_passes_the_deployment_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_is_not_debug_and_cookies_are_secure():
    result = manage("shell", "-c", SHOW_SETTINGS, **production())

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] >= 31536000


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    result = manage("check", "--deploy", **production(**{missing: None}))

    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_an_empty_secret_key():
    result = manage("check", "--deploy", **production(SECRET_KEY=""))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_with_nothing_set_debug_is_on_and_the_database_is_sqlite_under_var():
    result = manage("shell", "-c", SHOW_SETTINGS)

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["DEBUG"] is True
    assert shown["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(shown["NAME"]).parent == ROOT / "var"
    assert shown["SESSION_COOKIE_SECURE"] is False
