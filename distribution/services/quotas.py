"""Pool counters, consumed and returned by conditional updates in the caller's transaction."""

from datetime import date
from decimal import Decimal

from django.db.models import F

from distribution.models import Quota, QuotaUsage


class PoolExhausted(Exception):
    def __init__(self, quota: Quota, used: Decimal, amount: Decimal):
        super().__init__(quota.code)
        self.quota, self.used, self.amount = quota, used, amount


def pool_consume(*, quota: Quota, period_start: date, amount: Decimal) -> None:
    """Add ``amount`` to the pool's period counter unless that would pass the limit.

    The ``used + amount <= limit`` test and the increment are one UPDATE, so two
    concurrent hand-outs can never both take the last of a pool.
    """
    QuotaUsage.objects.bulk_create(
        [QuotaUsage(quota=quota, period_start=period_start, used=0)], ignore_conflicts=True
    )
    taken = QuotaUsage.objects.filter(
        quota=quota, period_start=period_start, used__lte=quota.limit - amount
    ).update(used=F("used") + amount)
    if not taken:
        used = QuotaUsage.objects.get(quota=quota, period_start=period_start).used
        raise PoolExhausted(quota, used, amount)


def pool_return(*, quota_id: int, period_start: date, amount: Decimal) -> None:
    QuotaUsage.objects.filter(quota_id=quota_id, period_start=period_start).update(
        used=F("used") - amount
    )
