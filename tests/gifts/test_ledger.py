"""The stock ledger: receipts and adjustments keep stock equal to the sum of movements;
ledger rows are never changed or deleted, by the ORM or (PostgreSQL) by raw SQL."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, Sum

from gifts.models import GiftKind, StockMovement
from gifts.services import gift_adjust_stock, gift_receive_stock
from tests.factories import GiftFactory


@pytest.fixture
def gift(db):
    return GiftFactory(kind=GiftKind.PHYSICAL)


def ledger_sum(gift):
    return StockMovement.objects.filter(gift=gift).aggregate(total=Sum("quantity"))["total"] or 0


def test_receipt_and_adjustment_keep_stock_equal_to_the_ledger(gift, superuser):
    gift_receive_stock(actor=superuser, gift=gift, quantity=10, reference="PO-1")
    gift_adjust_stock(actor=superuser, gift=gift, quantity=-3, note="盘点差异")
    gift.refresh_from_db()
    assert gift.stock == 7 == ledger_sum(gift)
    receipt = StockMovement.objects.get(reference="PO-1")
    assert receipt.unit_cost == Decimal("60.00") and receipt.stock_after == 10


def test_stock_never_goes_below_zero(gift, superuser):
    gift_receive_stock(actor=superuser, gift=gift, quantity=2, reference="PO-1")
    with pytest.raises(ValidationError):
        gift_adjust_stock(actor=superuser, gift=gift, quantity=-3, note="丢失")
    gift.refresh_from_db()
    assert gift.stock == 2 == ledger_sum(gift)


def test_a_receipt_needs_a_reference(gift, superuser):
    with pytest.raises(ValidationError):
        gift_receive_stock(actor=superuser, gift=gift, quantity=2, reference="  ")
    assert StockMovement.objects.count() == 0


def test_service_gifts_carry_no_stock(db, superuser):
    voucher_gift = GiftFactory(kind=GiftKind.SERVICE)
    with pytest.raises(ValidationError):
        gift_receive_stock(actor=superuser, gift=voucher_gift, quantity=2, reference="PO-1")


def test_the_orm_refuses_to_delete_or_change_ledger_rows(gift, superuser):
    movement = gift_receive_stock(actor=superuser, gift=gift, quantity=2, reference="PO-1")
    with pytest.raises(ProtectedError):
        movement.delete()
    with pytest.raises(ProtectedError):
        StockMovement.objects.all().delete()
    with pytest.raises(ProtectedError):
        StockMovement.objects.filter(pk=movement.pk).update(quantity=5)
    assert StockMovement.objects.get().quantity == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM gifts_stockmovement",
        "UPDATE gifts_stockmovement SET quantity = 99",
    ],
)
def test_the_database_refuses_raw_changes_to_the_ledger(gift, superuser, sql):
    gift_receive_stock(actor=superuser, gift=gift, quantity=2, reference="PO-1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert StockMovement.objects.get().quantity == 2
