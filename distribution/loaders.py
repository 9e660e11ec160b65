"""The engine's plain data, loaded from the database in a fixed number of queries."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext as _

from distribution import specs
from distribution.models import (
    LIVE_STATUSES,
    DistributionItem,
    Quota,
    QuotaCharge,
    QuotaStatus,
    QuotaUsage,
    Rule,
    RuleStatus,
)
from distribution.periods import local_date, period_start
from gifts.models import Gift, GiftKind, VoucherCode, VoucherStatus
from policies.models import Policy
from suppliers.models import ProviderStatus

# A gift without a countable supply (a contract service delivered by phone, no codes).
UNLIMITED = 10**9


def policy_facts(policy: Policy) -> specs.PolicyFacts:
    live_items = DistributionItem.objects.filter(
        distribution__policy=policy, distribution__status__in=LIVE_STATUSES
    )
    used = dict(
        live_items.exclude(contract_service="")
        .values_list("contract_service")
        .annotate(n=Sum("quantity"))
    )
    entitled = policy.contract_services or {}
    by_rule = dict(
        policy.distributions.filter(status__in=LIVE_STATUSES)
        .values_list("rule_code")
        .annotate(n=Count("id"))
    )
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


def live_rules():
    return Rule.objects.filter(status=RuleStatus.ACTIVE)


class CappedCount(Subquery):
    """COUNT(*) of a sliced subquery: stops reading after the slice's limit."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


def _gift_supply(gifts: list[Gift], today, voucher_cap: int | None) -> dict[int, int]:
    """Stock for physical gifts, available unexpired codes for vouchers.

    One policy never needs more than a handful of codes, so counting stops at
    ``voucher_cap`` (a pool of 100,000 codes is not read on every look-up); None
    counts them all (batch runs plan many policies against one count).
    """
    supply = {g.pk: g.stock for g in gifts if g.kind == GiftKind.PHYSICAL}
    voucher_gifts = [g.pk for g in gifts if g.kind != GiftKind.PHYSICAL]
    if voucher_gifts:
        usable = VoucherCode.objects.filter(
            gift=OuterRef("pk"), status=VoucherStatus.AVAILABLE
        ).exclude(expires_on__lt=today)
        if voucher_cap is None:
            available = Subquery(
                usable.order_by().values("gift").annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            )
        else:
            available = CappedCount(usable.order_by().values("pk")[:voucher_cap])
        counts = (
            Gift.objects.filter(pk__in=voucher_gifts)
            .annotate(n=available, codes=Exists(VoucherCode.objects.filter(gift=OuterRef("pk"))))
            .values_list("pk", "kind", "n", "codes")
        )
        for pk, kind, n, codes in counts:
            # A contract service without codes is called in by phone: uses, not codes, limit it.
            unlimited = kind == GiftKind.CONTRACT_SERVICE and not codes
            supply[pk] = UNLIMITED if unlimited else (n or 0)
    return supply


def _unusable_reason(gift: Gift, today) -> str:
    if not gift.is_active:
        return _("gift %(code)s is not active") % {"code": gift.code}
    if gift.valid_from and today < gift.valid_from:
        return _("gift %(code)s is valid from %(day)s") % {
            "code": gift.code,
            "day": gift.valid_from,
        }
    if gift.valid_to and today > gift.valid_to:
        return _("gift %(code)s expired on %(day)s") % {"code": gift.code, "day": gift.valid_to}
    if gift.provider.status != ProviderStatus.ACTIVE:
        return _("provider %(name)s is not active") % {"name": gift.provider.name}
    if gift.category.is_cash_equivalent and not gift.category.cash_equivalent_enabled:
        return _("%(category)s is a cash equivalent and not allowed") % {
            "category": gift.category.name
        }
    return ""


# Codes one look-up counts at most (see _gift_supply).
VOUCHER_CAP = 1000


def rule_specs(rules, now: datetime, voucher_cap: int | None = VOUCHER_CAP) -> list[specs.RuleSpec]:
    """``rules`` (a queryset) as engine input: a fixed number of queries for any number."""
    today = local_date(now)
    rules = list(
        rules.prefetch_related(
            "conditions",
            "rewards__gift__provider",
            "rewards__gift__category",
            "target_branches",
        )
    )
    gifts = {r.gift_id: r.gift for rule in rules for r in rule.rewards.all()}
    supply = _gift_supply(list(gifts.values()), today, voucher_cap)
    out = []
    for rule in rules:
        rewards = []
        for reward in rule.rewards.all():
            gift = reward.gift
            reason = _unusable_reason(gift, today)
            rewards.append(
                specs.RewardSpec(
                    reward_id=reward.pk,
                    gift_id=gift.pk,
                    gift_code=gift.code,
                    gift_name=gift.name,
                    gift_kind=gift.kind,
                    contract_service=gift.contract_service,
                    quantity=reward.quantity,
                    option_group=reward.option_group,
                    face_value=gift.face_value,
                    unit_cost=gift.unit_cost,
                    available=supply.get(gift.pk, 0),
                    usable=not reason,
                    unusable_reason=reason,
                )
            )
        out.append(
            specs.RuleSpec(
                rule_id=rule.pk,
                code=rule.code,
                name=rule.name,
                priority=rule.priority,
                exclusive=rule.exclusive,
                max_per_policy=rule.max_per_policy,
                all_policies=rule.all_policies,
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                issued_from=rule.issued_from,
                issued_to=rule.issued_to,
                branch_paths=tuple(b.path for b in rule.target_branches.all()),
                conditions=tuple(
                    specs.ConditionSpec(c.group, c.attribute, c.operator, c.value)
                    for c in rule.conditions.all()
                ),
                rewards=tuple(rewards),
                approval_threshold=rule.approval_threshold,
                tax_treatment=rule.tax_treatment,
            )
        )
    return out


def quota_specs() -> list[specs.QuotaSpec]:
    quotas = Quota.objects.filter(status=QuotaStatus.ACTIVE).select_related("scope_branch")
    return [
        specs.QuotaSpec(
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
        for q in quotas
    ]


def pool_usage(quotas: list[specs.QuotaSpec], now: datetime) -> dict[int, Decimal]:
    """Each pool's use in the period holding ``now``: one query."""
    wanted = Q(pk__in=[])
    for q in quotas:
        start = period_start(q.period, now)
        if start is not None:
            wanted |= Q(quota_id=q.quota_id, period_start=start)
    return dict(QuotaUsage.objects.filter(wanted).values_list("quota_id", "used"))


def policy_usage(quotas: list[specs.QuotaSpec], policy_id: int) -> dict[int, Decimal]:
    per_policy = [q.quota_id for q in quotas if q.period == specs.PER_POLICY]
    if not per_policy:
        return {}
    return dict(
        QuotaCharge.objects.filter(
            quota_id__in=per_policy,
            distribution__policy_id=policy_id,
            distribution__status__in=LIVE_STATUSES,
        )
        .values_list("quota_id")
        .annotate(total=Sum("amount"))
    )


def quota_snapshot(policy_id: int, now: datetime, quotas=None) -> specs.QuotaSnapshot:
    quotas = quota_specs() if quotas is None else quotas
    return specs.QuotaSnapshot(
        quotas=tuple(quotas),
        pool_used=pool_usage(quotas, now),
        policy_used=policy_usage(quotas, policy_id),
    )


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
