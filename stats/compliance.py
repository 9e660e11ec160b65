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
around it, as ``stats.selectors._premiums`` does. Money is compared in integer cents so
SQLite's floating-point decimals and PostgreSQL's numerics give the same answers at the
very boundaries the engine checks (``distribution.quota_math``).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Round, Trunc

from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    ItemStatus,
    Quota,
    QuotaBasis,
    QuotaStatus,
    TaxTreatment,
)
from giftplatform.access import restrict
from giftplatform.models import Branch
from gifts.models import ContractService
from policies.models import Policy, Product
from stats.dimensions import LOCAL
from stats.selectors import StatsQuery, items_for, local_start

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


def _int(value) -> int:
    return int(value or 0)


def _sql(queryset: QuerySet) -> tuple[str, tuple] | None:
    try:
        return queryset.query.sql_with_params()
    except EmptyResultSet:
        return None


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _cents_of(path: str):
    """A money column in integer cents (exact on SQLite, whose decimals are floats)."""
    return Cast(Round(F(path) * 100), BigIntegerField())


LINE_CENTS = F("quantity") * _cents_of("unit_value")


def _cents_sum(lines: Q | None = None):
    """The lines' face value in cents, as an integer: PostgreSQL sums bigints into a
    numeric, whose division would not be the integer division the buckets rely on."""
    return Cast(Sum(LINE_CENTS, filter=lines, output_field=BigIntegerField()), BigIntegerField())


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


def premium_ratio_quotas(*, user) -> list[Quota]:
    """The premium-ratio quotas in effect that the user may see: one query."""
    quotas = restrict(Quota.objects.all(), user, "view").filter(
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
        "premium_cents": Max(_cents_of("distribution__policy__premium")),
        "value_cents": _cents_sum(),
    }
    for n, quota in enumerate(quotas):
        lines = Q()
        if quota.scope_rule_code:
            lines &= Q(distribution__rule_code=quota.scope_rule_code)
        if quota.scope_gift_id:
            lines &= Q(gift_id=quota.scope_gift_id)
        columns[f"v{n}"] = Coalesce(_cents_sum(lines or None), 0)
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
    value, premium = _q("value_cents"), _q("premium_cents")
    flags, warns, hards = [], [], []
    for n, quota in enumerate(quotas):
        limit_bp, warn_bp = _basis_points(quota.limit), _basis_points(quota.warn_percent)
        v, inside = _q(f"v{n}"), _q(f"in{n}")
        ceiling = (
            f"(CASE WHEN {premium} > 0 THEN ({premium} * {limit_bp} + 5000) / 10000 ELSE 0 END)"
        )
        warn = f"({inside} = 1 AND {v} > 0 AND {v} * 10000 >= {warn_bp} * {ceiling})"
        hard = f"({inside} = 1 AND {v} > 0 AND {v} > {ceiling})"
        warns.append(warn)
        hards.append(hard)
        flags += [
            f"{inside} AS {_q(f'in{n}')}",
            f"CASE WHEN {warn} THEN 1 ELSE 0 END AS {_q(f'w{n}')}",
            f"CASE WHEN {hard} THEN 1 ELSE 0 END AS {_q(f'h{n}')}",
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
            _q("policy_ref"),
            value,
            premium,
            f"{bucket} AS {_q('bucket')}",
            f"{zone} AS {_q('zone')}",
            *flags,
        ]
    )
    return f"SELECT {selected} FROM ({inner}) per_policy"  # noqa: S608 - our own aliases


def _top(quotas: list[Quota]) -> int:
    highest = max((int(q.limit) + 1 for q in quotas), default=10)
    return min(max(10, highest + 5), 100)


