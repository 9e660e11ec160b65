"""Supplier delivery times (stats.delivery): per supplier and in total, equal to a
brute force over the rows in Python, within the user's scope; working days on the
mainland calendar across National Day; the overdue list; query counts flat as rows grow.

Runs on SQLite (percentiles from histograms in Python) and on PostgreSQL
(``percentile_cont`` in SQL): both must give the brute force's numbers.
"""

import random
import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from distribution.models import (
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    Shipment,
    ShipmentLine,
    policy_snapshot,
)
from distribution.services import handouts_move
from distribution.shipment_selectors import working_days_between
from gifts.models import GiftKind
from stats import delivery
from suppliers.models import ProviderKind
from tests.factories import PolicyFactory, gift_line
from tests.stats.world import SHANGHAI, add_distributions, add_shipments, analyst, build_world

DUE_HANDOUTS = (
    DistributionStatus.APPROVED,
    DistributionStatus.FULFILLING,
    DistributionStatus.COMPLETED,
)
FROM, TO = date(2025, 12, 1), date(2027, 3, 31)
TODAY = date(2027, 4, 30)
UNTIL = datetime.combine(TODAY, time(18), tzinfo=SHANGHAI)
TENTH = Decimal("0.1")


def _local(moment) -> date:
    return moment.astimezone(SHANGHAI).date()


def _percentile(values: list[int], fraction: float) -> Decimal | None:
    """The standard library's inclusive quantile (what percentile_cont computes)."""
    if not values:
        return None
    if len(values) == 1:
        exact = values[0]
    elif fraction == 0.5:
        exact = statistics.median(values)
    else:
        exact = statistics.quantiles(values, n=10, method="inclusive")[8]
    return Decimal(str(exact)).quantize(TENTH, ROUND_HALF_UP)


def brute_force(branch_path: str, *, sla: int, today: date = TODAY) -> dict:
    """{supplier id, or None for the total: figures} over every item, in Python."""
    per = defaultdict(lambda: defaultdict(list))
    lines = defaultdict(list)
    for line in ShipmentLine.objects.select_related("shipment"):
        lines[line.item_id].append(line.shipment)
    for item in DistributionItem.objects.select_related("distribution__branch", "gift", "provider"):
        d = item.distribution
        if not (
            item.provider.kind == ProviderKind.GOODS
            and item.gift.kind == GiftKind.PHYSICAL
            and item.status in (ItemStatus.TO_SHIP, ItemStatus.SHIPPED, ItemStatus.DELIVERED)
            and d.status in DUE_HANDOUTS
            and FROM <= _local(d.created_at) <= TO
            and d.branch.path.startswith(branch_path)
        ):
            continue
        due = _local(d.decided_at or d.created_at)
        parcels = lines[item.pk]
        for key in (item.provider_id, None):
            figures = per[key]
            figures["items"].append(item.pk)
            figures["parcels"].extend(p.pk for p in parcels)
            if item.status == ItemStatus.TO_SHIP:
                figures["waiting"].append(item.pk)
                if working_days_between(due, today) > sla:
                    figures["waiting_late"].append(item.pk)
                continue
            to_ship = working_days_between(due, _local(max(p.shipped_at for p in parcels)))
            figures["to_ship"].append(to_ship)
            if to_ship > sla:
                figures["shipped_late"].append(item.pk)
            if item.status == ItemStatus.DELIVERED:
                last = _local(max(p.delivered_at for p in parcels))
                figures["to_deliver"].append(working_days_between(due, last))
    return {
        key: {
            "items": len(f["items"]),
            "shipped": len(f["to_ship"]),
            "delivered": len(f["to_deliver"]),
            "waiting": len(f["waiting"]),
            "parcels": len(set(f["parcels"])),
            "shipped_late": len(f["shipped_late"]),
            "waiting_late": len(f["waiting_late"]),
            "ship_median": _percentile(f["to_ship"], 0.5),
            "ship_p90": _percentile(f["to_ship"], 0.9),
            "delivery_median": _percentile(f["to_deliver"], 0.5),
            "delivery_p90": _percentile(f["to_deliver"], 0.9),
        }
        for key, f in per.items()
    }


def _figures(row: delivery.SupplierDelivery) -> dict:
    return {
        name: getattr(row, name)
        for name in (
            "items",
            "shipped",
            "delivered",
            "waiting",
            "parcels",
            "shipped_late",
            "waiting_late",
            "ship_median",
            "ship_p90",
            "delivery_median",
            "delivery_p90",
        )
    }


@pytest.fixture
def shipped_world(world):
    add_distributions(world, 160, seed=23)
    add_shipments(until=UNTIL)
    return world


