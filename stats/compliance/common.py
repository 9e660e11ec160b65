"""The compliance views of the statistics: reads only, each starting from
``giftplatform.access.restrict`` (a 福田 analyst never counts a 南山 row).

Four checks over the live hand-outs (cancelled and rejected ones left out):

* gift value against premium per policy, per product, against the premium-ratio quotas
  the user may see (their warning and hard levels are the branch's own risk control,
  never a "legal" figure);
* cash-equivalent gifts handed out (expected none);
* contract-service uses handed out and redeemed against what the policies hold;
* hand-outs taxed as casual income (偶然所得), per recipient and local month.

Every sum is made in SQL, in a fixed number of queries whatever the rows: a per-policy
(or per policy and service) grouped query is wrapped as a derived table and summed
around it, as ``stats.selectors._reach`` does. Money is compared in integer cents so
SQLite's floating-point decimals and PostgreSQL's numerics give the same answers at the
very boundaries the engine checks (``distribution.quota_math``).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, Round

from giftplatform.models import Branch
from stats.selectors import StatsQuery, local_start

CENT = Decimal("0.01")
CASUAL_INCOME_RATE = Decimal("0.20")  # as distribution.services.handout withholds
LIST_LIMIT = 200  # rows listed per finding; the counts always cover them all
WORST_LIMIT = 20


@dataclass(frozen=True)
class ComplianceQuery:
    date_from: date
    date_to: date  # inclusive, local days
    branch: Branch | None = None
    product: str = ""

    def period(self, *, from_start: bool = True) -> StatsQuery:
        """The live lines of the filters; ``from_start=False``: everything up to the end."""
        return StatsQuery(
            date_from=self.date_from if from_start else None,
            date_to=self.date_to,
            branch=self.branch,
            product=self.product,
        )

    @property
    def end(self) -> datetime:
        return local_start(date.fromordinal(self.date_to.toordinal() + 1))


def cents(value) -> Decimal:
    return (Decimal(value or 0) / 100).quantize(CENT)


def as_int(value) -> int:
    return int(value or 0)


def sql_of(queryset: QuerySet) -> tuple[str, tuple] | None:
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


def fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def cents_of(path: str):
    """A money column in integer cents (exact on SQLite, whose decimals are floats)."""
    return Cast(Round(F(path) * 100), BigIntegerField())


LINE_CENTS = F("quantity") * cents_of("unit_value")


def cents_sum(lines: Q | None = None):
    """The lines' face value in cents, as an integer: PostgreSQL sums bigints into a
    numeric, whose division would not be the integer division the buckets rely on."""
    return Cast(Sum(LINE_CENTS, filter=lines, output_field=BigIntegerField()), BigIntegerField())


def money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)
