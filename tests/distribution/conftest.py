"""Fixtures for rules, quotas and hand-outs: built through the ORM, live at once.

Tests of the four-eyes flow itself go through distribution.services.changes; the
other tests need live rules and quotas without a second person in the loop.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission

from distribution.models import (
    Quota,
    QuotaStatus,
    Rule,
    RuleCondition,
    RuleReward,
    RuleStatus,
)
from gifts.models import GiftKind, VoucherCode
from gifts.services import gift_receive_stock
from tests.factories import GiftFactory, PolicyFactory, UserFactory


def make_rule(code, rewards, conditions=(), status=RuleStatus.ACTIVE, **fields):
    """A rule: ``rewards`` are (gift, quantity, group), ``conditions`` (group, attr, op, value)."""
    fields.setdefault("name", f"规则{code}")
    if not conditions:
        fields.setdefault("all_policies", True)
    rule = Rule.objects.create(code=code, status=status, **fields)
    for gift, quantity, group in rewards:
        RuleReward.objects.create(rule=rule, gift=gift, quantity=quantity, option_group=group)
    for group, attribute, operator, value in conditions:
        RuleCondition.objects.create(
            rule=rule, group=group, attribute=attribute, operator=operator, value=value
        )
    return rule


def make_quota(code, basis, period, limit, **fields):
    fields.setdefault("name", f"额度{code}")
    return Quota.objects.create(
        code=code,
        basis=basis,
        period=period,
        limit=Decimal(limit),
        status=QuotaStatus.ACTIVE,
        **fields,
    )


def stocked_gift(quantity=100, **fields):
    gift = GiftFactory(kind=GiftKind.PHYSICAL, **fields)
    if quantity:
        gift_receive_stock(actor=None, gift=gift, quantity=quantity, reference=f"PO-{gift.code}")
        gift.refresh_from_db()
    return gift


def voucher_gift(codes=10, **fields):
    gift = GiftFactory(kind=GiftKind.SERVICE, **fields)
    VoucherCode.objects.bulk_create(
        VoucherCode(gift=gift, code=f"{gift.code}-{n:05d}") for n in range(codes)
    )
    return gift


def with_permissions(user, *codenames):
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="distribution", codename__in=codenames)
    )
    return user


def with_role(user, code):
    """``user`` holding the role ``code`` (giftplatform/roles.py), e.g. counter_staff."""
    user.groups.add(Group.objects.get(name=code))
    return user


@pytest.fixture
def policy(futian):
    return PolicyFactory(branch=futian)


@pytest.fixture
def clerk_futian(futian):
    user = UserFactory(username="clerk_ft", branch=futian, full_name="柜面福田")
    return with_role(user, "counter_staff")


@pytest.fixture
def approver_shenzhen(shenzhen):
    user = UserFactory(username="approver_sz", branch=shenzhen, full_name="审核深圳")
    return with_permissions(user, "approve_distribution", "approve_changerequest")
