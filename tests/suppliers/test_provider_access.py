"""Providers are reference data: every staff member sees them, only staff of a top-level
branch change them; settlements are seen and changed only there (giftplatform.access)."""

import pytest

from giftplatform.access import restrict
from suppliers.models import Provider, Settlement
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_futian_gift_manager_sees_providers_but_changes_none(
    gift_manager_futian, gift_manager_shenzhen, supplier
):
    providers = Provider.objects.all()
    assert list(restrict(providers, gift_manager_futian, "view")) == [supplier]
    assert list(restrict(providers, gift_manager_futian, "change")) == []
    assert list(restrict(providers, gift_manager_futian, "delete")) == []
    assert list(restrict(providers, gift_manager_shenzhen, "change")) == [supplier]


def test_settlements_are_seen_only_at_top_level_and_by_the_providers_own_users(
    gift_manager_futian, gift_manager_shenzhen, supplier, service_provider
):
    own = Settlement.objects.create(
        provider=supplier, period_start="2026-10-01", period_end="2026-10-31"
    )
    Settlement.objects.create(
        provider=service_provider, period_start="2026-10-01", period_end="2026-10-31"
    )
    portal = UserFactory(username="s001", provider=supplier, is_staff=False)
    assert restrict(Settlement.objects.all(), gift_manager_futian, "view").count() == 0
    assert restrict(Settlement.objects.all(), gift_manager_shenzhen, "view").count() == 2
    assert list(restrict(Settlement.objects.all(), portal, "view")) == [own]
