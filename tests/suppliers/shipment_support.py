"""Suppliers with items to ship, for the shipment and supplier-portal tests.

Distributions are written straight through the ORM (as ``distribution_create`` leaves
them: fulfilling, items to ship) so that a test can say when an item became due and
build thousands of them quickly; the hand-out itself is tested in tests/distribution.
"""

import datetime
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from distribution.models import (
    Distribution,
    DistributionStatus,
    ItemStatus,
    TaxTreatment,
    policy_snapshot,
)
from distribution.services import handouts_move
from gifts.models import GiftKind
from suppliers.models import ProviderKind
from tests.distribution.conftest import make_rule
from tests.factories import GiftFactory, PolicyFactory, ProviderFactory, UserFactory, gift_line

_numbers = itertools.count(1)


@dataclass
class Supply:
    branch: object
    s1: object  # supplier S001 (the portal user's own)
    s2: object  # supplier S002 (another)
    user1: object
    user2: object
    gifts: dict = field(default_factory=dict)
    rule: object = None

    def due(self, policy, gift, quantity=1, *, at=None, status=ItemStatus.TO_SHIP, **recipient):
        """One distribution of ``gift`` x ``quantity`` to ``policy``, due since ``at``."""
        number = next(_numbers)
        distribution = Distribution.objects.create(
            number=f"D-T{number:08d}",
            policy=policy,
            rule=self.rule,
            rule_code=f"{self.rule.code}-{number}",  # a slot each
            slot=1,
            slot_limit=1,
            branch=policy.branch,
            **policy_snapshot(policy),
            status=DistributionStatus.FULFILLING,
            tax_treatment=TaxTreatment.SALE,
            total_value=gift.face_value * quantity,
            total_cost=gift.unit_cost * quantity,
            idempotency_key=f"test-{number}",
            recipient_name=recipient.get("name", "李四"),
            recipient_phone=recipient.get("phone", "13912345678"),
            delivery_address=recipient.get("address", "深圳市福田区福华路1号"),
        )
        item = gift_line(distribution, gift, quantity=quantity, status=status)
        item.save()
        if at is not None:
            handouts_move({distribution.pk: at})
            item.refresh_from_db()
        return item

    def policy(self, **fields):
        fields.setdefault("branch", self.branch)
        return PolicyFactory(**fields)


def build_supply(branch) -> Supply:
    s1 = ProviderFactory(code="S001", name="深圳好礼贸易", kind=ProviderKind.GOODS)
    s2 = ProviderFactory(code="S002", name="广州优选供应链", kind=ProviderKind.GOODS)
    supply = Supply(
        branch=branch,
        s1=s1,
        s2=s2,
        user1=UserFactory(username="s001_user", provider=s1, is_staff=False, full_name="王供货"),
        user2=UserFactory(username="s002_user", provider=s2, is_staff=False),
    )
    for code, name, provider in (
        ("G001", "车载香薰", s1),
        ("G002", "行车记录仪", s1),
        ("G003", "洗车毛巾", s2),
    ):
        supply.gifts[code] = GiftFactory(
            code=code,
            name=name,
            kind=GiftKind.PHYSICAL,
            provider=provider,
            face_value=Decimal("50.00"),
            unit_cost=Decimal("30.00"),
        )
    supply.rule = make_rule("R-SHIP", [(supply.gifts["G001"], 1, "")], branch=branch)
    return supply


def days_ago(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
