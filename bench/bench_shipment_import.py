"""A 5,000-row shipment sheet, validated and committed: ours against a per-row ORM loop.

Ours is ``distribution.services.shipments.shipment_import`` (read, match every row to the
supplier's outstanding items in one query, plan, then lock, write parcels, lines, item
statuses and their history rows in bulk). The baseline reads the same sheet with the
same reader and, row by row in one transaction, looks the item up, sums what it has
shipped, checks the tracking number, gets or creates the parcel and saves the line and
the item (each ``save()`` with its history row): what a straightforward implementation
does. Both start from the same 5,000 outstanding items (4,000 policies, a quarter of
them with two gifts under one tracking number) in a throwaway test database; target
>= 10x.

    make bench BENCH_ARGS=shipment_import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench BENCH_ARGS=shipment_import
    BENCH_SHIPMENT_ROWS=1000 make bench BENCH_ARGS=shipment_import
"""

import os
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import setup_test_environment, teardown_test_environment

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 10


def _data(rows: int):
    """Outstanding items of one supplier, and the sheet that ships them all."""
    from distribution.models import (
        Distribution,
        DistributionItem,
        DistributionStatus,
        ItemStatus,
        Rule,
        TaxTreatment,
        policy_snapshot,
    )
    from giftplatform.models import Branch, User
    from giftplatform.sheets.writer import write_workbook
    from gifts.models import Gift, GiftCategory, GiftKind
    from suppliers.models import Provider, ProviderKind
    from tests.factories import PolicyFactory

    branch = Branch.objects.create(code="4403", name="深圳分公司", path="4403/")
    supplier = Provider.objects.create(code="S001", name="深圳好礼", kind=ProviderKind.GOODS)
    user = User.objects.create_user("s001_user", provider=supplier)
    category = GiftCategory.objects.create(code="C01", name="车品")
    gifts = Gift.objects.bulk_create(
        Gift(
            code=f"G{n:03d}",
            name=f"礼品{n}",
            kind=GiftKind.PHYSICAL,
            category=category,
            provider=supplier,
            face_value=Decimal("50"),
            unit_cost=Decimal("30"),
        )
        for n in range(10)
    )
    rule = Rule.objects.create(code="R1", name="规则", all_policies=True, branch=branch)
    policies = PolicyFactory.build_batch(rows - rows // 5, branch=branch)
    from policies.models import Policy

    Policy.objects.bulk_create(policies, batch_size=1000)
    # A quarter of the policies get a second gift: 4 policies -> 5 items.
    plan = [(policy, 0) for policy in policies] + [(p, 1) for p in policies[: rows // 5]]
    distributions = Distribution.objects.bulk_create(
        (
            Distribution(
                number=f"D{n:09d}",
                policy=policy,
                rule=rule,
                rule_code=f"R1-{n}",
                slot=1,
                slot_limit=1,
                branch=branch,
                status=DistributionStatus.FULFILLING,
                **policy_snapshot(policy),
                tax_treatment=TaxTreatment.SALE,
                total_value=Decimal("50"),
                total_cost=Decimal("30"),
                idempotency_key=f"bench-{n}",
                recipient_name="张三",
                recipient_phone="13800138000",
                delivery_address="深圳市福田区",
            )
            for n, (policy, _) in enumerate(plan)
        ),
        batch_size=1000,
    )
    DistributionItem.objects.bulk_create(
        (
            DistributionItem(
                distribution=distribution,
                gift=gifts[(index + second) % len(gifts)],
                quantity=1,
                unit_value=Decimal("50"),
                unit_cost=Decimal("30"),
                provider=supplier,
                kind="physical",
                status=ItemStatus.TO_SHIP,
            )
            for index, (distribution, (_policy, second)) in enumerate(
                zip(distributions, plan, strict=True)
            )
        ),
        batch_size=1000,
    )
    numbers = {policy.pk: f"SF{1000000000000 + n}" for n, policy in enumerate(policies)}
    sheet_rows = [
        [
            policy.policy_no,
            gifts[(index + second) % len(gifts)].code,
            "",
            1,
            "顺丰",
            numbers[policy.pk],
        ]
        for index, (policy, second) in enumerate(plan)
    ]
    path = ROOT / "var" / "bench" / f"shipments-{rows}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(
        str(path), ["保单号", "礼品编码", "礼品名称", "数量", "快递公司", "快递单号"], sheet_rows
    )
    return supplier, user, path


def _reset() -> None:
    from distribution.models import DistributionItem, ItemStatus, Shipment, ShipmentLine

    ShipmentLine.history.all().delete()
    Shipment.history.all().delete()
    ShipmentLine.objects.all().delete()
    Shipment.objects.all().delete()
    DistributionItem.objects.update(status=ItemStatus.TO_SHIP)


def _ours(supplier, user, path) -> float:
    from distribution.services.shipments import shipment_import

    started = time.perf_counter()
    check = shipment_import(actor=user, provider=supplier, path=path, file_name=path.name)
    elapsed = time.perf_counter() - started
    assert not check.errors, check.errors[:5]
    return elapsed


def _per_row(supplier, user, path) -> float:
    """The naive way: one row at a time through the ORM, all in one transaction."""
    from distribution.models import (
        DistributionItem,
        ItemStatus,
        Shipment,
        ShipmentLine,
        tracking_error,
    )
    from distribution.shipment_import import read_rows

    started = time.perf_counter()
    rows, _header = read_rows(path, path.name)
    with transaction.atomic():
        for row in rows:
            values = row.values
            assert tracking_error(values["courier"], values["tracking_no"]) is None
            item = (
                DistributionItem.objects.select_for_update()
                .filter(
                    provider=supplier,
                    status=ItemStatus.TO_SHIP,
                    distribution__policy__policy_no=values["policy_no"],
                    gift__code=values["gift_code"],
                )
                .select_related("distribution")
                .first()
            )
            assert item is not None, row.number
            shipped = item.shipment_lines.aggregate(total=Sum("quantity"))["total"] or 0
            assert values["quantity"] <= item.quantity - shipped
            parcel = Shipment.objects.filter(
                courier=values["courier"], tracking_no=values["tracking_no"]
            ).first()
            if parcel is None:
                parcel = Shipment(
                    provider=supplier,
                    policy_id=item.distribution.policy_id,
                    courier=values["courier"],
                    tracking_no=values["tracking_no"],
                    logged_by=user,
                )
                parcel.save()
            assert parcel.policy_id == item.distribution.policy_id
            ShipmentLine(shipment=parcel, item=item, quantity=values["quantity"]).save()
            if shipped + values["quantity"] >= item.quantity:
                item.status = ItemStatus.SHIPPED
                item.save(update_fields=["status"])
    return time.perf_counter() - started


def main() -> str:
    from distribution.models import ItemStatus, Shipment, ShipmentLine

    rows = int(os.environ.get("BENCH_SHIPMENT_ROWS", "5000"))
    old_name = connection.settings_dict["NAME"]
    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        supplier, user, path = _data(rows)
        ours = _ours(supplier, user, path)
        written = (Shipment.objects.count(), ShipmentLine.objects.count())
        assert (
            written[1] == rows
            and not supplier.distributionitem_set.filter(status=ItemStatus.TO_SHIP).exists()
        )
        _reset()
        baseline = _per_row(supplier, user, path)
        assert (Shipment.objects.count(), ShipmentLine.objects.count()) == written
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    ratio = baseline / ours
    return (
        f"shipment sheet, {rows:,} rows ({written[0]:,} parcels) on {connection.vendor} "
        f"({test_db}), validated and committed:\n"
        f"  ours (set-based, bulk history)    {ours:8.2f} s  {rows / ours:10,.0f} rows/s\n"
        f"  per-row ORM loop                  {baseline:8.2f} s  {rows / baseline:10,.0f} rows/s\n"
        f"  ratio per-row / ours              {ratio:8.1f}x  (target >= {TARGET_RATIO}x)"
    )