@pytest.mark.parametrize("sla", [1, 3])
@pytest.mark.parametrize(
    ("home", "drill"), [("futian", None), ("shenzhen", None), ("shenzhen", "nanshan")]
)
def test_figures_equal_the_brute_force(shipped_world, settings, sla, home, drill):
    settings.SHIPMENT_SLA_WORKING_DAYS = sla
    branches = shipped_world.branches
    user = analyst(f"an_{home}", branches[home])
    branch = branches[drill] if drill else None
    result = delivery.delivery_times(
        user=user, date_from=FROM, date_to=TO, branch=branch, today=TODAY
    )
    expected = brute_force((branch or branches[home]).path, sla=sla)
    got = {row.supplier_id: _figures(row) for row in result.rows}
    got[None] = _figures(result.total)
    assert got == expected
    assert result.total.shipped > 10 and result.total.delivered > 5
    assert result.total.shipped_late > 0 and result.total.waiting_late > 0
    overdue = [row.overdue for row in result.rows]
    assert overdue == sorted(overdue, reverse=True)  # the latest first


def test_a_futian_analyst_never_sees_nanshan_shipments(shipped_world):
    branches = shipped_world.branches
    futian = analyst("an_ft", branches["futian"])
    shenzhen = analyst("an_sz", branches["shenzhen"])
    args = {"date_from": FROM, "date_to": TO, "today": TODAY}
    mine = delivery.delivery_times(user=futian, **args).total
    nanshan = delivery.delivery_times(user=shenzhen, branch=branches["nanshan"], **args).total
    own = delivery.delivery_times(user=shenzhen, **args).total
    assert nanshan.items > 0 and mine.items > 0
    # 深圳 = 福田 + 南山 + what is booked on 深圳 itself: 福田's figures hold no 南山 item.
    assert mine.items + nanshan.items <= own.items
    assert mine == delivery.delivery_times(user=shenzhen, branch=branches["futian"], **args).total
    late = delivery.overdue_shipments(user=futian, today=TODAY, limit=1000)
    assert late.count > 0
    assert all(
        row.item.distribution.branch.path.startswith(branches["futian"].path) for row in late.items
    )
    # Even handed 南山 (the page 404s first), restrict() leaves nothing.
    assert (
        delivery.overdue_shipments(user=futian, branch=branches["nanshan"], today=TODAY).count == 0
    )
    assert delivery.delivery_times(user=futian, branch=branches["nanshan"], **args).total.items == 0


def test_percentile_cont_over_histograms_equals_the_standard_library():
    rng = random.Random(5)
    for size in range(1, 40):
        values = [rng.choice([0, 0, 1, 2, 3, 5, 8, 13]) for _ in range(size)]
        counts = defaultdict(int)
        for value in values:
            counts[value] += 1
        for fraction in (Decimal("0.5"), Decimal("0.9")):
            assert delivery.percentile_cont(counts, fraction) == _percentile(
                values, float(fraction)
            ), (values, fraction)
    assert delivery.percentile_cont({}, Decimal("0.5")) is None


def _handout(world, number: str, created: datetime, *, branch="futian", status="approved"):
    """One hand-out of one 车载吸尘器 (physical, supplier S001), made at ``created``."""
    policy = PolicyFactory(branch=world.branches[branch])
    distribution = Distribution.objects.create(
        number=number,
        policy=policy,
        rule=world.rules[0],
        rule_code=world.rules[0].code,
        slot=1,
        slot_limit=5,
        branch=policy.branch,
        **policy_snapshot(policy),
        status=status,
        tax_treatment="sale",
        total_value=0,
        total_cost=0,
        idempotency_key=f"delivery-{number}",
    )
    gift = world.gifts[0]
    item = gift_line(distribution, gift, status=ItemStatus.TO_SHIP)
    item.save()
    handouts_move({distribution.pk: created})
    item.refresh_from_db()
    return item


