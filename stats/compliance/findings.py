"""Cash-equivalent gifts handed out, and contract-service uses against entitlements."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from distribution.models import (
    ItemStatus,
)
from gifts.models import ContractService
from policies.models import Policy
from stats.compliance.common import (
    LINE_CENTS,
    LIST_LIMIT,
    ComplianceQuery,
    as_int,
    cents,
    fetch,
    quoted,
    sql_of,
)
from stats.selectors import items_for, local_start

# ----------------------------------------------------------------- cash equivalents


@dataclass
class CashEquivalents:
    lines: int
    distributions: int
    value: Decimal
    listed: list[dict]


def cash_equivalents(*, user, query: ComplianceQuery, limit: int = LIST_LIMIT) -> CashEquivalents:
    """Live hand-out lines of cash-equivalent gifts in the period (expected none): two
    queries, the list capped at ``limit`` lines, the newest first."""
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
        .order_by("-distribution__created_at", "-pk")[:limit]
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


def contract_uses(*, user, query: ComplianceQuery, limit: int = LIST_LIMIT) -> ContractUses:
    """Per clause service, over the policies that had a live hand-out of it in the period:
    the uses those policies hold, the uses handed out to them (live, up to the period's
    end; of which in the period) and redeemed; and every policy handed out more uses than
    it holds (listed up to ``limit``). Three queries."""
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
    compiled = sql_of(pairs)
    overuse_rows = []
    if compiled is not None:
        inner, params = compiled
        service, entitled, handed = quoted("service"), quoted("entitled"), quoted("handed_out")
        totals = (
            f"SELECT {service}, COUNT(*), SUM({entitled}), SUM({handed}),"  # noqa: S608
            f" SUM({quoted('in_period')}), SUM({quoted('redeemed')}),"
            f" SUM(CASE WHEN {handed} > {entitled} THEN 1 ELSE 0 END)"
            f" FROM ({inner}) pairs GROUP BY {service}"
        )
        for code, *figures in fetch(totals, params):
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
            ) = (as_int(v) for v in figures)
        over = (
            f"SELECT {quoted('policy_ref')}, {service}, {entitled}, {handed}, {quoted('redeemed')}"  # noqa: S608
            f" FROM ({inner}) pairs WHERE {handed} > {entitled}"
            f" ORDER BY {handed} - {entitled} DESC, {quoted('policy_ref')}, {service}"
            f" LIMIT {int(limit)}"
        )
        overuse_rows = fetch(over, params)
    policies = Policy.objects.select_related("branch").in_bulk([r[0] for r in overuse_rows])
    overuse = [
        {
            "policy": policies[ref],
            "service": code,
            "label": str(labels.get(code, code)),
            "entitled": as_int(entitled),
            "handed_out": as_int(handed),
            "redeemed": as_int(redeemed),
        }
        for ref, code, entitled, handed, redeemed in overuse_rows
    ]
    return ContractUses(services=list(uses.values()), overuse=overuse)
