"""Demo hand-outs of a demo supplier's physical gifts, so a supplier login has items to ship.

Called by ``seed_demo`` once the rules are in force, before the service vouchers are handed
out (a NEWCAR hand-out lifts that rule's exclusivity on its policy: done first, the voucher
demo sees the same policies on every run).
Of the demo rules only 新车礼遇 (NEWCAR) gives a physical gift in force (S002's dash
camera, with a choice of voucher): the hand-outs go through ``distribution_create`` with
fixed idempotency keys and the cheaper voucher chosen, and, being above the rule's
approval threshold, are approved by the 福田 approver (a second person). Two of the
items are then shipped by ``s002_user``, one delivered, so the portal shows every state.
A second run finds the same hand-outs and parcels and changes nothing.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from distribution.models import (
    Courier,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    Rule,
    RuleStatus,
)
from distribution.services import DistributionRefused, distribution_approve, distribution_create
from distribution.services.shipments import (
    ShipmentRefused,
    shipment_log,
    shipment_mark_delivered,
)
from policies.models import Policy, PolicyStatus
from suppliers.models import Provider

RULE = "NEWCAR"
SUPPLIER = "S002"
BRANCH = "440304"  # 福田: the demo clerk's branch
CLERK, APPROVER = "clerk_futian", "ft_approver"
WANTED = 6
LOOKED_AT = 400
ADDRESSES = ("深圳市福田区福华三路88号", "深圳市福田区深南大道6008号", "深圳市福田区泰然九路1号")
PARCELS = ((Courier.SF, "SF1000000000101", True), (Courier.ZTO, "78100000000102", False))


def seed_items_to_ship(*, stdout=None) -> int:
    """Hand out up to ``WANTED`` of the supplier's gifts; how many of its items wait."""
    users = get_user_model().objects.in_bulk([CLERK, APPROVER], field_name="username")
    rule = Rule.objects.filter(code=RULE, status=RuleStatus.ACTIVE).first()
    if rule is None or CLERK not in users:
        return 0
    choices = {}
    for reward in rule.rewards.select_related("gift").order_by("gift__face_value", "pk"):
        if reward.option_group:
            choices.setdefault(reward.option_group, reward.pk)  # the cheaper option
    policies = Policy.objects.filter(
        branch__code=BRANCH, status=PolicyStatus.IN_FORCE, is_new_car=True
    ).order_by("policy_no")
    policies = policies[:LOOKED_AT]
    done = 0
    for n, policy in enumerate(policies):
        if done >= WANTED:
            break
        try:
            distribution = distribution_create(
                actor=users[CLERK],
                policy=policy,
                rule=rule,
                choices=choices,
                idempotency_key=f"demo-ship-{RULE}-{policy.policy_no}",
                recipient_name=policy.insured_name,
                recipient_phone=policy.phone,
                delivery_address=ADDRESSES[n % len(ADDRESSES)],
            )
        except DistributionRefused:
            continue
        done += 1
        if distribution.status == DistributionStatus.PENDING_APPROVAL and APPROVER in users:
            try:
                distribution_approve(actor=users[APPROVER], distribution=distribution)
            except (PermissionDenied, ValidationError):
                continue
    _ship_some()
    waiting = DistributionItem.objects.filter(
        provider__code=SUPPLIER, status=ItemStatus.TO_SHIP
    ).count()
    if stdout is not None:
        stdout.write(
            _("%(supplier)s items waiting to be shipped: %(count)d")
            % {"supplier": SUPPLIER, "count": waiting}
        )
    return waiting


def _ship_some() -> None:
    provider = Provider.objects.filter(code=SUPPLIER).first()
    user = get_user_model().objects.filter(provider=provider).order_by("pk").first()
    if provider is None or user is None:
        return
    items = DistributionItem.objects.filter(provider=provider, status=ItemStatus.TO_SHIP)
    for (courier, number, delivered), item in zip(PARCELS, items.order_by("pk"), strict=False):
        try:
            parcel = shipment_log(
                actor=user,
                provider=provider,
                courier=courier,
                tracking_no=number,
                lines=[(item.pk, item.quantity)],
            )
        except ShipmentRefused:
            continue  # logged by an earlier run
        if delivered:
            shipment_mark_delivered(actor=user, provider=provider, shipment_ids=[parcel.pk])
