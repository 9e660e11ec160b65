"""Shipping writes: log a parcel, import a sheet of them, mark parcels delivered.

One planner serves the form and the sheet: every wanted line is checked against the
supplier's outstanding items, the quantities still open and the parcels already logged,
and either everything is written or nothing is (``ShipmentRefused`` carries every row's
errors). The writes are set-based (a handful of queries whatever the number of rows):
items are locked in one ``SELECT ... FOR UPDATE``, parcels, lines and item statuses go
in bulk, with their history rows in bulk too (``distribution.shipment_history``), so a
5,000-row sheet costs a few dozen queries, not tens of thousands.
"""

from collections import defaultdict
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution import shipment_import as sheets
from distribution.models import DistributionItem, ItemStatus, Shipment, ShipmentLine
from distribution.shipment_history import CHANGED, CREATED, record_history
from distribution.shipment_plan import Plan, ShipmentRefused, WantedLine, plan_shipments
from giftplatform.access import recorded
from giftplatform.sheets.schema import RowError

__all__ = [
    "ShipmentRefused",
    "WantedLine",
    "shipment_import",
    "shipment_log",
    "shipment_mark_delivered",
    "shipments_commit",
]


def _write(*, actor, provider, plan: Plan, shipped_at) -> list[Shipment]:
    """Parcels, lines and item statuses from ``plan``, in bulk with their history."""
    user = recorded(actor)
    by_key = dict(plan.existing)
    policy_of = {}
    for courier, number, item_id in plan.lines:
        policy_of.setdefault((courier, number), plan.items[item_id].distribution.policy_id)
    new = [
        Shipment(
            provider=provider,
            policy_id=policy_of[key],
            courier=key[0],
            tracking_no=key[1],
            shipped_at=shipped_at,
            logged_by=user,
        )
        for key in policy_of
        if key not in by_key
    ]
    if new:
        # PostgreSQL and SQLite return the new primary keys from the bulk insert.
        Shipment.objects.bulk_create(new)
        record_history(Shipment, new, user=user, history_type=CREATED)
        by_key.update({(s.courier, s.tracking_no): s for s in new})
    old_lines = {
        (line.shipment_id, line.item_id): line
        for line in ShipmentLine.objects.filter(
            shipment_id__in=[by_key[key].pk for key in policy_of if key in plan.existing],
            item_id__in={item_id for _c, _n, item_id in plan.lines},
        )
    }
    to_create, to_update = [], []
    for (courier, number, item_id), quantity in plan.lines.items():
        shipment = by_key[(courier, number)]
        line = old_lines.get((shipment.pk, item_id))
        if line is None:
            to_create.append(ShipmentLine(shipment=shipment, item_id=item_id, quantity=quantity))
        else:
            line.quantity += quantity
            to_update.append(line)
    if to_create:
        ShipmentLine.objects.bulk_create(to_create)
        record_history(ShipmentLine, to_create, user=user, history_type=CREATED)
    if to_update:
        ShipmentLine.objects.bulk_update(to_update, ["quantity"])
        record_history(ShipmentLine, to_update, user=user, history_type=CHANGED)
    _mark_fully_shipped(plan, user)
    return [by_key[key] for key in policy_of]


def _mark_fully_shipped(plan: Plan, user) -> None:
    added: dict[int, int] = defaultdict(int)
    for (_courier, _number, item_id), quantity in plan.lines.items():
        added[item_id] += quantity
    done = []
    for item_id, quantity in added.items():
        item = plan.items[item_id]
        if item.shipped + quantity >= item.quantity:
            item.status = ItemStatus.SHIPPED
            done.append(item)
    _set_status(done, ItemStatus.SHIPPED, user)


def _set_status(items, status: str, user) -> None:
    """One UPDATE for every item (all get the same status) and their history rows in bulk:
    Django's bulk_update would write a CASE per row for a value they all share."""
    if not items:
        return
    DistributionItem.objects.filter(pk__in=[item.pk for item in items]).update(status=status)
    record_history(DistributionItem, items, user=user, history_type=CHANGED)


