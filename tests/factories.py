"""factory-boy factories: valid rows by default, with real check digits."""

import datetime
import random
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from giftplatform.models import Branch
from giftplatform.validators import vin_with_check_digit
from gifts.models import Gift, GiftCategory, GiftKind
from policies.models import Policy, Product
from suppliers.models import Provider, ProviderKind

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def make_vin(rng: random.Random) -> str:
    body = "LSV" + "".join(rng.choice(VIN_CHARS) for _ in range(14))
    return vin_with_check_digit(body[:8] + "0" + body[9:])


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.LazyAttribute(lambda o: f"测试机构{o.code}")
    parent = None
    path = factory.LazyAttribute(lambda o: f"{o.parent.path if o.parent else ''}{o.code}/")
    depth = factory.LazyAttribute(lambda o: o.path.count("/") - 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])

    is_staff = True
    branch = None


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.LazyAttribute(lambda o: f"测试供应商{o.code}")
    kind = ProviderKind.GOODS


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GiftCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:02d}")
    name = factory.LazyAttribute(lambda o: f"类别{o.code}")


class GiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Gift

    code = factory.Sequence(lambda n: f"G{n:05d}")
    name = factory.LazyAttribute(lambda o: f"礼品{o.code}")
    kind = GiftKind.PHYSICAL
    category = factory.SubFactory(CategoryFactory)
    provider = factory.SubFactory(ProviderFactory)
    face_value = Decimal("100.00")
    unit_cost = Decimal("60.00")


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    policy_no = factory.Sequence(lambda n: f"PDAA2026440300{n:08d}")
    product = Product.COMMERCIAL
    insured_name = "张三"
    vin = factory.Sequence(lambda n: make_vin(random.Random(n)))
    plate = factory.Sequence(lambda n: f"粤B{n % 100000:05d}")
    phone = "13800138000"
    premium = Decimal("3200.00")
    branch = factory.SubFactory(BranchFactory)
    issue_date = datetime.date(2026, 11, 1)
    start_date = datetime.date(2026, 11, 2)
    end_date = datetime.date(2027, 11, 1)


def gift_line(distribution, gift, **fields):
    """An unsaved gift line of ``gift`` priced and attributed as a hand-out writes it
    (provider, category and kind copied from the gift); ``fields`` set the rest."""
    from distribution.models import DistributionItem, gift_snapshot

    fields.setdefault("quantity", 1)
    return DistributionItem(
        distribution=distribution,
        gift=gift,
        unit_value=gift.face_value,
        unit_cost=gift.unit_cost,
        **gift_snapshot(gift),
        **fields,
    )
