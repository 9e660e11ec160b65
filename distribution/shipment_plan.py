"""Checking wanted shipment lines against the database, without writing (the planner).

Used by the form, the sheet preview and, under row locks, by the writer in
``distribution.services.shipments``: one set of rules for every way in.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from distribution.models import (
    DistributionItem,
    ItemStatus,
    Shipment,
    normalize_tracking_no,
    tracking_error,
)
from distribution.shipment_selectors import shipped_quantity
from giftplatform.sheets.schema import RowError


@dataclass
class WantedLine:
    """One line asked for: a quantity of one of ``candidates`` (item ids, oldest first)."""

    row: int
    courier: str
    tracking_no: str
    quantity: int
    candidates: list[int]
    column: str = ""  # where a quantity or item error shows (the sheet's header)
    tracking_column: str = ""


@dataclass
class Plan:
    new_shipments: dict = field(default_factory=dict)  # (courier, no) -> Shipment (unsaved)
    lines: dict = field(default_factory=dict)  # (courier, no, item id) -> quantity
    items: dict = field(default_factory=dict)  # id -> DistributionItem (locked)
    existing: dict = field(default_factory=dict)  # (courier, no) -> Shipment
    rows: int = 0


class ShipmentRefused(Exception):
    """Nothing was written; ``errors`` says why, row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


def _load_items(provider, item_ids, *, lock: bool) -> dict[int, DistributionItem]:
    items = DistributionItem.objects.filter(
        pk__in=item_ids, provider=provider, status=ItemStatus.TO_SHIP
    ).select_related("distribution")
    if lock:
        items = items.select_for_update(of=("self",))
    items = items.annotate(shipped=shipped_quantity())
    return {item.pk: item for item in items}


def _load_shipments(keys) -> dict[tuple[str, str], Shipment]:
    numbers = {number for _courier, number in keys}
    found = Shipment.objects.filter(tracking_no__in=numbers)
    return {(s.courier, s.tracking_no): s for s in found if (s.courier, s.tracking_no) in keys}


def plan_shipments(
    *, provider, wanted: list[WantedLine], lock: bool = False
) -> tuple[Plan, list[RowError]]:
    """Check ``wanted`` against the database; the plan to write and the row errors."""
    errors: list[RowError] = []
    plan = Plan(rows=len(wanted))
    for line in wanted:
        line.tracking_no = normalize_tracking_no(line.tracking_no)
    all_ids = {pk for line in wanted for pk in line.candidates}
    plan.items = _load_items(provider, all_ids, lock=lock)
    keys = {(line.courier, line.tracking_no) for line in wanted}
    plan.existing = _load_shipments(keys)
    remaining = {pk: item.quantity - item.shipped for pk, item in plan.items.items()}
    parcel_policy: dict[tuple[str, str], int] = {}  # policy each parcel goes to
    for key, shipment in plan.existing.items():
        parcel_policy[key] = shipment.policy_id
    for line in wanted:
        key = (line.courier, line.tracking_no)
        problem = tracking_error(line.courier, line.tracking_no)
        if problem:
            errors.append(RowError(line.row, line.tracking_column, problem))
            continue
        candidates = [plan.items[pk] for pk in line.candidates if pk in plan.items]
        if not candidates:
            errors.append(
                RowError(
                    line.row, line.column, _("No item of yours is waiting to be shipped here.")
                )
            )
            continue
        policy_id = candidates[0].distribution.policy_id
        shipment = plan.existing.get(key)
        if shipment is not None and shipment.provider_id != provider.pk:
            errors.append(RowError(line.row, line.tracking_column, _tracking_taken(line)))
            continue
        if parcel_policy.setdefault(key, policy_id) != policy_id:
            errors.append(RowError(line.row, line.tracking_column, _tracking_taken(line)))
            continue
        if shipment is not None and shipment.delivered_at is not None:
            errors.append(
                RowError(
                    line.row,
                    line.tracking_column,
                    _("Parcel %(number)s is already marked delivered; nothing can be added.")
                    % {"number": line.tracking_no},
                )
            )
            continue
        open_quantity = sum(remaining[item.pk] for item in candidates)
        if line.quantity > open_quantity:
            errors.append(
                RowError(
                    line.row,
                    line.column,
                    _("Quantity %(wanted)d is more than the %(open)d still to ship.")
                    % {"wanted": line.quantity, "open": open_quantity},
                )
            )
            continue
        _allocate(plan, key, line.quantity, candidates, remaining)
    return plan, errors


def _tracking_taken(line: WantedLine) -> str:
    return _("Tracking number %(number)s is already used for another policy.") % {
        "number": line.tracking_no
    }


def _allocate(plan: Plan, key, quantity: int, candidates, remaining: dict) -> None:
    for item in candidates:
        take = min(quantity, remaining[item.pk])
        if take <= 0:
            continue
        remaining[item.pk] -= take
        quantity -= take
        line_key = (*key, item.pk)
        plan.lines[line_key] = plan.lines.get(line_key, 0) + take
        if quantity == 0:
            return
