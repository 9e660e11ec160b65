"""The overview page's reads: this period against the one before, quota pools and their
burn-down, physical stock, voucher issue and redemption. Each is one or two queries
whatever the rows, and each starts from ``giftplatform.access.restrict``.

A drill-down branch narrows every read after ``restrict`` (never instead of it):

- hand-out figures: hand-outs booked in the branch's subtree;
- quota pools and low stock: rows *in or over* the branch, that is owned by a branch of
  its subtree, by the branch itself or one of its ancestors, or by no branch (all
  branches). A pool of 深圳 caps 福田's hand-outs and a gift of 深圳 is handed out by
  福田, so drilling into 福田 keeps them; a sibling's (南山's) are left out;
- vouchers: a code issued to a hand-out line counts where that hand-out was booked (the
  branch's subtree); a code never issued (available, void, expired) counts for the
  gifts in reach of the branch (in or over it, as above), since any of them may still
  go to the branch.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q

from distribution.models import DistributionItem, Quota, QuotaPeriod, QuotaStatus, QuotaUsage
from distribution.periods import ALL_TIME_START, period_start
from giftplatform.access import in_or_over, restrict
from giftplatform.models import Branch
from gifts.models import Gift, GiftKind, VoucherCode, VoucherStatus
from stats.selectors import StatsQuery, grouped

CENT = Decimal("0.01")
OVERVIEW_MEASURES = ("count", "units", "value", "cost")


@dataclass(frozen=True)
class Comparison:
    measure: str
    current: object
    previous: object

    @property
    def change_percent(self) -> Decimal | None:
        if not self.previous:
            return None
        return (Decimal(self.current - self.previous) * 100 / Decimal(self.previous)).quantize(
            Decimal("0.1")
        )


def previous_range(date_from: date, date_to: date) -> tuple[date, date]:
    """The period of the same length just before ``date_from``..``date_to``."""
    length = (date_to - date_from).days + 1
    return date_from - timedelta(days=length), date_from - timedelta(days=1)


def overview(*, user, date_from: date, date_to: date, branch=None) -> list[Comparison]:
    """Distributions, units, value and cost in the range and in the one before."""
    earlier_from, earlier_to = previous_range(date_from, date_to)
    now = grouped(
        user=user,
        query=StatsQuery(date_from=date_from, date_to=date_to, branch=branch),
    ).total
    before = grouped(
        user=user,
        query=StatsQuery(date_from=earlier_from, date_to=earlier_to, branch=branch),
    ).total
    return [Comparison(m, now[m], before[m]) for m in OVERVIEW_MEASURES]


def period_end(period: str, start: date) -> date | None:
    """The last day of the pool period starting ``start`` (None: all time)."""
    if period == QuotaPeriod.DAY:
        return start
    months = {QuotaPeriod.MONTH: 1, QuotaPeriod.QUARTER: 3, QuotaPeriod.YEAR: 12}.get(period)
    if months is None:
        return None
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


@dataclass(frozen=True)
class PoolUse:
    quota: Quota
    period_start: date
    period_end: date | None
    used: Decimal
    percent: Decimal
    level: str  # "ok" | "warn" | "full"
    runs_out_on: date | None  # at the pace so far; None when it lasts the period


def quota_pools(*, user, today: date, moment, branch: Branch | None = None) -> list[PoolUse]:
    """The pools in force the user may see, in or over ``branch`` when given (see the
    module docstring), with this period's use: two queries."""
    quotas = (
        restrict(Quota.objects.all(), user, "view")
        .filter(status=QuotaStatus.ACTIVE)
        .exclude(period=QuotaPeriod.POLICY)
    )
    if branch is not None:
        quotas = quotas.filter(in_or_over(branch))
    quotas = list(quotas.order_by("code"))
    starts = {q.pk: period_start(q.period, moment) for q in quotas}
    wanted = Q(pk__in=[])
    for quota_id, start in starts.items():
        wanted |= Q(quota_id=quota_id, period_start=start)
    used = dict(QuotaUsage.objects.filter(wanted).values_list("quota_id", "used")) if quotas else {}
    return [_pool(q, starts[q.pk], used.get(q.pk, Decimal(0)), today) for q in quotas]


def _pool(quota: Quota, start: date, used: Decimal, today: date) -> PoolUse:
    limit = quota.limit
    percent = (used * 100 / limit).quantize(CENT) if limit else Decimal(100)
    level = "full" if percent >= 100 else "warn" if percent >= quota.warn_percent else "ok"
    end = period_end(quota.period, start)
    first = start if start != ALL_TIME_START else quota.created_at.date()
    return PoolUse(
        quota=quota,
        period_start=start,
        period_end=end,
        used=used,
        percent=percent,
        level=level,
        runs_out_on=burn_down(used, limit, first, today, end),
    )


def burn_down(used: Decimal, limit: Decimal, first: date, today: date, end: date | None):
    """The day the pool runs out at the average pace since ``first`` (today counted);
    None if nothing was used or the pool outlasts its period."""
    if used >= limit:
        return today
    days = (today - first).days + 1
    if used <= 0 or days <= 0:
        return None
    pace = used / days
    runs_out = today + timedelta(days=int((limit - used) / pace))
    return None if end is not None and runs_out > end else runs_out


def low_stock(*, user, limit: int = 50, branch: Branch | None = None) -> tuple[list[Gift], int]:
    """Active physical gifts at or under their low-stock threshold (worst first), and how
    many physical gifts are tracked, in or over ``branch`` when given (see the module
    docstring): two queries."""
    gifts = restrict(Gift.objects.all(), user, "view").filter(
        kind=GiftKind.PHYSICAL, is_active=True
    )
    if branch is not None:
        gifts = gifts.filter(in_or_over(branch))
    low = gifts.filter(stock__lte=F("low_stock_threshold")).select_related("provider")
    return list(low.order_by("stock", "code")[:limit]), gifts.count()


@dataclass(frozen=True)
class VoucherRates:
    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def handed_out(self) -> int:
        return self.by_status.get(VoucherStatus.ISSUED, 0) + self.by_status.get(
            VoucherStatus.REDEEMED, 0
        )

    @property
    def issue_rate(self) -> Decimal | None:
        return _rate(self.handed_out, self.total)

    @property
    def redemption_rate(self) -> Decimal | None:
        return _rate(self.by_status.get(VoucherStatus.REDEEMED, 0), self.handed_out)


def _rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def voucher_rates(*, user, branch: Branch | None = None) -> VoucherRates:
    """Voucher codes by status in the user's scope: one query. With ``branch``: the codes
    issued to hand-out lines booked in its subtree, and the codes never issued to a line
    of gifts in reach of it (owned in or over it, or by no branch)."""
    codes = restrict(VoucherCode.objects.all(), user, "view")
    if branch is not None:
        lines = DistributionItem.objects.filter(voucher=OuterRef("pk"))
        booked_here = lines.filter(distribution__branch__path__startswith=branch.path)
        codes = codes.filter(
            Exists(booked_here) | (~Exists(lines) & in_or_over(branch, "gift__branch"))
        )
    rows = codes.order_by().values_list("status").annotate(n=Count("pk"))
    return VoucherRates(by_status=dict(rows))
