"""Writes for gifts and stock. Every stock change is a ledger row, in the same transaction."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from giftplatform.access import recorded
from gifts.models import Gift, GiftKind, MovementReason, StockMovement


def _move_stock(
    *,
    actor,
    gift: Gift,
    quantity: int,
    reason: str,
    reference: str = "",
    unit_cost: Decimal | None = None,
    note: str = "",
    import_job=None,
) -> StockMovement:
    if gift.kind != GiftKind.PHYSICAL:
        raise ValidationError(_("Only physical gifts carry stock."))
    if quantity == 0:
        raise ValidationError(_("Quantity must not be zero."))
    # Conditional update: the row lock and the >= check make stock never go below zero.
    updated = Gift.objects.filter(pk=gift.pk, stock__gte=-quantity).update(
        stock=F("stock") + quantity
    )
    if not updated:
        raise ValidationError(
            _("Not enough stock of %(gift)s to take %(n)d.") % {"gift": gift.code, "n": -quantity}
        )
    gift.refresh_from_db(fields=["stock"])
    return StockMovement.objects.create(
        gift=gift,
        quantity=quantity,
        reason=reason,
        reference=reference,
        unit_cost=unit_cost,
        note=note,
        stock_after=gift.stock,
        actor=recorded(actor),
        import_job=import_job,
    )


@transaction.atomic
def gift_receive_stock(
    *,
    actor,
    gift: Gift,
    quantity: int,
    reference: str,
    unit_cost: Decimal | None = None,
    note: str = "",
    import_job=None,
) -> StockMovement:
    """Book a stock receipt: the purchase or invoice reference is what the unit cost traces to."""
    if quantity <= 0:
        raise ValidationError(_("A receipt quantity must be positive."))
    if not reference.strip():
        raise ValidationError(_("A receipt needs a purchase order or invoice reference."))
    booked = StockMovement.objects.filter(
        gift=gift, reason=MovementReason.RECEIPT, reference=reference.strip()
    )
    if booked.exists():
        raise ValidationError(
            _("Receipt %(ref)s was already booked for %(gift)s; give each delivery its own no.")
            % {"ref": reference.strip(), "gift": gift.code}
        )
    return _move_stock(
        actor=actor,
        gift=gift,
        quantity=quantity,
        reason=MovementReason.RECEIPT,
        reference=reference.strip(),
        unit_cost=gift.unit_cost if unit_cost is None else unit_cost,
        note=note,
        import_job=import_job,
    )


@transaction.atomic
def gift_adjust_stock(*, actor, gift: Gift, quantity: int, note: str) -> StockMovement:
    """A stock-take correction (signed); the reason is required."""
    if not note.strip():
        raise ValidationError(_("An adjustment needs a reason."))
    return _move_stock(
        actor=actor,
        gift=gift,
        quantity=quantity,
        reason=MovementReason.ADJUSTMENT,
        note=note.strip(),
    )


def gift_issue_stock(*, actor, gift: Gift, quantity: int, reference: str) -> StockMovement:
    """Take ``quantity`` out for a hand-out; the caller's transaction makes it all-or-nothing."""
    return _move_stock(
        actor=actor,
        gift=gift,
        quantity=-quantity,
        reason=MovementReason.DISTRIBUTION,
        reference=reference,
    )


def gift_return_stock(*, actor, gift: Gift, quantity: int, reference: str, note: str):
    """Put back what a cancelled or rejected hand-out had taken."""
    return _move_stock(
        actor=actor,
        gift=gift,
        quantity=quantity,
        reason=MovementReason.CANCELLATION,
        reference=reference,
        note=note,
    )
