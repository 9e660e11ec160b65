"""seed_demo hands out some of P001's vouchers, which the demo service provider can redeem."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from distribution.models import Distribution
from distribution.services.redemption import voucher_redeem
from gifts.models import VoucherStatus


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--policies", "400", stdout=out)
    return out.getvalue()


def test_the_demo_has_issued_vouchers_for_p001_and_seeds_them_once(db):
    output = seed()
    listed = re.findall(r"^  ([0-9A-Z]{12})  (\S+)$", output, flags=re.MULTILINE)
    assert listed, output[-2000:]
    handed_out = Distribution.objects.count()

    again = seed()

    assert Distribution.objects.count() == handed_out
    assert re.findall(r"^  ([0-9A-Z]{12})  (\S+)$", again, flags=re.MULTILINE) == listed
    code, plate = listed[0]
    p001_user = get_user_model().objects.get(username="p001_user")
    voucher = voucher_redeem(actor=p001_user, code=code, plate=plate, place="演示门店")
    assert voucher.status == VoucherStatus.REDEEMED
