"""Hand-outs: create, approve, reject, cancel. Each is one transaction: all of it or nothing."""

import secrets
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution import engine, loaders, rulebook
from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    Quota,
    QuotaCharge,
    Rule,
    TaxTreatment,
    gift_snapshot,
    policy_snapshot,
)
from distribution.periods import period_start
from distribution.services.quotas import PoolExhausted, pool_consume, pool_return
from distribution.services.totals import totals_add, totals_remove, totals_status_change
from distribution.specs import PER_POLICY, Plan
from giftplatform.access import recorded
from gifts.models import Gift, GiftKind, VoucherCode, VoucherStatus
from gifts.services import gift_issue_stock, gift_return_stock
from policies.models import Policy

CASUAL_INCOME_RATE = Decimal("0.20")


class DistributionRefused(ValidationError):
    """Nothing was handed out; ``reasons`` says why, in the user's language."""

    def __init__(self, reasons):
        self.reasons = tuple(reasons)
        super().__init__(list(self.reasons))


def _new_number(now) -> str:
    return f"D{timezone.localtime(now):%y%m%d}{secrets.token_hex(4).upper()}"


def _claim_vouchers(gift: Gift, n: int, today) -> list[VoucherCode]:
    # SKIP LOCKED: concurrent hand-outs take different codes instead of queueing on one.
    codes = list(
        VoucherCode.objects.select_for_update(skip_locked=True)
        .filter(gift=gift, status=VoucherStatus.AVAILABLE)
        .exclude(expires_on__lt=today)
        .order_by("expires_on", "id")[:n]
    )
    if len(codes) < n:
        raise DistributionRefused([_("No voucher codes of %(gift)s left.") % {"gift": gift.name}])
    return codes


def _charge_quotas(distribution: Distribution, plan: Plan, now) -> None:
    quotas = Quota.objects.in_bulk([c.quota_id for c in plan.charges])
    charges = []
    for charge in plan.charges:
        quota = quotas[charge.quota_id]
        start = period_start(charge.period, now)
        if charge.period != PER_POLICY:
            try:
                pool_consume(quota=quota, period_start=start, amount=charge.amount)
            except PoolExhausted as full:
                left = max(quota.limit - full.used, Decimal(0))
                raise DistributionRefused(
                    [
                        _("Quota %(name)s has %(left)s left, %(need)s needed.")
                        % {"name": quota.name, "left": left, "need": charge.amount}
                    ]
                ) from full
        charges.append(
            QuotaCharge(
                distribution=distribution, quota=quota, period_start=start, amount=charge.amount
            )
        )
    QuotaCharge.objects.bulk_create(charges)


def _write_items(
    distribution: Distribution, plan: Plan, gifts: dict[int, Gift], actor, reserved: bool, now
) -> None:
    today = timezone.localdate(now)
    items = []
    for line in plan.lines:
        gift = gifts[line.gift_id]
        common = dict(
            distribution=distribution,
            gift=gift,
            unit_value=line.face_value,
            unit_cost=line.unit_cost,
            **gift_snapshot(gift),
            contract_service=line.contract_service,
        )
        if gift.kind == GiftKind.PHYSICAL:
            try:
                gift_issue_stock(
                    actor=actor, gift=gift, quantity=line.quantity, reference=distribution.number
                )
            except ValidationError as short:  # a concurrent hand-out took the last units
                raise DistributionRefused(short.messages) from short
            status = ItemStatus.RESERVED if reserved else ItemStatus.TO_SHIP
            items.append(DistributionItem(quantity=line.quantity, status=status, **common))
            continue
        has_codes = gift.kind == GiftKind.SERVICE or gift.vouchers.exists()
        status = ItemStatus.RESERVED if reserved else ItemStatus.ISSUED
        if not has_codes:
            items.append(DistributionItem(quantity=line.quantity, status=status, **common))
            continue
        codes = _claim_vouchers(gift, line.quantity, today)
        VoucherCode.objects.filter(pk__in=[c.pk for c in codes]).update(
            status=VoucherStatus.ISSUED, issued_at=now
        )
        items.extend(
            DistributionItem(quantity=1, status=status, voucher=code, **common) for code in codes
        )
    DistributionItem.objects.bulk_create(items)


def _plan(policy: Policy, rule: Rule, choices: Mapping[str, int], now) -> Plan:
    now = timezone.localtime(now)  # the engine's "today" is now's own date
    specs_by_id = {s.rule_id: s for s in rulebook.live_rule_specs(now)}
    spec = specs_by_id.get(rule.pk)
    if spec is None:
        raise DistributionRefused([_("Rule %(rule)s is not active.") % {"rule": rule.name}])
    facts = loaders.policy_facts(policy)
    quotas = loaders.quotas_for_policy(policy.pk, now)
    offer = engine.evaluate(facts, list(specs_by_id.values()), quotas, now)
    blocker = engine.exclusive_blocker(offer, specs_by_id, spec)
    if blocker:
        raise DistributionRefused(
            [_("Exclusive rule %(rule)s takes precedence.") % {"rule": blocker}]
        )
    try:
        return engine.plan(facts, spec, quotas, now, choices)
    except engine.PlanRefused as refused:
        raise DistributionRefused(refused.reasons) from refused