def premium_ratios(*, user, query: ComplianceQuery) -> list[ProductRatios]:
    """Per product (or the one filtered): the distribution of gift value / premium over the
    policies reached in the period, against the premium-ratio quotas that apply to it.
    Queries: one for the quotas, three per product, one for the worst policies' rows."""
    all_quotas = premium_ratio_quotas(user=user)
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
        compiled = _sql(_policy_table(user, query, product, quotas))
        if compiled is None:
            continue
        inner, params = compiled
        zoned = _zones_sql(inner, quotas, result.top)
        bucket, zone = _q("bucket"), _q("zone")
        grouped = f"SELECT {bucket}, {zone}, COUNT(*) FROM ({zoned}) z GROUP BY {bucket}, {zone}"  # noqa: S608
        for b, z, n in _fetch(grouped, params):
            result.buckets[(int(b), int(z))] = result.buckets.get((int(b), int(z)), 0) + int(n)
        sums = [
            "COUNT(*)",
            f"SUM({_q('value_cents')})",
            f"SUM({_q('premium_cents')})",
            f"SUM(CASE WHEN {zone} >= 1 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {zone} = 2 THEN 1 ELSE 0 END)",
        ]
        for n in range(len(quotas)):
            sums += [f"SUM({_q(f'{flag}{n}')})" for flag in ("in", "w", "h")]
        row = _fetch(f"SELECT {', '.join(sums)} FROM ({zoned}) z", params)[0]  # noqa: S608
        result.policies, result.at_warning, result.above_hard = (
            _int(row[0]),
            _int(row[3]),
            _int(row[4]),
        )
        result.value, result.premium = cents(row[1]), cents(row[2])
        for n, levels in enumerate(result.quotas):
            levels.policies, levels.at_warning, levels.above_hard = (
                _int(v) for v in row[5 + 3 * n : 8 + 3 * n]
            )
        value, premium = _q("value_cents"), _q("premium_cents")
        ranked = (
            f"SELECT {_q('policy_ref')}, {value}, {premium}, {zone} FROM ({zoned}) z"  # noqa: S608
            f" ORDER BY CASE WHEN {premium} > 0 THEN 0 ELSE 1 END DESC,"
            f" CASE WHEN {premium} > 0 THEN {value} * 1.0 / {premium} END DESC,"
            f" {_q('policy_ref')} LIMIT {WORST_LIMIT}"
        )
        worst_refs[product] = _fetch(ranked, params)
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


# ----------------------------------------------------------------- cash equivalents


@dataclass
class CashEquivalents:
    lines: int
    distributions: int
    value: Decimal
    listed: list[dict]


def cash_equivalents(*, user, query: ComplianceQuery) -> CashEquivalents:
    """Live hand-out lines of cash-equivalent gifts in the period (expected none): two
    queries, the list capped at ``LIST_LIMIT`` lines, the newest first."""
    items = items_for(user, query.period()).filter(gift__category__is_cash_equivalent=True)
    total = items.aggregate(
        lines=Count("pk"),
        distributions=Count("distribution_id", distinct=True),
        value=Sum(LINE_CENTS, output_field=BigIntegerField()),
    )
    listed = list(
        items.annotate(line_cents=LINE_CENTS)
        .values(
            "distribution_id",
            "distribution__number",
            "distribution__policy_id",
            "distribution__policy__policy_no",
            "gift__name",
            "gift__category__name",
            "quantity",
            "line_cents",
            "distribution__created_at",
            "distribution__branch__name",
        )
        .order_by("-distribution__created_at", "-pk")[:LIST_LIMIT]
    )
    for row in listed:
        row["value"] = cents(row.pop("line_cents"))
    return CashEquivalents(
        lines=total["lines"] or 0,
        distributions=total["distributions"] or 0,
        value=cents(total["value"]),
        listed=listed,
    )


# ----------------------------------------------------------------- contract services


@dataclass
class ServiceUses:
    service: str
    label: str
    policies: int = 0
    entitled: int = 0
    handed_out: int = 0  # live, up to the period's end
    in_period: int = 0
    redeemed: int = 0
    overused: int = 0  # policies handed out more than they hold


@dataclass
class ContractUses:
    services: list[ServiceUses]
    overuse: list[dict]


