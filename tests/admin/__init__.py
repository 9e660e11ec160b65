"""Admin tests. Row builders shared by the modules live here."""

import itertools
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from giftplatform.services import branch_save
from gifts.models import GiftKind, ImportJob, ImportKind, ImportStatus, VoucherCode
from gifts.services import gift_receive_stock
from policies.models import PiiReveal
from suppliers.models import ProviderKind, ProviderSignupRequest, Settlement, SignupStatus
from tests.factories import CategoryFactory, GiftFactory, PolicyFactory, ProviderFactory

_numbers = itertools.count(1)


def service_gift(**kwargs):
    return GiftFactory(
        kind=GiftKind.SERVICE, provider=ProviderFactory(kind=ProviderKind.SERVICE), **kwargs
    )


def _branch(ctx):
    return branch_save(
        code=f"{ctx.branch.code}{next(_numbers):04d}", name="网点", parent=ctx.branch
    )[0]


def _user(ctx):
    # No password: hashing one per row would only slow the tests down.
    return get_user_model().objects.create(
        username=f"staff{next(_numbers)}", branch=ctx.branch, is_staff=True
    )


def _movement(ctx):
    gift = GiftFactory(branch=ctx.branch)
    return gift_receive_stock(actor=ctx.actor, gift=gift, quantity=5, reference="PO-1")


def _voucher(ctx):
    return VoucherCode.objects.create(
        gift=service_gift(branch=ctx.branch), code=f"V{next(_numbers):08d}"
    )


def _import_job(ctx):
    return ImportJob.objects.create(
        kind=ImportKind.GIFTS,
        status=ImportStatus.COMMITTED,
        file_name="gifts.xlsx",
        sha256="0" * 64,
        actor=ctx.actor,
        created_count=3,
    )


# One builder per admin-registered model of the platform: (context) -> a new row.
ROW_BUILDERS = {
    "giftplatform.branch": _branch,
    "giftplatform.user": _user,
    "suppliers.provider": lambda ctx: ProviderFactory(),
    "suppliers.supplier": lambda ctx: ProviderFactory(kind=ProviderKind.GOODS),
    "suppliers.serviceprovider": lambda ctx: ProviderFactory(kind=ProviderKind.SERVICE),
    "suppliers.providersignuprequest": lambda ctx: ProviderSignupRequest.objects.create(
        name="申请公司",
        kind=ProviderKind.GOODS,
        credit_code="914403007152672630",
        contact_name="张三",
        phone="13912345678",
        email="a@example.com",
        status=SignupStatus.REJECTED,  # many rows of one company: one pending at most
    ),
    "suppliers.settlement": lambda ctx: Settlement.objects.create(
        provider=ProviderFactory(), period_start="2026-10-01", period_end="2026-10-31"
    ),
    "gifts.giftcategory": lambda ctx: CategoryFactory(),
    "gifts.gift": lambda ctx: GiftFactory(branch=ctx.branch),
    "gifts.stockmovement": _movement,
    "gifts.vouchercode": _voucher,
    "gifts.importjob": _import_job,
    "policies.policy": lambda ctx: PolicyFactory(branch=ctx.branch),
    "policies.piireveal": lambda ctx: PiiReveal.objects.create(
        policy=PolicyFactory(branch=ctx.branch), field="phone", reason="核对", user=ctx.actor
    ),
}


def build_rows(label: str, count: int, *, branch, actor) -> list:
    ctx = SimpleNamespace(branch=branch, actor=actor)
    return [ROW_BUILDERS[label](ctx) for _ in range(count)]