def _ship(item, shipped: datetime, delivered: datetime | None = None):
    parcel = Shipment.objects.create(
        provider=item.provider,
        policy=item.distribution.policy,
        courier="OTHER",
        tracking_no=f"HOL{item.pk:06d}",
        shipped_at=shipped,
        delivered_at=delivered,
    )
    ShipmentLine.objects.create(shipment=parcel, item=item, quantity=item.quantity)
    item.status = ItemStatus.DELIVERED if delivered else ItemStatus.SHIPPED
    item.save(update_fields=["status"])


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def test_the_sla_counts_working_days_across_national_day(db, settings):
    """National Day 2026: 1-7 October off, Saturday 10 October worked (chinese_calendar).
    An SLA of 3 working days; today is Monday 12 October."""
    settings.SHIPMENT_SLA_WORKING_DAYS = 3
    world = build_world()
    user = analyst("an_hol", world.branches["futian"])
    on_time = _handout(world, "H1", _at(date(2026, 9, 30), 10))
    # Ten calendar days, three working days (8, 9 and the swapped Saturday 10 October).
    _ship(on_time, _at(date(2026, 10, 10), 11), delivered=_at(date(2026, 10, 12), 18))
    late = _handout(world, "H2", _at(date(2026, 9, 30), 10))
    _ship(late, _at(date(2026, 10, 12), 9))  # four working days
    # Made 23:30 on 30 September in Shanghai (15:30 UTC): due that local day; shipped
    # 00:30 on 8 October (16:30 UTC on the 7th, a holiday): one working day, not zero.
    edge = _handout(world, "H3", _at(date(2026, 9, 30), 23, 30))
    _ship(edge, _at(date(2026, 10, 8), 0, 30))
    waiting_long = _handout(world, "H4", _at(date(2026, 10, 2), 9))  # made on a holiday
    _handout(world, "H5", _at(date(2026, 10, 8), 9))  # waiting three working days
    _handout(world, "H6", _at(date(2026, 9, 1), 9), status="pending_approval")  # not due

    result = delivery.delivery_times(
        user=user, date_from=date(2026, 9, 1), date_to=date(2026, 10, 31), today=date(2026, 10, 12)
    )
    (row,) = result.rows
    assert (row.items, row.shipped, row.delivered, row.waiting, row.parcels) == (5, 3, 1, 2, 3)
    assert (row.shipped_late, row.waiting_late, row.overdue) == (1, 1, 2)
    # To ship: 1, 3, 4 working days: median 3, 90th percentile 3 + 0.8 * (4 - 3).
    assert (row.ship_median, row.ship_p90) == (Decimal("3.0"), Decimal("3.8"))
    assert (row.delivery_median, row.delivery_p90) == (Decimal("4.0"), Decimal("4.0"))
    assert result.total == replace(row, supplier_id=None, code="", name="")

    overdue = delivery.overdue_shipments(user=user, today=date(2026, 10, 12))
    assert overdue.count == 1
    assert [(r.item.pk, r.days) for r in overdue.items] == [(waiting_long.pk, 4)]
    # The next working day, the one waiting since 8 October is overdue too, after it.
    overdue = delivery.overdue_shipments(user=user, today=date(2026, 10, 13))
    assert [r.item.distribution.number for r in overdue.items] == ["H4", "H5"]
    assert [r.days for r in overdue.items] == [5, 4]
    assert delivery.overdue_shipments(user=user, today=date(2026, 10, 13), limit=1).count == 2


def _queries(function, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        function(**kwargs)
    return [q["sql"] for q in captured.captured_queries]


def test_query_counts_stay_flat_as_rows_grow(world, client):
    user = analyst("an_q", world.branches["shenzhen"])
    args = {"user": user, "date_from": FROM, "date_to": TO, "today": TODAY}
    params = {"date_from": FROM.isoformat(), "date_to": TO.isoformat()}
    client.force_login(user)
    counts = []
    for seed in (31, 32):
        add_distributions(world, 120, seed=seed)
        add_shipments(until=UNTIL, seed=seed)
        times = _queries(delivery.delivery_times, **args)
        late = _queries(delivery.overdue_shipments, user=user, today=TODAY)
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("stats:overview"), params).status_code == 200
        counts.append((len(times), len(late), len(page.captured_queries)))
        if connection.vendor == "postgresql":
            assert len(times) == 1 and "percentile_cont" in times[0]
        else:
            assert len(times) == 2 and "percentile_cont" not in " ".join(times)
        assert len(late) == 2
    assert counts[0] == counts[1]
    assert delivery.delivery_times(**args).total.items > 100


def test_the_page_names_the_late_suppliers_and_links_the_overdue(db, client, settings):
    settings.SHIPMENT_SLA_WORKING_DAYS = 3
    world = build_world()
    user = analyst("an_page", world.branches["futian"])
    today = timezone.localdate()
    old = _handout(world, "LATE-1", timezone.now() - timedelta(days=30))
    _handout(world, "LATE-2", timezone.now() - timedelta(days=2), branch="nanshan")
    client.force_login(user)
    page = client.get(
        reverse("stats:overview"),
        {"date_from": (today - timedelta(days=40)).isoformat(), "date_to": today.isoformat()},
    )
    html = page.content.decode()
    assert page.context["delivery"].total.waiting_late == 1
    assert 'data-supplier="S001"' in html
    assert 'data-overdue-count="1"' in html
    assert reverse("admin:distribution_distribution_change", args=[old.distribution_id]) in html
    assert "LATE-2" not in html and "南山" not in html


def test_a_century_long_period_is_still_one_statement(shipped_world):
    """The calendar is one parameter: 36,500 days pass both databases' parameter limits
    as a VALUES list would not, and the figures are those of the period holding the rows."""
    user = analyst("an_century", shipped_world.branches["shenzhen"])
    century = delivery.delivery_times(
        user=user, date_from=date(1950, 1, 1), date_to=date(2049, 12, 31), today=TODAY
    )
    assert (
        century.total
        == delivery.delivery_times(user=user, date_from=FROM, date_to=TO, today=TODAY).total
    )


def test_a_period_ahead_of_today_has_nothing_yet(shipped_world):
    user = analyst("an_ahead", shipped_world.branches["shenzhen"])
    ahead = delivery.delivery_times(
        user=user, date_from=date(2027, 6, 1), date_to=date(2027, 6, 30), today=TODAY
    )
    assert ahead.rows == [] and ahead.total.items == 0
