"""Gift value against premium per policy, per product, against the premium-ratio quotas."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    F,
    IntegerField,
    Max,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from distribution.models import (
    Quota,
    QuotaBasis,
    QuotaStatus,
)
from giftplatform.access import reaching
from giftplatform.models import Branch
from policies.models import Policy, Product
from stats.compliance.common import (
    CENT,
    WORST_LIMIT,
    ComplianceQuery,
    as_int,
    cents,
    cents_of,
    cents_sum,
    fetch,
    quoted,
    sql_of,
)
from stats.selectors import items_for

# ----------------------------------------------------------------- premium ratio


@dataclass
class QuotaLevels:
    """One premium-ratio quota as the page shows it, with the policies it flags."""

    quota: Quota
    warn_level: Decimal  # percent of premium at which it warns
    policies: int = 0  # policies of the product in its branch scope
    at_warning: int = 0  # at or above the warning level (hard level included)
    above_hard: int = 0


@dataclass
class WorstPolicy:
    policy: Policy
    value: Decimal
    premium: Decimal
    ratio: Decimal | None  # percent; None for a zero premium
    zone: int  # 0 below every warning, 1 at a warning level, 2 above a hard level


@dataclass
class ProductRatios:
    product: str
    label: str
    quotas: list[QuotaLevels]
    top: int  # the last bucket holds every ratio from ``top`` percent up
    buckets: dict[tuple[int, int], int] = field(default_factory=dict)  # (bucket, zone) -> n
    policies: int = 0
    value: Decimal = Decimal("0.00")
    premium: Decimal = Decimal("0.00")
    at_warning: int = 0  # at a warning level of at least one quota (or above a hard one)
    above_hard: int = 0
    worst: list[WorstPolicy] = field(default_factory=list)

    @property
    def ratio(self) -> Decimal | None:
        """Face value / premium over all the policies, in percent."""
        return (self.value * 100 / self.premium).quantize(CENT) if self.premium else None

    def histogram(self) -> list[tuple[int, int, int, int]]:
        """(bucket, below warning, at warning, above hard) from 0 % to ``top`` %, then the
        zero-premium bucket (-1) if any."""
        rows = []
        wanted = list(range(self.top + 1))
        if any(b == -1 for b, _zone in self.buckets):
            wanted.append(-1)
        for bucket in wanted:
            rows.append((bucket, *(self.buckets.get((bucket, zone), 0) for zone in (0, 1, 2))))
        return rows


def premium_ratio_quotas(*, user, branch: Branch | None = None) -> list[Quota]:
    """The premium-ratio quotas in effect that apply to policies of the user's subtree (or
    of ``branch`` in it), whoever owns them, as the engine applies them: one query. A
    quota owned above the user still caps their policies, so hiding it would show a
    policy over its hard level as below every warning."""
    quotas = reaching(Quota.objects.all(), user, "scope_branch", within=branch).filter(
        status=QuotaStatus.ACTIVE, basis=QuotaBasis.PREMIUM_RATIO
    )
    return list(quotas.select_related("scope_branch", "scope_gift").order_by("code"))


def _basis_points(value: Decimal) -> int:
    """A 2-decimal percent as an integer number of hundredths (10.50 -> 1050)."""
    return int((Decimal(value) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _policy_table(user, query: ComplianceQuery, product: str, quotas: list[Quota]):
    """Per policy of ``product`` with a live hand-out in the period: its live face value up
    to the period's end (all lines, and the lines in each quota's rule/gift scope), its
    premium and whether its branch lies in each quota's branch scope."""
    narrowed = ComplianceQuery(query.date_from, query.date_to, query.branch, product)
    reached = items_for(user, narrowed.period()).values("distribution__policy_id")
    items = items_for(user, narrowed.period(from_start=False)).filter(
        distribution__policy_id__in=reached
    )
    columns = {
        "premium_cents": Max(cents_of("distribution__policy__premium")),
        "value_cents": cents_sum(),
    }
    for n, quota in enumerate(quotas):
        lines = Q()
        if quota.scope_rule_code:
            lines &= Q(distribution__rule_code=quota.scope_rule_code)
        if quota.scope_gift_id:
            lines &= Q(gift_id=quota.scope_gift_id)
        columns[f"v{n}"] = Coalesce(cents_sum(lines or None), 0)
        scope = quota.scope_branch.path if quota.scope_branch_id else ""
        columns[f"in{n}"] = Max(
            Case(
                When(distribution__policy__branch__path__startswith=scope, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    return (
        items.annotate(policy_ref=F("distribution__policy_id"))
        .values("policy_ref")
        .annotate(**columns)
    )


def _zones_sql(inner: str, quotas: list[Quota], top: int) -> str:
    """The per-policy table with its ratio bucket, zone and per-quota flags.

    Integers only: the CNY ceiling is ``premium * limit / 100`` rounded half up to the
    cent, as ``quota_math.premium_ratio_limit``; a quota warns from ``warn_percent`` of
    it and is above its hard level past it, each only for a positive amount."""
    value, premium = quoted("value_cents"), quoted("premium_cents")
    flags, warns, hards = [], [], []
    for n, quota in enumerate(quotas):
        limit_bp, warn_bp = _basis_points(quota.limit), _basis_points(quota.warn_percent)
        v, inside = quoted(f"v{n}"), quoted(f"in{n}")
        ceiling = (
            f"(CASE WHEN {premium} > 0 THEN ({premium} * {limit_bp} + 5000) / 10000 ELSE 0 END)"
        )
        warn = f"({inside} = 1 AND {v} > 0 AND {v} * 10000 >= {warn_bp} * {ceiling})"
        hard = f"({inside} = 1 AND {v} > 0 AND {v} > {ceiling})"
        warns.append(warn)
        hards.append(hard)
        flags += [
            f"{inside} AS {quoted(f'in{n}')}",
            f"CASE WHEN {warn} THEN 1 ELSE 0 END AS {quoted(f'w{n}')}",
            f"CASE WHEN {hard} THEN 1 ELSE 0 END AS {quoted(f'h{n}')}",
        ]
    zone = "0"
    if quotas:
        zone = f"CASE WHEN {' OR '.join(hards)} THEN 2 WHEN {' OR '.join(warns)} THEN 1 ELSE 0 END"
    bucket = (
        f"CASE WHEN {premium} <= 0 THEN -1 WHEN {value} * 100 >= {top} * {premium} THEN {top}"
        f" ELSE ({value} * 100) / {premium} END"
    )
    selected = ", ".join(
        [
            quoted("policy_ref"),
            value,
            premium,
            f"{bucket} AS {quoted('bucket')}",
            f"{zone} AS {quoted('zone')}",
            *flags,
        ]
    )
    return f"SELECT {selected} FROM ({inner}) per_policy"  # noqa: S608 - our own aliases


def _top(quotas: list[Quota]) -> int:
    highest = max((int(q.limit) + 1 for q in quotas), default=10)
    return min(max(10, highest + 5), 100)


def premium_ratios(
    *, user, query: ComplianceQuery, worst_limit: int = WORST_LIMIT
) -> list[ProductRatios]:
    """Per product (or the one filtered): the distribution of gift value / premium over the
    policies reached in the period, against the premium-ratio quotas that apply to it, and
    its ``worst_limit`` highest ratios. Queries: one for the quotas, three per product, one
    for the worst policies' rows."""
    all_quotas = premium_ratio_quotas(user=user, branch=query.branch)
    products = [query.product] if query.product else list(Product.values)
    labels = dict(Product.choices)
    found, worst_refs = [], {}
    for product in products:
        quotas = [q for q in all_quotas if q.scope_product in ("", product)]
        result = ProductRatios(
            product=product,
            label=str(labels[product]),
            quotas=[
                QuotaLevels(quota=q, warn_level=(q.limit * q.warn_percent / 100).quantize(CENT))
                for q in quotas
            ],
            top=_top(quotas),
        )
        found.append(result)
        compiled = sql_of(_policy_table(user, query, product, quotas))
        if compiled is None:
            continue
        inner, params = compiled
        zoned = _zones_sql(inner, quotas, result.top)
        bucket, zone = quoted("bucket"), quoted("zone")
        grouped = f"SELECT {bucket}, {zone}, COUNT(*) FROM ({zoned}) z GROUP BY {bucket}, {zone}"  # noqa: S608
        for b, z, n in fetch(grouped, params):
            result.buckets[(int(b), int(z))] = result.buckets.get((int(b), int(z)), 0) + int(n)
        sums = [
            "COUNT(*)",
            f"SUM({quoted('value_cents')})",
            f"SUM({quoted('premium_cents')})",
            f"SUM(CASE WHEN {zone} >= 1 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {zone} = 2 THEN 1 ELSE 0 END)",
        ]
        for n in range(len(quotas)):
            sums += [f"SUM({quoted(f'{flag}{n}')})" for flag in ("in", "w", "h")]
        row = fetch(f"SELECT {', '.join(sums)} FROM ({zoned}) z", params)[0]  # noqa: S608
        result.policies, result.at_warning, result.above_hard = (
            as_int(row[0]),
            as_int(row[3]),
            as_int(row[4]),
        )
        result.value, result.premium = cents(row[1]), cents(row[2])
        for n, levels in enumerate(result.quotas):
            levels.policies, levels.at_warning, levels.above_hard = (
                as_int(v) for v in row[5 + 3 * n : 8 + 3 * n]
            )
        value, premium = quoted("value_cents"), quoted("premium_cents")
        ranked = (
            f"SELECT {quoted('policy_ref')}, {value}, {premium}, {zone} FROM ({zoned}) z"  # noqa: S608
            f" ORDER BY CASE WHEN {premium} > 0 THEN 0 ELSE 1 END DESC,"
            f" CASE WHEN {premium} > 0 THEN {value} * 1.0 / {premium} END DESC,"
            f" {quoted('policy_ref')} LIMIT {int(worst_limit)}"
        )
        worst_refs[product] = fetch(ranked, params)
    policies = Policy.objects.select_related("branch").in_bulk(
        [row[0] for rows in worst_refs.values() for row in rows]
    )
    for result in found:
        for ref, value, premium, zone in worst_refs.get(result.product, []):
            value, premium = cents(value), cents(premium)
            result.worst.append(
                WorstPolicy(
                    policy=policies[ref],
                    value=value,
                    premium=premium,
                    ratio=(value * 100 / premium).quantize(CENT) if premium > 0 else None,
                    zone=int(zone),
                )
            )
    return found