def _entitlement():
    """The policy's uses of the line's own service, from its contract_services JSON."""
    return Coalesce(
        Case(
            *(
                When(
                    contract_service=service,
                    then=Cast(
                        KeyTextTransform(service, "distribution__policy__contract_services"),
                        IntegerField(),
                    ),
                )
                for service in ContractService.values
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
        0,
    )


def contract_uses(*, user, query: ComplianceQuery) -> ContractUses:
    """Per clause service, over the policies that had a live hand-out of it in the period:
    the uses those policies hold, the uses handed out to them (live, up to the period's
    end; of which in the period) and redeemed; and every policy handed out more uses than
    it holds (listed up to ``LIST_LIMIT``). Three queries."""
    with_service = ~Q(contract_service="")
    reached = items_for(user, query.period()).filter(with_service).values("distribution__policy_id")
    pairs = (
        items_for(user, query.period(from_start=False))
        .filter(with_service, distribution__policy_id__in=reached)
        .annotate(policy_ref=F("distribution__policy_id"), service=F("contract_service"))
        .values("policy_ref", "service")
        .annotate(
            entitled=Max(_entitlement()),
            handed_out=Sum("quantity"),
            in_period=Coalesce(
                Sum(
                    "quantity",
                    filter=Q(distribution__created_at__gte=local_start(query.date_from)),
                ),
                0,
            ),
            redeemed=Coalesce(Sum("quantity", filter=Q(status=ItemStatus.REDEEMED)), 0),
        )
        # The policy had a hand-out of this very service in the period, not only another.
        .filter(in_period__gt=0)
    )
    labels = dict(ContractService.choices)
    uses = {s: ServiceUses(service=s, label=str(labels[s])) for s in ContractService.values}
    compiled = _sql(pairs)
    overuse_rows = []
    if compiled is not None:
        inner, params = compiled
        service, entitled, handed = _q("service"), _q("entitled"), _q("handed_out")
        totals = (
            f"SELECT {service}, COUNT(*), SUM({entitled}), SUM({handed}),"  # noqa: S608
            f" SUM({_q('in_period')}), SUM({_q('redeemed')}),"
            f" SUM(CASE WHEN {handed} > {entitled} THEN 1 ELSE 0 END)"
            f" FROM ({inner}) pairs GROUP BY {service}"
        )
        for code, *figures in _fetch(totals, params):
            found = uses.get(code)
            if found is None:
                continue
            (
                found.policies,
                found.entitled,
                found.handed_out,
                found.in_period,
                found.redeemed,
                found.overused,
            ) = (_int(v) for v in figures)
        over = (
            f"SELECT {_q('policy_ref')}, {service}, {entitled}, {handed}, {_q('redeemed')}"  # noqa: S608
            f" FROM ({inner}) pairs WHERE {handed} > {entitled}"
            f" ORDER BY {handed} - {entitled} DESC, {_q('policy_ref')}, {service}"
            f" LIMIT {LIST_LIMIT}"
        )
        overuse_rows = _fetch(over, params)
    policies = Policy.objects.select_related("branch").in_bulk([r[0] for r in overuse_rows])
    overuse = [
        {
            "policy": policies[ref],
            "service": code,
            "label": str(labels.get(code, code)),
            "entitled": _int(entitled),
            "handed_out": _int(handed),
            "redeemed": _int(redeemed),
        }
        for ref, code, entitled, handed, redeemed in overuse_rows
    ]
    return ContractUses(services=list(uses.values()), overuse=overuse)


# ----------------------------------------------------------------- casual income tax


@dataclass
class TaxRow:
    month: date
    recipient_name: str
    id_number: str  # in full: the view masks it for the user
    phone: str
    count: int
    value: Decimal
    withheld: Decimal  # sum of Distribution.withholding

    @property
    def due(self) -> Decimal:
        """20 % of the face value, to the cent (half up)."""
        return (self.value * CASUAL_INCOME_RATE).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def difference(self) -> Decimal:
        return self.due - self.withheld


def casual_distributions(*, user, query: ComplianceQuery) -> QuerySet:
    """Live hand-outs taxed as casual income in the period, within scope and filters."""
    found = restrict(Distribution.objects.all(), user, "view").order_by()
    found = found.filter(
        status__in=list(LIVE_STATUSES),
        tax_treatment=TaxTreatment.CASUAL,
        created_at__gte=local_start(query.date_from),
        created_at__lt=query.end,
    )
    if query.branch is not None:
        found = found.filter(branch__path__startswith=query.branch.path)
    if query.product:
        found = found.filter(policy__product=query.product)
    return found


def casual_income(*, user, query: ComplianceQuery) -> tuple[list[TaxRow], dict]:
    """Per recipient (name, mobile, ID number) and local month: hand-outs, face value and
    tax withheld; and the totals. A hand-out records the recipient's name and mobile but
    no ID number of their own: the ID is the insured's where the recipient is the insured,
    blank otherwise. Two queries."""
    found = casual_distributions(user=user, query=query)
    keyed = found.annotate(
        month=Trunc("created_at", "month", output_field=DateField(), tzinfo=LOCAL),
        id_no=Case(
            When(recipient_name=F("policy__insured_name"), then=F("policy__id_number")),
            default=Value(""),
        ),
    )
    grouped = (
        keyed.values("month", "recipient_name", "recipient_phone", "id_no")
        .annotate(count=Count("pk"), value=Sum("total_value"), withheld=Sum("withholding"))
        .order_by("month", "recipient_name", "recipient_phone", "id_no")
    )
    rows = [
        TaxRow(
            month=_month(record["month"]),
            recipient_name=record["recipient_name"],
            id_number=record["id_no"] or "",
            phone=record["recipient_phone"],
            count=record["count"],
            value=_money(record["value"]),
            withheld=_money(record["withheld"]),
        )
        for record in grouped
    ]
    total = found.aggregate(
        count=Count("pk"), value=Sum("total_value"), withheld=Sum("withholding")
    )
    totals = {
        "count": total["count"] or 0,
        "value": _money(total["value"]),
        "withheld": _money(total["withheld"]),
        "due": sum((row.due for row in rows), Decimal("0.00")),
    }
    totals["difference"] = totals["due"] - totals["withheld"]
    return rows, totals


def _month(value) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)
