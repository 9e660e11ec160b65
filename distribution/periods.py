"""Pool periods, cut in local (Asia/Shanghai) time, not UTC."""

from datetime import date, datetime

from django.utils import timezone

ALL_TIME_START = date(2000, 1, 1)


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def period_start(period: str, moment: datetime) -> date | None:
    """The first day of the pool period holding ``moment``; None for per-policy quotas."""
    day = local_date(moment)
    if period == "day":
        return day
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if period == "year":
        return date(day.year, 1, 1)
    if period == "all":
        return ALL_TIME_START
    return None
