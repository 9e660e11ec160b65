"""seed_demo gives the demo supplier S002 items to ship and two parcels, once (besides the
parcels of the three months of history)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from distribution.demo_history import TRACKING_PREFIX
from distribution.models import Distribution, DistributionItem, ItemStatus, Shipment
from giftplatform.management.commands.seed_demo import DEMO_PASSWORD


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_supplier_has_items_to_ship_and_parcels_once(db, client):
    call_command("seed_demo", "--policies", "400", stdout=StringIO())
    waiting = DistributionItem.objects.filter(provider__code="S002", status=ItemStatus.TO_SHIP)
    assert waiting.exists()
    portal_demo = Shipment.objects.exclude(tracking_no__startswith=TRACKING_PREFIX)
    assert portal_demo.filter(provider__code="S002").count() == 2
    assert portal_demo.filter(delivered_at__isnull=False).count() == 1
    assert Shipment.objects.filter(tracking_no__startswith=TRACKING_PREFIX).exists()  # history
    counts = (Distribution.objects.count(), Shipment.objects.count(), waiting.count())

    call_command("seed_demo", "--policies", "400", stdout=StringIO())
    assert (Distribution.objects.count(), Shipment.objects.count(), waiting.count()) == counts

    client.post(reverse("portal:login"), {"username": "s002_user", "password": DEMO_PASSWORD})
    response = client.get(reverse("portal:outstanding"))
    assert response.status_code == 200 and len(response.context["rows"]) == counts[2]