def shipments_commit(
    *, actor, provider, wanted: list[WantedLine], shipped_at=None
) -> list[Shipment]:
    """Check and write ``wanted`` all-or-nothing; raises ShipmentRefused with row errors."""
    shipped_at = shipped_at or timezone.now()
    try:
        with transaction.atomic():
            plan, errors = plan_shipments(provider=provider, wanted=wanted, lock=True)
            if errors:
                raise ShipmentRefused(errors)
            return _write(actor=actor, provider=provider, plan=plan, shipped_at=shipped_at)
    except IntegrityError as exc:
        # Another request logged the same tracking number a moment ago: nothing was written.
        raise ShipmentRefused(
            [
                RowError(
                    0, "", _("Someone logged one of these tracking numbers just now; try again.")
                )
            ]
        ) from exc


def shipment_log(
    *,
    actor,
    provider,
    courier: str,
    tracking_no: str,
    lines: list[tuple[int, int]],
    shipped_at=None,
) -> Shipment:
    """One parcel from the form: ``lines`` are (item id, quantity) of one policy."""
    if not lines:
        raise ShipmentRefused([RowError(0, "", _("Choose at least one item and its quantity."))])
    wanted = [
        WantedLine(0, courier, tracking_no, quantity, [item_id], column=str(item_id))
        for item_id, quantity in lines
    ]
    return shipments_commit(actor=actor, provider=provider, wanted=wanted, shipped_at=shipped_at)[0]


def shipment_mark_delivered(*, actor, provider, shipment_ids, delivered_at=None) -> int:
    """Mark the provider's parcels delivered at ``delivered_at`` (now); how many were.

    Parcels of another provider are skipped like missing ones (the caller scopes the ids
    first and answers 404 for a single one). An item is delivered once it is fully
    shipped and every parcel carrying it is delivered.
    """
    delivered_at = delivered_at or timezone.now()
    user = recorded(actor)
    if delivered_at > timezone.now():
        raise ShipmentRefused([RowError(0, "", _("The delivery time cannot be in the future."))])
    with transaction.atomic():
        parcels = list(
            Shipment.objects.select_for_update()
            .filter(pk__in=list(shipment_ids), provider=provider, delivered_at__isnull=True)
            .order_by("pk")
        )
        early = [p for p in parcels if p.shipped_at > delivered_at]
        if early:
            raise ShipmentRefused(
                [
                    RowError(
                        0,
                        "",
                        _("Parcel %(number)s was shipped after that time.")
                        % {"number": p.tracking_no},
                    )
                    for p in early
                ]
            )
        for parcel in parcels:
            parcel.delivered_at = delivered_at
        if parcels:
            Shipment.objects.filter(pk__in=[p.pk for p in parcels]).update(
                delivered_at=delivered_at
            )
            record_history(Shipment, parcels, user=user, history_type=CHANGED)
        # Items on these parcels with no parcel left undelivered (FOR UPDATE refuses
        # DISTINCT, hence the ids first).
        carried = ShipmentLine.objects.filter(shipment__in=parcels).values("item_id")
        items = list(
            DistributionItem.objects.select_for_update()
            .filter(pk__in=carried, status=ItemStatus.SHIPPED)
            .exclude(shipment_lines__shipment__delivered_at__isnull=True)
            .order_by("pk")
        )
        for item in items:
            item.status = ItemStatus.DELIVERED
        _set_status(items, ItemStatus.DELIVERED, user)
    return len(parcels)


def shipment_import(*, actor, provider, path: Path, file_name: str) -> sheets.SheetCheck:
    """A shipment sheet checked and written all-or-nothing; with errors, nothing written."""
    check = sheets.read_and_match(provider=provider, path=path, file_name=file_name)
    if not check.rows:
        return check
    if check.errors:  # bad cells: still say what else is wrong, every row at once
        return sheets.add_plan_errors(check, provider)
    try:
        check.parcels = len(shipments_commit(actor=actor, provider=provider, wanted=check.wanted))
    except ShipmentRefused as refused:
        check.errors = sorted(refused.errors, key=lambda e: e.row)
    return check