def distribution_create(
    *,
    actor,
    policy: Policy,
    rule: Rule,
    choices: Mapping[str, int] | None = None,
    idempotency_key: str,
    recipient_name: str = "",
    recipient_phone: str = "",
    delivery_address: str = "",
    batch_run=None,
    now=None,
) -> Distribution:
    """Hand out ``rule``'s rewards to ``policy``, or nothing at all.

    Re-evaluates under a lock on the policy row, then takes pool quotas and stock with
    conditional updates and voucher codes with SKIP LOCKED, and writes the records.
    A retry with the same ``idempotency_key`` returns the first result.
    """
    earlier = Distribution.objects.filter(idempotency_key=idempotency_key).first()
    if earlier is not None:
        return earlier
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _create(
                actor=actor,
                policy=policy,
                rule=rule,
                choices=choices or {},
                idempotency_key=idempotency_key,
                recipient=(recipient_name, recipient_phone, delivery_address),
                batch_run=batch_run,
                now=now,
            )
    except IntegrityError as exc:
        earlier = Distribution.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
        if "distribution_max_per_policy" in str(exc):
            raise DistributionRefused(
                [_("This policy already received %(rule)s.") % {"rule": rule.name}]
            ) from exc
        raise


def _create(*, actor, policy, rule, choices, idempotency_key, recipient, batch_run, now):
    # Every hand-out to one policy queues here, so per-policy quotas, contract-service
    # uses and max-per-policy are checked against settled numbers.
    # Only the policy row: locking its branch too would queue every hand-out of a branch
    # (and deadlock with a batch run's foreign-key checks on that branch).
    policy = (
        Policy.objects.select_for_update(of=("self",)).select_related("branch").get(pk=policy.pk)
    )
    # A retry that queued behind the first attempt finds its result here.
    earlier = Distribution.objects.filter(idempotency_key=idempotency_key).first()
    if earlier is not None:
        return earlier
    plan = _plan(policy, rule, choices, now)
    name, phone, address = recipient
    reserved = plan.needs_approval
    gifts = Gift.objects.select_related("provider").in_bulk([line.gift_id for line in plan.lines])
    has_physical = any(gift.kind == GiftKind.PHYSICAL for gift in gifts.values())
    if reserved:
        status = DistributionStatus.PENDING_APPROVAL
    else:
        status = DistributionStatus.FULFILLING if has_physical else DistributionStatus.COMPLETED
    withholding = (
        (plan.total_value * CASUAL_INCOME_RATE).quantize(Decimal("0.01"))
        if plan.tax_treatment == TaxTreatment.CASUAL
        else Decimal(0)
    )
    distribution = Distribution.objects.create(
        number=_new_number(now),
        policy=policy,
        rule=rule,
        rule_code=rule.code,
        slot=engine.free_slot(
            Distribution.objects.filter(
                policy=policy, rule_code=rule.code, status__in=LIVE_STATUSES
            ).values_list("slot", flat=True),
            rule.max_per_policy,
        ),
        slot_limit=rule.max_per_policy,
        branch=policy.branch,
        status=status,
        **policy_snapshot(policy),
        tax_treatment=plan.tax_treatment,
        total_value=plan.total_value,
        total_cost=plan.total_cost,
        withholding=withholding,
        idempotency_key=idempotency_key,
        recipient_name=name or policy.insured_name,
        recipient_phone=phone or policy.phone,
        delivery_address=address,
        batch_run=batch_run,
        created_by=recorded(actor),
    )
    _charge_quotas(distribution, plan, now)
    _write_items(distribution, plan, gifts, recorded(actor), reserved, now)
    totals_add([distribution.pk])
    return distribution


def _lock(distribution: Distribution) -> Distribution:
    """The hand-out, its policy locked first: a policy's live hand-outs change one at a
    time (the reach rows chain them), and in the order a hand-out locks them."""
    policy = Policy.objects.select_for_update(of=("self",)).filter(pk=distribution.policy_id)
    list(policy.values_list("pk"))  # a hand-out's policy never changes: no need to re-read it
    return Distribution.objects.select_for_update().get(pk=distribution.pk)


