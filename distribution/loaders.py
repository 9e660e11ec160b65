"""The engine's plain data, loaded from the database in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum

from distribution import rawsql, specs
from distribution.models import (
    LIVE_STATUSES,
    DistributionItem,
    Quota,
    QuotaCharge,
    QuotaStatus,
    QuotaUsage,
)
from distribution.periods import period_start
from policies.models import Policy

MONEY = DecimalField(max_digits=14, decimal_places=2)


def policy_facts(policy: Policy, live_items=None) -> specs.PolicyFacts:
    """What the engine knows of ``policy``, with its live hand-outs read in one query.

    ``live_items``: the items of its live distributions as (distribution id, rule code,
    contract service, quantity), when the caller has read them already.
    """
    if live_items is None:
        live_items = DistributionItem.objects.filter(
            distribution__policy=policy, distribution__status__in=LIVE_STATUSES
        ).values_list("distribution_id", "distribution__rule_code", "contract_service", "quantity")
    used: dict[str, int] = defaultdict(int)
    distributions_of_rule: dict[str, set[int]] = defaultdict(set)
    for distribution_id, rule_code, service, quantity in live_items:
        distributions_of_rule[rule_code].add(distribution_id)  # every hand-out has items
        if service:
            used[service] += quantity
    by_rule = {code: len(ids) for code, ids in distributions_of_rule.items()}
    entitled = policy.contract_services or {}
    return specs.PolicyFacts(
        policy_id=policy.pk,
        policy_no=policy.policy_no,
        product=policy.product,
        premium=policy.premium,
        vehicle_type=policy.vehicle_type,
        usage=policy.usage,
        seats=policy.seats,
        is_new_car=policy.is_new_car,
        is_renewal=policy.is_renewal,
        channel=policy.channel,
        agent_code=policy.agent_code,
        branch_code=policy.branch.code,
        branch_path=policy.branch.path,
        plate=policy.plate,
        first_registration_date=policy.first_registration_date,
        issue_date=policy.issue_date,
        status=policy.status,
        contract_services_left={
            service: max(int(n) - int(used.get(service, 0)), 0) for service, n in entitled.items()
        },
        distributions_by_rule=by_rule,
    )


def quota_specs() -> list[specs.QuotaSpec]:
    quotas = Quota.objects.filter(status=QuotaStatus.ACTIVE).select_related("scope_branch")
    return [_spec(q) for q in quotas]


def pool_usage(periods: Mapping[int, str], now: datetime) -> dict[int, Decimal]:
    """Each pool's use in the period holding ``now`` (quota id -> period): one query."""
    wanted = Q(pk__in=[])
    for quota_id, period in periods.items():
        start = period_start(period, now)
        if start is not None:
            wanted |= Q(quota_id=quota_id, period_start=start)
    return dict(QuotaUsage.objects.filter(wanted).values_list("quota_id", "used"))


def _spec(q: Quota) -> specs.QuotaSpec:
    return specs.QuotaSpec(
        quota_id=q.pk,
        code=q.code,
        name=q.name,
        basis=q.basis,
        period=q.period,
        limit=q.limit,
        warn_percent=q.warn_percent,
        branch_path=q.scope_branch.path if q.scope_branch_id else None,
        rule_code=q.scope_rule_code or None,
        gift_id=q.scope_gift_id,
        product=q.scope_product,
    )


# The quotas in force, each with its pool's use in the current period (the CASE picks
# the period start by the quota's period) and this policy's live charges.
QUOTAS_FOR_POLICY_SQL = """
SELECT q.id, q.code, q.name, q.basis, q.period, q."limit", q.warn_percent, b.path,
       q.scope_rule_code, q.scope_gift_id, q.scope_product,
       (SELECT u.used FROM distribution_quotausage u
         WHERE u.quota_id = q.id AND u.period_start = CASE q.period {period_cases} END),
       (SELECT SUM(c.amount) FROM distribution_quotacharge c
         INNER JOIN distribution_distribution d ON d.id = c.distribution_id
         WHERE c.quota_id = q.id AND d.policy_id = %s AND d.status IN ({live_statuses}))
  FROM distribution_quota q
  LEFT OUTER JOIN giftplatform_branch b ON b.id = q.scope_branch_id
 WHERE q.status = %s
"""


def quotas_for_policy(policy_id: int, now: datetime) -> specs.QuotaSnapshot:
    """The quotas in force with this period's pool use and this policy's use: one query,
    in SQL written out because it runs on every workbench look-up (see ``rawsql``)."""
    starts = [(p, rawsql.date_param(period_start(p, now))) for p in specs.POOL_PERIODS]
    statuses = [str(status) for status in LIVE_STATUSES]
    sql = QUOTAS_FOR_POLICY_SQL.format(
        period_cases=" ".join("WHEN %s THEN %s" for _ in starts),
        live_statuses=rawsql.placeholders(statuses),
    )
    params = [*(value for pair in starts for value in pair), policy_id, *statuses]
    params.append(str(QuotaStatus.ACTIVE))
    quotas, pool_used, policy_used = [], {}, {}
    for row in rawsql.fetch_all(sql, params):
        quota_id, period, pool, charged = row[0], row[4], row[11], row[12]
        quotas.append(
            specs.QuotaSpec(
                quota_id=quota_id,
                code=row[1],
                name=row[2],
                basis=row[3],
                period=period,
                limit=rawsql.money(row[5]),
                warn_percent=rawsql.money(row[6]),
                branch_path=row[7],
                rule_code=row[8] or None,
                gift_id=row[9],
                product=row[10],
            )
        )
        if period != specs.PER_POLICY and pool is not None:
            pool_used[quota_id] = rawsql.money(pool)
        if period == specs.PER_POLICY and charged is not None:
            policy_used[quota_id] = rawsql.money(charged)
    return specs.QuotaSnapshot(quotas=tuple(quotas), pool_used=pool_used, policy_used=policy_used)


def policy_charges(policy_ids, quota_ids) -> dict[tuple[int, int], Decimal]:
    """Per-policy quota use for many policies at once (batch runs)."""
    totals = defaultdict(Decimal)
    rows = (
        QuotaCharge.objects.filter(
            quota_id__in=quota_ids,
            distribution__policy_id__in=policy_ids,
            distribution__status__in=LIVE_STATUSES,
        )
        .values_list("distribution__policy_id", "quota_id")
        .annotate(total=Sum("amount"))
    )
    for policy_id, quota_id, total in rows:
        totals[(policy_id, quota_id)] += total
    return dict(totals)
