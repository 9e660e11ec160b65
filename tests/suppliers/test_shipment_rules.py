"""Shipment rules: courier formats, one parcel one policy, quantities, delivery, history."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from distribution.models import (
    Courier,
    DistributionItem,
    ItemStatus,
    Shipment,
    ShipmentLine,
    tracking_error,
)
from distribution.services.shipments import (
    ShipmentRefused,
    shipment_log,
    shipment_mark_delivered,
)
from tests.suppliers.shipment_support import build_supply

pytestmark = pytest.mark.django_db
SF = "SF1234567890123"


@pytest.fixture
def supply(futian):
    return build_supply(futian)


@pytest.mark.parametrize(
    ("courier", "number", "ok"),
    [
        (Courier.SF, "SF1234567890123", True),
        (Courier.SF, "123456789012", True),
        (Courier.SF, "YT1234567890123", False),
        (Courier.ZTO, "78123456789012", True),
        (Courier.YTO, "YT1234567890123", True),
        (Courier.YTO, "1234", False),
        (Courier.STO, "773123456789012", True),
        (Courier.YUNDA, "4312345678901", True),
        (Courier.YUNDA, "43123456789", False),
        (Courier.JD, "JDVA12345678901", True),
        (Courier.EMS, "EA123456789CN", True),
        (Courier.EMS, "1123456789012", True),
        (Courier.DEPPON, "DPK123456789012", True),
        (Courier.JTEXPRESS, "JT1234567890123", True),
        (Courier.OTHER, "AB12", False),
    ],
)
def test_each_courier_checks_its_tracking_format(courier, number, ok):
    assert (tracking_error(courier, number) is None) is ok


def test_log_one_parcel_ships_the_item(supply):
    policy = supply.policy()
    item = supply.due(policy, supply.gifts["G001"], 2)
    shipment = shipment_log(
        actor=supply.user1,
        provider=supply.s1,
        courier=Courier.SF,
        tracking_no=" sf 1234567890123 ",
        lines=[(item.pk, 2)],
    )
    assert shipment.tracking_no == SF
    assert shipment.policy == policy
    assert shipment.logged_by == supply.user1
    item.refresh_from_db()
    assert item.status == ItemStatus.SHIPPED
    assert shipment.history.get().history_user == supply.user1
    assert item.history.latest().history_user == supply.user1


def test_partial_shipment_leaves_the_rest_outstanding(supply):
    item = supply.due(supply.policy(), supply.gifts["G001"], 3)
    shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
        lines=[(item.pk, 1)],
    )  # fmt: skip
    item.refresh_from_db()
    assert item.status == ItemStatus.TO_SHIP
    shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.ZTO,
        tracking_no="78123456789012", lines=[(item.pk, 2)],
    )  # fmt: skip
    item.refresh_from_db()
    assert item.status == ItemStatus.SHIPPED
    assert sum(line.quantity for line in item.shipment_lines.all()) == 3


def test_quantity_above_outstanding_is_refused_and_nothing_written(supply):
    item = supply.due(supply.policy(), supply.gifts["G001"], 1)
    with pytest.raises(ShipmentRefused) as refused:
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
            lines=[(item.pk, 2)],
        )  # fmt: skip
    assert "超过待发数量" in str(refused.value.errors[0].message)  # "more than … still to ship"
    assert not Shipment.objects.exists()


def test_same_tracking_number_serves_several_items_of_one_policy(supply):
    policy = supply.policy()
    first = supply.due(policy, supply.gifts["G001"])
    second = supply.due(policy, supply.gifts["G002"])
    shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
        lines=[(first.pk, 1)],
    )  # fmt: skip
    shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
        lines=[(second.pk, 1)],
    )  # fmt: skip
    assert Shipment.objects.count() == 1
    assert ShipmentLine.objects.filter(shipment__tracking_no=SF).count() == 2


def test_same_tracking_number_for_another_policy_is_refused(supply):
    first = supply.due(supply.policy(), supply.gifts["G001"])
    other = supply.due(supply.policy(), supply.gifts["G001"])
    shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
        lines=[(first.pk, 1)],
    )  # fmt: skip
    with pytest.raises(ShipmentRefused) as refused:
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
            lines=[(other.pk, 1)],
        )  # fmt: skip
    assert "已用于其他保单" in refused.value.errors[0].message  # "used for another policy"
    other.refresh_from_db()
    assert other.status == ItemStatus.TO_SHIP


def test_the_database_refuses_a_second_parcel_with_the_same_waybill(supply):
    policy = supply.policy()
    Shipment.objects.create(provider=supply.s1, policy=policy, courier=Courier.SF, tracking_no=SF)
    with pytest.raises(IntegrityError), transaction.atomic():
        Shipment.objects.create(
            provider=supply.s1, policy=supply.policy(), courier=Courier.SF, tracking_no=SF
        )
    # The same number with another courier is another waybill.
    Shipment.objects.create(
        provider=supply.s1, policy=supply.policy(), courier=Courier.STO, tracking_no="123456789012"
    )


def test_another_suppliers_item_reads_like_a_missing_one(supply):
    foreign = supply.due(supply.policy(), supply.gifts["G003"])  # S002's gift
    with pytest.raises(ShipmentRefused) as refused:
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
            lines=[(foreign.pk, 1)],
        )  # fmt: skip
    with pytest.raises(ShipmentRefused) as missing:
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
            lines=[(foreign.pk + 1000, 1)],
        )  # fmt: skip
    assert refused.value.errors[0].message == missing.value.errors[0].message
    assert not Shipment.objects.exists()


def test_one_form_cannot_mix_two_policies_under_one_number(supply):
    first = supply.due(supply.policy(), supply.gifts["G001"])
    second = supply.due(supply.policy(), supply.gifts["G002"])
    with pytest.raises(ShipmentRefused):
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
            lines=[(first.pk, 1), (second.pk, 1)],
        )  # fmt: skip
    assert not Shipment.objects.exists()


def test_bad_format_is_refused(supply):
    item = supply.due(supply.policy(), supply.gifts["G001"])
    with pytest.raises(ShipmentRefused) as refused:
        shipment_log(
            actor=supply.user1, provider=supply.s1, courier=Courier.SF,
            tracking_no="YT1234567890123", lines=[(item.pk, 1)],
        )  # fmt: skip
    assert "SF1234567890123" in refused.value.errors[0].message


def _ship(supply, item, number=SF, courier=Courier.SF):
    return shipment_log(
        actor=supply.user1, provider=supply.s1, courier=courier, tracking_no=number,
        lines=[(item.pk, item.quantity)],
    )  # fmt: skip


def test_mark_delivered_single_and_bulk_with_the_time(supply):
    items = [supply.due(supply.policy(), supply.gifts["G001"]) for _ in range(3)]
    numbers = ["SF1234567890121", "SF1234567890122", "SF1234567890123"]
    parcels = [_ship(supply, item, number) for item, number in zip(items, numbers, strict=True)]
    when = timezone.now()
    assert (
        shipment_mark_delivered(
            actor=supply.user1, provider=supply.s1, shipment_ids=[parcels[0].pk], delivered_at=when
        )
        == 1
    )
    assert (
        shipment_mark_delivered(
            actor=supply.user1, provider=supply.s1, shipment_ids=[p.pk for p in parcels]
        )
        == 2
    )  # the first one was delivered already
    parcels[0].refresh_from_db()
    assert parcels[0].delivered_at == when
    assert set(
        DistributionItem.objects.filter(pk__in=[i.pk for i in items]).values_list(
            "status", flat=True
        )
    ) == {ItemStatus.DELIVERED}
    assert parcels[0].history.latest().history_user == supply.user1


def test_an_item_in_two_parcels_is_delivered_when_both_are(supply):
    item = supply.due(supply.policy(), supply.gifts["G001"], 2)
    first = shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF, tracking_no=SF,
        lines=[(item.pk, 1)],
    )  # fmt: skip
    second = shipment_log(
        actor=supply.user1, provider=supply.s1, courier=Courier.SF,
        tracking_no="SF1234567890124", lines=[(item.pk, 1)],
    )  # fmt: skip
    shipment_mark_delivered(actor=supply.user1, provider=supply.s1, shipment_ids=[first.pk])
    item.refresh_from_db()
    assert item.status == ItemStatus.SHIPPED
    shipment_mark_delivered(actor=supply.user1, provider=supply.s1, shipment_ids=[second.pk])
    item.refresh_from_db()
    assert item.status == ItemStatus.DELIVERED


def test_delivery_of_another_suppliers_parcel_does_nothing(supply):
    item = supply.due(supply.policy(), supply.gifts["G003"])
    parcel = shipment_log(
        actor=supply.user2, provider=supply.s2, courier=Courier.SF, tracking_no=SF,
        lines=[(item.pk, 1)],
    )  # fmt: skip
    assert (
        shipment_mark_delivered(actor=supply.user1, provider=supply.s1, shipment_ids=[parcel.pk])
        == 0
    )
    parcel.refresh_from_db()
    assert parcel.delivered_at is None


def test_delivery_time_in_the_future_or_before_shipping_is_refused(supply):
    parcel = _ship(supply, supply.due(supply.policy(), supply.gifts["G001"]))
    for when in (
        timezone.now() + datetime.timedelta(hours=1),
        parcel.shipped_at - datetime.timedelta(hours=1),
    ):
        with pytest.raises(ShipmentRefused):
            shipment_mark_delivered(
                actor=supply.user1, provider=supply.s1, shipment_ids=[parcel.pk],
                delivered_at=when,
            )  # fmt: skip
    parcel.refresh_from_db()
    assert parcel.delivered_at is None


def test_nothing_can_be_added_to_a_delivered_parcel(supply):
    policy = supply.policy()
    parcel = _ship(supply, supply.due(policy, supply.gifts["G001"]))
    shipment_mark_delivered(actor=supply.user1, provider=supply.s1, shipment_ids=[parcel.pk])
    with pytest.raises(ShipmentRefused):
        _ship(supply, supply.due(policy, supply.gifts["G002"]))


def test_history_rows_hold_the_values_who_and_when(supply):
    item = supply.due(supply.policy(), supply.gifts["G001"])
    parcel = _ship(supply, item)
    when = timezone.now()
    shipment_mark_delivered(
        actor=supply.user1, provider=supply.s1, shipment_ids=[parcel.pk], delivered_at=when
    )
    created, delivered = parcel.history.order_by("history_id")
    assert (created.history_type, delivered.history_type) == ("+", "~")
    assert created.tracking_no == SF and created.delivered_at is None
    assert delivered.delivered_at == when and delivered.history_user == supply.user1
    assert created.shipped_at == parcel.shipped_at and created.history_date is not None
    latest = item.history.latest()
    assert (latest.status, latest.history_type) == (ItemStatus.DELIVERED, "~")
    assert latest.unit_value == item.unit_value and latest.unit_cost == item.unit_cost
    line = ShipmentLine.objects.get(item=item)
    assert line.history.get().quantity == 1
