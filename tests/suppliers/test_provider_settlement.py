"""Settlements (staff side): a provider's statement for a period is its parcels delivered
and its vouchers redeemed in that period at the items' recorded unit cost, equal to a
brute-force sum here; opened, downloaded and marked settled through the admin pages."""

import datetime
import io
from decimal import Decimal

import cn2an
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from distribution.models import ShipmentLine
from distribution.services import distribution_create
from distribution.services.handout import DistributionRefused
from distribution.services.redemption import voucher_redeem
from distribution.services.shipments import shipment_log, shipment_mark_delivered
from distribution.settlements import (
    previous_period,
    settlement_create,
    settlement_period,
    statement_lines,
)
from gifts.models import VoucherCode, VoucherStatus
from suppliers.models import Provider, ProviderStatus, Settlement, SettlementCycle, SettlementStatus
from tests.distribution.conftest import make_rule, stocked_gift
from tests.factories import ProviderFactory
from tests.suppliers.redeem_support import issued_voucher, portal_user
from tests.suppliers.shipment_support import build_supply

pytestmark = pytest.mark.django_db
ZONE = timezone.get_default_timezone()


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZONE)


@pytest.fixture
def period(futian):
    return previous_period(Provider(), timezone.localdate())


@pytest.fixture
def supply(futian):
    return build_supply(futian)


def _ship(supply, item, tracking, shipped, delivered=None):
    parcel = shipment_log(
        actor=supply.user1,
        provider=supply.s1,
        courier="SF",
        tracking_no=tracking,
        lines=[(item.pk, item.quantity)],
        shipped_at=shipped,
    )
    if delivered is not None:
        shipment_mark_delivered(
            actor=supply.user1, provider=supply.s1, shipment_ids=[parcel.pk], delivered_at=delivered
        )
    return parcel


@pytest.fixture
def deliveries(supply, period):
    """Parcels of S001: three delivered in the period (one at its last minute), one the
    first minute after it, one never delivered; and one parcel of S002."""
    start, end = period
    gifts = supply.gifts
    g1 = gifts["G001"]
    inside = [
        supply.due(supply.policy(), g1, 2),
        supply.due(supply.policy(), gifts["G002"], 1),
        supply.due(supply.policy(), g1, 3),
    ]
    # Items keep the unit cost of their hand-out, whatever the gift costs today.
    inside[1].unit_cost = Decimal("123.45")
    inside[1].save()
    _ship(supply, inside[0], "SF1000000000001", at(start, 9), at(start, 10))
    _ship(supply, inside[1], "SF1000000000002", at(start, 9), at(start + datetime.timedelta(3), 18))
    _ship(supply, inside[2], "SF1000000000003", at(start, 9), at(end, 23, 59))
    after = supply.due(supply.policy(), g1, 1)
    _ship(supply, after, "SF1000000000004", at(end, 9), at(end + datetime.timedelta(1), 0))
    _ship(supply, supply.due(supply.policy(), g1, 1), "SF1000000000005", at(start, 9))
    other = supply.due(supply.policy(), gifts["G003"], 4)
    parcel = shipment_log(
        actor=supply.user2,
        provider=supply.s2,
        courier="SF",
        tracking_no="SF1000000000006",
        lines=[(other.pk, 4)],
        shipped_at=at(start, 9),
    )
    shipment_mark_delivered(
        actor=supply.user2, provider=supply.s2, shipment_ids=[parcel.pk], delivered_at=at(start, 12)
    )
    return inside


def brute_force_delivered(provider, start, end):
    units, amount = 0, Decimal("0")
    for line in ShipmentLine.objects.select_related("shipment", "item"):
        delivered = line.shipment.delivered_at
        if line.shipment.provider_id != provider.pk or delivered is None:
            continue
        if start <= timezone.localtime(delivered, ZONE).date() <= end:
            units += line.quantity
            amount += line.quantity * line.item.unit_cost
    return units, amount


def brute_force_redeemed(provider, start, end):
    units, amount = 0, Decimal("0")
    for voucher in VoucherCode.objects.filter(status=VoucherStatus.REDEEMED):
        item = voucher.distribution_items.get()
        if item.provider_id != provider.pk:
            continue
        if start <= timezone.localtime(voucher.redeemed_at, ZONE).date() <= end:
            units += item.quantity
            amount += item.quantity * item.unit_cost
    return units, amount


def test_delivered_totals_equal_a_brute_force_sum(supply, deliveries, period):
    start, end = period
    settlement = settlement_create(
        actor=None, provider=supply.s1, period_start=start, period_end=end
    )
    assert (settlement.physical_units, settlement.physical_amount) == brute_force_delivered(
        supply.s1, start, end
    )
    # 2 x 30 + 1 x 123.45 + 3 x 30: the last minute in, the next minute and S002 out.
    assert settlement.physical_units == 6
    assert settlement.physical_amount == Decimal("273.45")
    assert settlement.total_amount == settlement.physical_amount
    assert (settlement.voucher_units, settlement.voucher_amount) == (0, 0)


@pytest.fixture
def redemptions(period, futian):
    carwash = ProviderFactory(code="P001", name="车洁洗车", kind="service")
    washer = portal_user(carwash, "p001_user")
    start, end = period
    vouchers = [
        issued_voucher(carwash, branch=futian, unit_cost=Decimal(cost)) for cost in ("8.88", "15")
    ]
    late = issued_voucher(carwash, branch=futian, unit_cost=Decimal("99"))
    kept = issued_voucher(carwash, branch=futian, unit_cost=Decimal("77"))
    for voucher, when in zip(vouchers, (at(start, 11), at(end, 20)), strict=True):
        policy = voucher.distribution_items.get().distribution.policy
        voucher_redeem(actor=washer, code=voucher.code, plate=policy.plate, place="门店", when=when)
    policy = late.distribution_items.get().distribution.policy
    voucher_redeem(actor=washer, code=late.code, plate=policy.plate, place="门店")
    return carwash, kept


