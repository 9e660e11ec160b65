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
    "DATABASE_PREPARED_STATEMENTS",
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
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "TRUSTED_PROXY_IP_HEADER",
    "TRUSTED_PROXY_COUNT",
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


SHOW_SIGN_IN_SETTINGS = """
import json
from django.conf import settings
from django.test import RequestFactory
from axes.helpers import get_client_ip_address
cool_off = settings.AXES_COOLOFF_TIME
request = RequestFactory().get(
    "/", REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="203.0.113.99, 198.51.100.7",
    HTTP_X_REAL_IP="198.51.100.9",
)
print(json.dumps({
    "limit": settings.AXES_FAILURE_LIMIT,
    "cool_off_minutes": cool_off.total_seconds() / 60 if cool_off else None,
    "headers": list(settings.AXES_IPWARE_META_PRECEDENCE_ORDER),
    "client_ip": get_client_ip_address(request),
}))
"""


def sign_in_settings(**env: str) -> dict:
    result = manage("shell", "-c", SHOW_SIGN_IN_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sign_in_lock_out_defaults_believe_only_the_connection_address():
    shown = sign_in_settings()

    assert shown["limit"] == 5
    assert shown["cool_off_minutes"] == 30
    assert shown["headers"] == ["REMOTE_ADDR"]
    assert shown["client_ip"] == "10.0.0.254"


def test_sign_in_lock_out_from_the_environment():
    shown = sign_in_settings(AXES_FAILURE_LIMIT="8", AXES_COOLOFF_TIME="0")

    assert shown["limit"] == 8
    assert shown["cool_off_minutes"] is None  # locked until an administrator unlocks


@pytest.mark.parametrize(
    ("header", "count", "client_ip"),
    [
        ("X-Forwarded-For", "0", "198.51.100.7"),
        ("HTTP_X_FORWARDED_FOR", "1", "203.0.113.99"),
        ("X-Real-IP", "0", "198.51.100.9"),
    ],
)
def test_behind_a_proxy_the_client_address_comes_from_the_trusted_header(header, count, client_ip):
    shown = sign_in_settings(TRUSTED_PROXY_IP_HEADER=header, TRUSTED_PROXY_COUNT=count)

    assert len(shown["headers"]) == 1  # that header only: no fallback to another
    assert shown["client_ip"] == client_ip


@pytest.mark.django_db
def test_postgresql_plans_a_repeated_statement_once_per_connection():
    """Prepared statements (DATABASE_PREPARED_STATEMENTS, on by default): a statement the
    connection runs again and again is prepared on the server."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    from policies.models import Policy

    for pk in range(8):
        list(Policy.objects.filter(pk=pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("policies_policy" in statement for statement in prepared)


@pytest.mark.django_db
def test_bulk_work_can_run_with_statements_not_prepared():
    from django.db import connection

    from giftplatform.db import statements_not_prepared
    from policies.models import Policy

    if connection.vendor != "postgresql":
        with statements_not_prepared():  # nothing to switch: still runs the block
            assert list(Policy.objects.filter(pk=-1)) == []
        return
    connection.ensure_connection()
    before = connection.connection.prepare_threshold
    probe = "SELECT 1 /* unprepared-probe */ WHERE %s = %s"
    with statements_not_prepared(), connection.cursor() as cursor:
        assert connection.connection.prepare_threshold is None
        for _ in range(8):
            cursor.execute(probe, [1, 1])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert not any("unprepared-probe" in statement for statement in prepared)
    assert connection.connection.prepare_threshold == before
    with connection.cursor() as cursor:  # and once the block is over, it is prepared again
        for _ in range(8):
            cursor.execute(probe, [1, 1])
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        assert any("unprepared-probe" in row[0] for row in cursor.fetchall())