def _release(distribution: Distribution, actor, note: str) -> None:
    """Give back stock, voucher codes and quota of a live distribution."""
    items = list(distribution.items.select_related("gift", "voucher"))
    kept = [i for i in items if i.status in (ItemStatus.SHIPPED, ItemStatus.DELIVERED)]
    kept += [i for i in items if i.status == ItemStatus.REDEEMED]
    if kept:
        raise DistributionRefused(
            [_("Some items were already shipped or redeemed; record a recovery instead.")]
        )
    for item in items:
        if item.gift.kind == GiftKind.PHYSICAL:
            gift_return_stock(
                actor=actor,
                gift=item.gift,
                quantity=item.quantity,
                reference=distribution.number,
                note=note,
            )
    voucher_ids = [i.voucher_id for i in items if i.voucher_id]
    VoucherCode.objects.filter(pk__in=voucher_ids, status=VoucherStatus.ISSUED).update(
        status=VoucherStatus.AVAILABLE, issued_at=None
    )
    for item in items:  # one by one, so the history records each change
        item.status = ItemStatus.CANCELLED
        item.save(update_fields=["status"])
    for charge in distribution.charges.filter(returned=False):
        if charge.period_start is not None and charge.quota.is_pool:
            pool_return(
                quota_id=charge.quota_id, period_start=charge.period_start, amount=charge.amount
            )
    distribution.charges.update(returned=True)
    totals_remove([distribution.pk])


@transaction.atomic
def distribution_cancel(*, actor, distribution: Distribution, reason: str) -> Distribution:
    """Cancel a live hand-out: stock, codes and quota return; the record stays."""
    if not reason.strip():
        raise ValidationError(_("Cancelling needs a reason."))
    distribution = _lock(distribution)
    if distribution.status not in LIVE_STATUSES:
        raise ValidationError(_("Only a live distribution can be cancelled."))
    _release(distribution, recorded(actor), reason.strip())
    distribution.status = DistributionStatus.CANCELLED
    distribution.cancelled_by = recorded(actor)
    distribution.cancelled_at = timezone.now()
    distribution.cancel_reason = reason.strip()
    distribution.save()
    return distribution


def _check_approver(actor, distribution: Distribution) -> None:
    if not actor.has_perm("distribution.approve_distribution"):
        raise PermissionDenied(_("Only an approver can decide on a distribution."))
    if distribution.created_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve your own hand-out."))


@transaction.atomic
def distribution_approve(*, actor, distribution: Distribution) -> Distribution:
    distribution = _lock(distribution)
    _check_approver(actor, distribution)
    if distribution.status != DistributionStatus.PENDING_APPROVAL:
        raise ValidationError(_("This distribution is not awaiting approval."))
    items = distribution.items.select_related("gift")
    has_physical = False
    for item in items:
        physical = item.gift.kind == GiftKind.PHYSICAL
        has_physical |= physical
        item.status = ItemStatus.TO_SHIP if physical else ItemStatus.ISSUED
        item.save(update_fields=["status"])
    with totals_status_change([distribution.pk]):
        distribution.status = (
            DistributionStatus.FULFILLING if has_physical else DistributionStatus.COMPLETED
        )
        distribution.decided_by = actor
        distribution.decided_at = timezone.now()
        distribution.save()
    return distribution


@transaction.atomic
def distribution_reject(*, actor, distribution: Distribution, reason: str) -> Distribution:
    """Refuse a pending hand-out: what it reserved returns."""
    if not reason.strip():
        raise ValidationError(_("Rejecting needs a reason."))
    distribution = _lock(distribution)
    _check_approver(actor, distribution)
    if distribution.status != DistributionStatus.PENDING_APPROVAL:
        raise ValidationError(_("This distribution is not awaiting approval."))
    _release(distribution, actor, reason.strip())
    distribution.status = DistributionStatus.REJECTED
    distribution.decided_by = actor
    distribution.decided_at = timezone.now()
    distribution.cancel_reason = reason.strip()
    distribution.save()
    return distribution


@transaction.atomic
def distribution_mark_recovery(*, actor, distribution: Distribution, outcome: str) -> Distribution:
    """Record what became of a gift whose policy was cancelled (退保)."""
    distribution = _lock(distribution)
    if distribution.policy.status != "cancelled":
        raise ValidationError(_("Only gifts of cancelled policies are recovered."))
    distribution.recovery = outcome
    distribution.save(update_fields=["recovery"])
    return distribution


def handouts_move(moments: Mapping[int, object]) -> None:
    """Set when hand-outs were made ({id: datetime}) and their lines' copy of it: only
    the demo's history and tests' past data move a hand-out in time. The running totals
    are the caller's to rebuild."""
    with transaction.atomic():
        for pk, moment in moments.items():
            Distribution.objects.filter(pk=pk).update(created_at=moment)
            DistributionItem.objects.filter(distribution_id=pk).update(handed_out_at=moment)
