"""Three months of demo hand-outs, so the statistics have a past to show.

``seed_demo`` calls this last. Policies of every demo branch that a demo rule takes get a hand-out
of it (新车礼遇, 续保高保费回馈 with its two gifts in turn, 商业险精洗礼, 道路救援), through
``distribution_create`` like a clerk's, approved by the 深圳 approver where the rule asks
for it. Their moments are then set back over the last 95 days (a demo's history cannot
be made any other way), their pool charges moved to the pool periods of their new
moments, and the physical items are shipped by their suppliers some
working days later: most on time, some late, some still waiting, so the overview can say
which suppliers are late. The daily totals are rebuilt after the moments move. A second
run finds the same hand-outs (fixed idempotency keys) and moves nothing again.
"""

import contextlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution.models import (
    Courier,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    QuotaCharge,
    QuotaUsage,
    Rule,
    RuleStatus,
)
from distribution.periods import period_start
from distribution.services import (
    DistributionRefused,
    distribution_approve,
    distribution_create,
    handouts_move,
)
from distribution.services.shipments import (
    ShipmentRefused,
    shipment_log,
    shipment_mark_delivered,
)
from distribution.services.totals import statistics_rebuild
from policies.models import Policy, PolicyStatus

# Rule, the policies it is tried on, how many hand-outs: every branch, product, channel.
PLAN = (
    ("NEWCAR", Q(is_new_car=True, product="commercial"), 60),
    ("RENEW5K", Q(is_renewal=True, premium__gte=5000), 70),
    ("COMMWASH", Q(product="commercial", is_new_car=False, is_renewal=False), 80),
    ("RESCUE", Q(contract_services__has_key="road_rescue"), 30),
)
STRIDE = 7
DAYS_BACK = 95
KEY = "demo-history-"
CLERK, APPROVER = "manager", "approver"
# Days from hand-out to shipment, by the item's turn: mostly 1-3, some late, some waiting.
SHIPPING_DAYS = (1, 2, 2, 3, 1, 9, 2, 12, None, 3)
ADDRESS = "深圳市福田区福华三路88号"
TRACKING_PREFIX = "SF7"  # history parcels: SF7 + 12 digits


def seed_history(*, stdout=None) -> int:
    """Hand out, set back and ship; the number of history hand-outs."""
    users = get_user_model().objects.in_bulk([CLERK, APPROVER], field_name="username")
    codes = [code for code, _policies, _count in PLAN]
    rules = {r.code: r for r in Rule.objects.filter(code__in=codes, status=RuleStatus.ACTIVE)}
    if CLERK not in users:
        return 0
    made = []
    for code, which, count in PLAN:
        if code not in rules:
            continue
        policies = Policy.objects.filter(which, status=PolicyStatus.IN_FORCE).order_by("policy_no")
        for n, policy in enumerate(policies[: count * STRIDE : STRIDE]):
            distribution = _hand_out(policy, rules[code], users, n)
            if distribution is not None:
                made.append(distribution)
    _set_back(made)
    _rebucket_pools(made)
    _ship(made)
    statistics_rebuild()  # the moments moved after the hand-outs counted themselves
    if stdout is not None:
        stdout.write(_("Hand-outs of the last three months: %(count)d") % {"count": len(made)})
    return len(made)


def _hand_out(policy, rule, users, n: int):
    """One hand-out of ``rule``, the ``n``-th: choose-one groups take their options in
    turn. None when the rule refuses the policy (exclusivity, quota, stock)."""
    options = {}
    for reward in rule.rewards.order_by("pk"):
        if reward.option_group:
            options.setdefault(reward.option_group, []).append(reward.pk)
    choices = {group: pks[n % len(pks)] for group, pks in options.items()}
    try:
        distribution = distribution_create(
            actor=users[CLERK],
            policy=policy,
            rule=rule,
            choices=choices,
            idempotency_key=f"{KEY}{rule.code}-{policy.policy_no}",
            recipient_name=policy.insured_name,
            recipient_phone=policy.phone,
            delivery_address=ADDRESS,
        )
    except DistributionRefused:
        return None
    if distribution.status == DistributionStatus.PENDING_APPROVAL and APPROVER in users:
        with contextlib.suppress(PermissionDenied, ValidationError):
            distribution_approve(actor=users[APPROVER], distribution=distribution)
    return distribution


def _set_back(made: list) -> None:
    """Spread the new hand-outs over the last ``DAYS_BACK`` days (once: a second run finds
    them already in the past)."""
    now = timezone.now()
    moments = {}
    for n, distribution in enumerate(made):
        if distribution.created_at < now - timedelta(hours=1):
            continue
        moments[distribution.pk] = now - timedelta(days=1 + (n * 37) % DAYS_BACK, hours=n % 9)
    handouts_move(moments)


def _rebucket_pools(made: list) -> None:
    """Move each set-back hand-out's pool charges to the pool period its new moment falls
    in, so a pool's use this period holds only this period's hand-outs, as in real use.
    (Past periods may end above a limit a later rule change lowered: the demo does not
    replay history.)"""
    charges = (
        QuotaCharge.objects.filter(
            distribution__in=made, period_start__isnull=False, returned=False
        )
        .select_related("quota", "distribution")
        .order_by("pk")
    )
    for charge in charges:
        start = period_start(charge.quota.period, charge.distribution.created_at)
        if start == charge.period_start:
            continue
        QuotaUsage.objects.filter(quota=charge.quota, period_start=charge.period_start).update(
            used=F("used") - charge.amount
        )
        QuotaUsage.objects.get_or_create(quota=charge.quota, period_start=start)
        QuotaUsage.objects.filter(quota=charge.quota, period_start=start).update(
            used=F("used") + charge.amount
        )
        QuotaCharge.objects.filter(pk=charge.pk).update(period_start=start)


def _ship(made: list) -> None:
    items = (
        DistributionItem.objects.filter(
            distribution__in=made,
            status=ItemStatus.TO_SHIP,
            distribution__idempotency_key__startswith=KEY,
        )
        .select_related("distribution", "provider")
        .order_by("pk")
    )
    now = timezone.now()
    for item in items:  # by the item's id, so a second run decides as the first did
        days = SHIPPING_DAYS[item.pk % len(SHIPPING_DAYS)]
        shipped_at = item.distribution.created_at + timedelta(days=days or 0)
        if days is None or shipped_at > now:
            continue  # still waiting: overdue once past the SLA
        try:
            parcel = shipment_log(
                actor=None,
                provider=item.provider,
                courier=Courier.SF,
                tracking_no=f"{TRACKING_PREFIX}{item.pk:012d}",
                lines=[(item.pk, item.quantity)],
                shipped_at=shipped_at,
            )
        except ShipmentRefused:
            continue
        delivered_at = shipped_at + timedelta(days=2)
        if delivered_at < now and item.pk % 3:
            shipment_mark_delivered(
                actor=None,
                provider=item.provider,
                shipment_ids=[parcel.pk],
                delivered_at=delivered_at,
            )
