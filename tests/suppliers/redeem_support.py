"""Vouchers handed out through the real hand-out service, ready for a provider to redeem."""

import itertools

import pytest

from distribution.services import distribution_create
from gifts.models import ContractService, GiftKind, VoucherCode
from suppliers.models import ProviderKind
from tests.distribution.conftest import make_rule
from tests.factories import GiftFactory, PolicyFactory, ProviderFactory, UserFactory

_numbers = itertools.count(1)


@pytest.fixture
def carwash(db):
    return ProviderFactory(code="P101", name="车洁洗车", kind=ProviderKind.SERVICE)


@pytest.fixture
def rival(db):
    return ProviderFactory(code="P102", name="别家服务", kind=ProviderKind.SERVICE)


def portal_user(provider, username):
    return UserFactory(username=username, provider=provider, is_staff=False, full_name="李核销")


@pytest.fixture
def washer(carwash):
    """A portal user of the car wash."""
    return portal_user(carwash, "p101_user")


@pytest.fixture
def rival_user(rival):
    return portal_user(rival, "p102_user")


def issued_voucher(
    provider,
    policy=None,
    *,
    branch=None,
    contract_service="",
    codes=1,
    expires_on=None,
    rule_fields=None,
    **gift_fields,
) -> VoucherCode:
    """A voucher of ``provider``'s gift handed out to ``policy`` (one new gift, one rule)."""
    n = next(_numbers)
    kind = GiftKind.CONTRACT_SERVICE if contract_service else GiftKind.SERVICE
    gift_fields.setdefault("name", f"服务券{n}")
    gift = GiftFactory(
        code=f"V{n:04d}",
        kind=kind,
        contract_service=contract_service,
        provider=provider,
        **gift_fields,
    )
    VoucherCode.objects.bulk_create(
        VoucherCode(gift=gift, code=f"WX{n:04d}K{i:03d}", expires_on=expires_on)
        for i in range(codes)
    )
    policy = policy or PolicyFactory(branch=branch)
    rule = make_rule(f"RD{n:04d}", [(gift, 1, "")], max_per_policy=5, **(rule_fields or {}))
    distribution = distribution_create(
        actor=None, policy=policy, rule=rule, idempotency_key=f"redeem-{n}"
    )
    return distribution.items.get().voucher


def rescue_voucher(provider, policy) -> VoucherCode:
    return issued_voucher(provider, policy, contract_service=ContractService.ROAD_RESCUE)
