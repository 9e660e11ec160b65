"""Demo hand-outs of the demo service provider's vouchers, so ``p001_user`` has codes to redeem.

Called by ``seed_demo`` after the rules are in force. The hand-outs go through
``distribution_create`` like a counter clerk's, with fixed idempotency keys: a second run
finds the same distributions and hands nothing out again.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from distribution.models import Rule, RuleStatus
from distribution.services import DistributionRefused, distribution_create
from gifts.models import Gift
from policies.models import Policy, PolicyStatus

PROVIDER = "P001"
BRANCH = "440304"  # 福田: the demo clerk's branch
CLERK = "clerk_futian"
WANTED = 6
LOOKED_AT = 300  # policies tried at most: the rules' conditions pick some of them


def seed_issued_vouchers(*, stdout=None) -> list[tuple[str, str]]:
    """Hand out up to ``WANTED`` of the provider's vouchers; returns (code, plate) pairs."""
    clerk = get_user_model().objects.filter(username=CLERK).first()
    gifts = Gift.objects.filter(provider__code=PROVIDER, vouchers__isnull=False).distinct()
    rules = list(
        Rule.objects.filter(status=RuleStatus.ACTIVE, rewards__gift__in=gifts)
        .distinct()
        .order_by("code")
    )
    policies = Policy.objects.filter(branch__code=BRANCH, status=PolicyStatus.IN_FORCE).exclude(
        plate=""
    )
    issued: list[tuple[str, str]] = []
    for policy in policies.order_by("policy_no")[:LOOKED_AT]:
        for rule in rules:
            if len(issued) >= WANTED:
                break
            try:
                distribution = distribution_create(
                    actor=clerk,
                    policy=policy,
                    rule=rule,
                    idempotency_key=f"demo-voucher-{rule.code}-{policy.policy_no}",
                )
            except DistributionRefused:
                continue
            codes = distribution.items.filter(voucher__gift__provider__code=PROVIDER)
            issued += [
                (code, policy.plate) for code in codes.values_list("voucher__code", flat=True)
            ]
    if stdout is not None and issued:
        stdout.write(_("%(provider)s vouchers to redeem (code, plate):") % {"provider": PROVIDER})
        for code, plate in issued:
            stdout.write(f"  {code}  {plate}")
    return issued
