"""Provider settlements: what a provider is owed for one period, and its sheet.

A statement is the provider's physical items delivered in the period (shipment lines of
its parcels whose delivery time falls in the period) and its vouchers redeemed in the
period, each at the unit cost recorded on the distributed item when it was handed out
(the cost that traces to a stock receipt, not today's price). Cancelled items are left
out. Periods are whole local days, ``period_end`` inclusive.

Selectors (``statement_lines``, ``settlement_period``) read without any user: the faces
read the provider or settlement through ``giftplatform.access`` first. The portal's
statement page calls them for the portal user's own provider.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

import cn2an
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from distribution.models import DistributionItem, ItemStatus, ShipmentLine
from giftplatform.access import recorded
from giftplatform.sheets.export import local_zone
from giftplatform.sheets.writer import write_workbook
from gifts.models import VoucherStatus
from suppliers.models import Provider, Settlement, SettlementCycle, SettlementStatus

DELIVERED = "delivered"
REDEEMED = "redeemed"


@dataclass(frozen=True)
class StatementLine:
    kind: str  # DELIVERED | REDEEMED
    at: datetime.datetime  # delivery or redemption time
    distribution_no: str
    policy_no: str
    gift_code: str
    gift_name: str
    quantity: int
    unit_cost: Decimal
    reference: str  # the parcel (courier and tracking no.) or the voucher code

    @property
    def amount(self) -> Decimal:
        return self.unit_cost * self.quantity


@dataclass(frozen=True)
class StatementTotals:
    physical_units: int
    physical_amount: Decimal
    voucher_units: int
    voucher_amount: Decimal

    @property
    def total_amount(self) -> Decimal:
        return self.physical_amount + self.voucher_amount


# ----------------------------------------------------------------------------- periods


def settlement_period(
    provider: Provider, day: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """The period of ``provider``'s settlement cycle that holds ``day``: its quarter for a
    quarterly cycle, else its month (per-order providers are settled monthly too)."""
    if provider.settlement_cycle == SettlementCycle.QUARTERLY:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = day.replace(month=first_month, day=1)
        months = 3
    else:
        start = day.replace(day=1)
        months = 1
    year, month = divmod(start.month - 1 + months, 12)
    end = datetime.date(start.year + year, month + 1, 1) - datetime.timedelta(days=1)
    return start, end


def previous_period(provider: Provider, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last whole period before the one that holds ``day`` (what is settled next)."""
    start, _end = settlement_period(provider, day)
    return settlement_period(provider, start - datetime.timedelta(days=1))


def _bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    zone = local_zone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


# ----------------------------------------------------------------------------- statement


def _delivered(provider, since, until) -> Iterator[StatementLine]:
    lines = (
        ShipmentLine.objects.filter(
            shipment__provider=provider,
            shipment__delivered_at__gte=since,
            shipment__delivered_at__lt=until,
        )
        .exclude(item__status=ItemStatus.CANCELLED)
        .order_by("shipment__delivered_at", "pk")
        .values_list(
            "shipment__delivered_at",
            "item__distribution__number",
            "item__distribution__policy__policy_no",
            "item__gift__code",
            "item__gift__name",
            "quantity",
            "item__unit_cost",
            "shipment__courier",
            "shipment__tracking_no",
        )
    )
    for at, number, policy_no, code, name, quantity, cost, courier, tracking in lines.iterator():
        yield StatementLine(
            DELIVERED, at, number, policy_no, code, name, quantity, cost, f"{courier} {tracking}"
        )


def _redeemed(provider, since, until) -> Iterator[StatementLine]:
    items = (
        DistributionItem.objects.filter(
            provider=provider,
            voucher__status=VoucherStatus.REDEEMED,
            voucher__redeemed_at__gte=since,
            voucher__redeemed_at__lt=until,
        )
        .exclude(status=ItemStatus.CANCELLED)
        .order_by("voucher__redeemed_at", "pk")
        .values_list(
            "voucher__redeemed_at",
            "distribution__number",
            "distribution__policy__policy_no",
            "gift__code",
            "gift__name",
            "quantity",
            "unit_cost",
            "voucher__code",
        )
    )
    for at, number, policy_no, code, name, quantity, cost, voucher in items.iterator():
        yield StatementLine(REDEEMED, at, number, policy_no, code, name, quantity, cost, voucher)


def statement_lines(
    *, provider: Provider, period_start: datetime.date, period_end: datetime.date
) -> list[StatementLine]:
    """Delivered items, then redeemed vouchers, of ``provider`` in the period (two queries)."""
    since, until = _bounds(period_start, period_end)
    return [*_delivered(provider, since, until), *_redeemed(provider, since, until)]


def statement_totals(lines: list[StatementLine]) -> StatementTotals:
    delivered = [line for line in lines if line.kind == DELIVERED]
    redeemed = [line for line in lines if line.kind == REDEEMED]
    return StatementTotals(
        physical_units=sum(line.quantity for line in delivered),
        physical_amount=sum((line.amount for line in delivered), Decimal("0.00")),
        voucher_units=sum(line.quantity for line in redeemed),
        voucher_amount=sum((line.amount for line in redeemed), Decimal("0.00")),
    )