def test_redeemed_totals_equal_a_brute_force_sum(redemptions, period):
    carwash, _kept = redemptions
    start, end = period
    settlement = settlement_create(actor=None, provider=carwash, period_start=start, period_end=end)
    assert (settlement.voucher_units, settlement.voucher_amount) == brute_force_redeemed(
        carwash, start, end
    )
    assert (settlement.voucher_units, settlement.voucher_amount) == (2, Decimal("23.88"))
    assert settlement.total_amount == Decimal("23.88")


@pytest.mark.parametrize(
    ("cycle", "day", "expected"),
    [
        (SettlementCycle.MONTHLY, "2026-02-14", ("2026-02-01", "2026-02-28")),
        (SettlementCycle.PER_ORDER, "2026-12-31", ("2026-12-01", "2026-12-31")),
        (SettlementCycle.QUARTERLY, "2026-11-26", ("2026-10-01", "2026-12-31")),
        (SettlementCycle.QUARTERLY, "2026-01-01", ("2026-01-01", "2026-03-31")),
    ],
)
def test_periods_follow_the_settlement_cycle(cycle, day, expected):
    provider = Provider(settlement_cycle=cycle)
    got = settlement_period(provider, datetime.date.fromisoformat(day))
    assert tuple(d.isoformat() for d in got) == expected


def test_staff_open_download_and_mark_settled_through_the_admin(
    client, supply, deliveries, period, gift_manager_shenzhen, gift_manager_futian
):
    start, end = period
    supply.gifts["G001"].name = '=HYPERLINK("http://evil")'
    supply.gifts["G001"].save()
    client.force_login(gift_manager_shenzhen)
    add = client.post(
        reverse("admin:suppliers_settlement_add"),
        {"provider": supply.s1.pk, "period_start": start.isoformat(), "period_end": ""},
    )
    assert add.status_code == 302, add.context["adminform"].form.errors
    settlement = Settlement.objects.get()
    assert (settlement.period_start, settlement.period_end) == (start, end)  # the month
    assert settlement.created_by == gift_manager_shenzhen
    provider_page = client.get(reverse("admin:suppliers_supplier_change", args=[supply.s1.pk]))
    listed = (
        f"{reverse('admin:suppliers_settlement_changelist')}?provider__id__exact={supply.s1.pk}"
    )
    assert listed in provider_page.content.decode()
    assert [s.pk for s in client.get(listed).context["cl"].result_list] == [settlement.pk]
    change = client.get(reverse("admin:suppliers_settlement_change", args=[settlement.pk]))
    assert change.status_code == 200
    assert "SF1000000000003" in change.content.decode()

    sheet = client.get(reverse("admin:suppliers_settlement_download", args=[settlement.pk]))
    assert sheet.status_code == 200
    assert sheet["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(sheet.streaming_content)))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert any(cn2an.an2cn("273.45", "rmb") in str(c) for c in cells)  # 贰佰柒拾叁元肆角伍分
    assert '\'=HYPERLINK("http://evil")' in cells  # text, never a formula
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)

    # The 福田 gift manager neither sees nor settles it.
    client.force_login(gift_manager_futian)
    provider_page = client.get(reverse("admin:suppliers_supplier_change", args=[supply.s1.pk]))
    assert listed not in provider_page.content.decode()
    settle = reverse("admin:suppliers_settlement_settle", args=[settlement.pk])
    assert client.get(settle).status_code == 404
    assert client.post(settle).status_code == 404

    client.force_login(gift_manager_shenzhen)
    assert client.get(settle).status_code == 200  # the confirmation page
    assert client.post(settle).status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.SETTLED
    assert settlement.settled_by == gift_manager_shenzhen and settlement.settled_at
    assert settlement.total_amount == Decimal("273.45")
    # Settled once: the page refuses a second time, and later deliveries change nothing.
    assert client.post(settle).status_code == 403
    late = supply.due(supply.policy(), supply.gifts["G002"], 1)
    _ship(supply, late, "SF1000000000009", at(start, 9), at(start, 10))
    settlement.refresh_from_db()
    assert settlement.total_amount == Decimal("273.45")
    assert len(statement_lines(provider=supply.s1, period_start=start, period_end=end)) == 4


def test_the_settlement_list_keeps_its_query_count(client, gift_manager_shenzhen, supply):
    client.force_login(gift_manager_shenzhen)
    url = reverse("admin:suppliers_settlement_changelist")

    def add(n):
        for _i in range(n):
            Settlement.objects.create(
                provider=ProviderFactory(), period_start="2026-10-01", period_end="2026-10-31"
            )

    add(3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).context["cl"].result_count == 30
    assert len(many) == len(few)


def test_a_suspended_suppliers_gifts_cannot_be_distributed(futian, supply):
    gift = stocked_gift(quantity=5, provider=supply.s1, branch=futian)
    rule = make_rule("R-SUSP", [(gift, 1, "")], branch=futian)
    supply.s1.status = ProviderStatus.SUSPENDED
    supply.s1.save()
    with translation.override("en"), pytest.raises(DistributionRefused) as refused:
        distribution_create(
            actor=None, policy=supply.policy(), rule=rule, idempotency_key="suspended-1"
        )
    assert any("is not active" in reason for reason in refused.value.reasons)
    gift.refresh_from_db()
    assert gift.stock == 5
    # Active again: the same hand-out goes through.
    supply.s1.status = ProviderStatus.ACTIVE
    supply.s1.save()
    distribution_create(actor=None, policy=supply.policy(), rule=rule, idempotency_key="ok-1")
