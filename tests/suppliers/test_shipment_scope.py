"""giftplatform.access scopes shipments: staff by the policy's branch, portal users by provider."""

import pytest

from distribution.models import Courier, Shipment, ShipmentLine
from distribution.services.shipments import shipment_log
from giftplatform.access import restrict
from tests.factories import UserFactory
from tests.suppliers.shipment_support import build_supply

pytestmark = pytest.mark.django_db


def test_shipments_are_scoped_by_branch_and_by_provider(futian, nanshan):
    supply = build_supply(futian)
    mine = supply.due(supply.policy(), supply.gifts["G001"])
    sibling = supply.due(supply.policy(branch=nanshan), supply.gifts["G001"])
    foreign = supply.due(supply.policy(), supply.gifts["G003"])
    parcels = {}
    for name, item, provider, user, number in (
        ("mine", mine, supply.s1, supply.user1, "SF1234567890121"),
        ("sibling", sibling, supply.s1, supply.user1, "SF1234567890122"),
        ("foreign", foreign, supply.s2, supply.user2, "SF1234567890123"),
    ):
        parcels[name] = shipment_log(
            actor=user, provider=provider, courier=Courier.SF, tracking_no=number,
            lines=[(item.pk, 1)],
        )  # fmt: skip
    clerk = UserFactory(username="clerk_ft", branch=futian)

    def seen(user, model=Shipment, key="pk"):
        return set(restrict(model.objects.all(), user).values_list(key, flat=True))

    ids = {name: parcel.pk for name, parcel in parcels.items()}
    assert seen(clerk) == {ids["mine"], ids["foreign"]}
    assert seen(supply.user1) == {ids["mine"], ids["sibling"]}
    assert seen(supply.user2) == {ids["foreign"]}
    assert seen(clerk, ShipmentLine, "shipment") == {ids["mine"], ids["foreign"]}
    assert seen(supply.user1, ShipmentLine, "shipment") == {ids["mine"], ids["sibling"]}