def amount_in_capitals(amount: Decimal) -> str:
    """人民币大写, as written on Chinese invoices and payment orders (cn2an's rmb mode)."""
    return cn2an.an2cn(f"{amount:.2f}", "rmb")


# ----------------------------------------------------------------------------- writes


def _apply_totals(settlement: Settlement, totals: StatementTotals) -> None:
    settlement.physical_units = totals.physical_units
    settlement.physical_amount = totals.physical_amount
    settlement.voucher_units = totals.voucher_units
    settlement.voucher_amount = totals.voucher_amount
    settlement.total_amount = totals.total_amount


@transaction.atomic
def settlement_create(
    *, actor, provider: Provider, period_start: datetime.date, period_end: datetime.date
) -> Settlement:
    """The provider's open settlement for the period with current totals (an open one of
    the same period is brought up to date; a settled one is never changed)."""
    if period_start > period_end:
        raise ValidationError(_("The period ends before it starts."))
    settlement, _created = Settlement.objects.select_for_update().get_or_create(
        provider=provider,
        period_start=period_start,
        period_end=period_end,
        defaults={"created_by": recorded(actor)},
    )
    if settlement.status == SettlementStatus.SETTLED:
        raise ValidationError(_("This period is already settled."))
    lines = statement_lines(provider=provider, period_start=period_start, period_end=period_end)
    _apply_totals(settlement, statement_totals(lines))
    settlement._history_user = recorded(actor)
    settlement.save()
    return settlement


@transaction.atomic
def settlement_mark_settled(*, actor, settlement: Settlement) -> Settlement:
    """Freeze the totals as they stand now and record who settled, when; once only."""
    locked = Settlement.objects.select_for_update().get(pk=settlement.pk)
    if locked.status == SettlementStatus.SETTLED:
        raise ValidationError(_("This period is already settled."))
    lines = statement_lines(
        provider=locked.provider, period_start=locked.period_start, period_end=locked.period_end
    )
    _apply_totals(locked, statement_totals(lines))
    locked.status = SettlementStatus.SETTLED
    locked.settled_by = recorded(actor)
    locked.settled_at = timezone.now()
    locked._history_user = recorded(actor)
    locked.save()
    return locked


# ----------------------------------------------------------------------------- sheet


def write_statement(settlement: Settlement, target: str | BinaryIO) -> None:
    """The statement as an .xlsx: provider, bank, period and totals (in figures and in
    Chinese capitals) on top, one row per delivered or redeemed line (formula-safe)."""
    provider = settlement.provider
    lines = statement_lines(
        provider=provider, period_start=settlement.period_start, period_end=settlement.period_end
    )
    # A settled statement shows the totals that were settled; an open one, today's.
    totals = (
        statement_totals(lines)
        if settlement.status == SettlementStatus.OPEN
        else StatementTotals(
            settlement.physical_units,
            settlement.physical_amount,
            settlement.voucher_units,
            settlement.voucher_amount,
        )
    )
    zone = local_zone()
    kinds = {DELIVERED: _("delivered"), REDEEMED: _("redeemed")}
    notes = [
        _("Settlement statement of %(provider)s") % {"provider": provider},
        _("Period: %(start)s to %(end)s")
        % {"start": settlement.period_start, "end": settlement.period_end},
        _("Bank: %(bank)s, account name: %(name)s, account no.: %(number)s")
        % {
            "bank": provider.bank_name or "-",
            "name": provider.bank_account_name or "-",
            "number": provider.bank_account_no or "-",
        },
        _("Delivered: %(units)d units, %(amount)s CNY")
        % {"units": totals.physical_units, "amount": f"{totals.physical_amount:.2f}"},
        _("Redeemed: %(units)d vouchers, %(amount)s CNY")
        % {"units": totals.voucher_units, "amount": f"{totals.voucher_amount:.2f}"},
        _("Total: %(amount)s CNY (%(capitals)s)")
        % {
            "amount": f"{totals.total_amount:.2f}",
            "capitals": amount_in_capitals(totals.total_amount),
        },
        _("Status: %(status)s") % {"status": settlement.get_status_display()},
    ]
    headers = [
        _("type"),
        _("time"),
        _("distribution no."),
        _("policy no."),
        _("gift code"),
        _("gift"),
        _("quantity"),
        _("unit cost"),
        pgettext("settlement", "amount"),
        _("amount in capitals"),
        _("parcel / voucher code"),
    ]
    rows = (
        [
            kinds[line.kind],
            timezone.localtime(line.at, zone).replace(tzinfo=None),
            line.distribution_no,
            line.policy_no,
            line.gift_code,
            line.gift_name,
            line.quantity,
            line.unit_cost,
            line.amount,
            amount_in_capitals(line.amount),
            line.reference,
        ]
        for line in lines
    )
    write_workbook(
        target,
        [str(h) for h in headers],
        rows,
        sheet_name=str(_("statement")),
        notes=[str(note) for note in notes],
        constant_memory=isinstance(target, str),
        datetime_format="yyyy-mm-dd hh:mm",
        decimal_format="#,##0.00",
    )
