"""How the matrix fills in the supplier portal's URLs (items and parcels of a position).

The item is the physical item of the position's distribution (S001's in 福田 and 南山,
S002's for ``other_provider``); its parcel is made on first use, inside the test's
savepoint, so the shared world stays as it was built.
"""

from distribution.models import Courier, Shipment, ShipmentLine
from gifts.models import GiftKind

PARCEL_NUMBERS = {"own": "SF1000000000001", "sibling": "SF1000000000002"}
PARCEL_NUMBERS["other_provider"] = "SF1000000000003"


def item_of(world, position):
    distribution = world.row("distribution.distribution", position)
    return distribution.items.filter(gift__kind=GiftKind.PHYSICAL).order_by("pk").first()


def parcel_of(world, position) -> Shipment:
    item = item_of(world, position)
    parcel, created = Shipment.objects.get_or_create(
        courier=Courier.SF,
        tracking_no=PARCEL_NUMBERS[position],
        defaults={"provider_id": item.provider_id, "policy_id": item.distribution.policy_id},
    )
    if created:
        ShipmentLine.objects.create(shipment=parcel, item=item, quantity=item.quantity)
    return parcel


def portal_args(name: str, world, position: str) -> list | None:
    """reverse() args of a portal object URL; None when ``name`` is not one of these."""
    if name == "portal:item":
        return [item_of(world, position).pk]
    if name in ("portal:shipment", "portal:shipment_deliver"):
        return [parcel_of(world, position).pk]
    return None


def portal_query(name: str, world) -> str:
    """The query string a portal page without an object needs (the own item)."""
    if name == "portal:shipment_add":
        return f"?item={item_of(world, 'own').pk}"
    return ""
