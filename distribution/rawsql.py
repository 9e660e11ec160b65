"""Hand-written SQL for the counter page's hottest reads, and the conversions it needs.

Building a queryset with subqueries costs the ORM 1-3 ms of Python per query, ten
times what PostgreSQL takes to answer it; the workbench page runs a few such reads
on every look-up. The SQL names tables and columns as Django's defaults
spell them (the tests run it on SQLite and PostgreSQL, so a rename breaks loudly);
these helpers turn what SQLite returns (floats, ISO strings) into the Decimals and
dates the ORM would have given.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime

CENT = Decimal("0.01")


def placeholders(values) -> str:
    """``%s, %s, ...`` for an IN list (never empty: callers check)."""
    return ", ".join(["%s"] * len(values))


def date_param(value: date | None):
    return connection.ops.adapt_datefield_value(value)


def money(value) -> Decimal | None:
    """A DECIMAL(.., 2) column or sum as a Decimal (SQLite gives int or float)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(CENT)


def day(value) -> date | None:
    """A DATE column as a date (SQLite gives 'YYYY-MM-DD')."""
    if value is None or isinstance(value, date):
        return value
    return parse_date(value)


def moment(value) -> datetime | None:
    """A DATETIME column as an aware datetime (SQLite gives a UTC string)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def membership(queryset, column_sql: str) -> tuple[str, list]:
    """``column IN (<queryset's pks>)`` as SQL and parameters, so a hand-written query can
    keep what ``giftplatform.access.restrict`` decided without restating it."""
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:  # restrict() gave .none()
        return "(1 = 0)", []
    return f"{column_sql} IN ({sql})", list(params)


def fetch_all(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
