"""Concurrent shipment logs on PostgreSQL: an item is never shipped beyond its quantity,
and one waybill never serves two policies. Threads released together by a Barrier."""

from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum

from distribution.models import Courier, ItemStatus, Shipment, ShipmentLine
from distribution.services.shipments import ShipmentRefused, shipment_log
from tests.concurrency import storm as race
from tests.suppliers.shipment_support import build_supply

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def storm(calls):
    return race(calls, {ShipmentRefused: lambda refused: "refused"})


def test_ten_logs_of_one_item_ship_it_once(futian):
    supply = build_supply(futian)
    item = supply.due(supply.policy(), supply.gifts["G001"], 2)

    def log(n):
        return lambda: shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF,
            tracking_no=f"SF12345678901{n:02d}", lines=[(item.pk, 2)],
        )  # fmt: skip

    outcomes = storm(log(n) for n in range(10))
    assert outcomes == Counter({"ok": 1, "refused": 9})
    assert ShipmentLine.objects.filter(item=item).aggregate(total=Sum("quantity"))["total"] == 2
    item.refresh_from_db()
    assert item.status == ItemStatus.SHIPPED


def test_one_waybill_for_two_policies_at_once_serves_one(futian):
    supply = build_supply(futian)
    items = [supply.due(supply.policy(), supply.gifts["G001"]) for _ in range(6)]

    def log(item):
        return lambda: shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF,
            tracking_no="SF1234567890123", lines=[(item.pk, 1)],
        )  # fmt: skip

    outcomes = storm(log(item) for item in items)
    assert outcomes == Counter({"ok": 1, "refused": 5})
    assert Shipment.objects.count() == 1
    assert ShipmentLine.objects.count() == 1
