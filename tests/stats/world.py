"""Seeded hand-out rows for the statistics tests, and the brute-force sums to check against.

Rows are written straight through the ORM (stats only reads them): a branch tree
深圳 > 福田 > 福田营业部 and 深圳 > 南山, two providers, three gifts in two categories,
two rules, policies with varied product/channel/agent/vehicle type, and hand-outs of
every status at moments that straddle month ends in Shanghai time.
"""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group

from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    Rule,
    RuleStatus,
    policy_snapshot,
)
from distribution.services.totals import totals_add
from giftplatform.roles import apply_roles
from giftplatform.services import branch_save
from gifts.models import GiftKind
from policies.models import Product
from tests.factories import (
    CategoryFactory,
    GiftFactory,
    PolicyFactory,
    ProviderFactory,
    UserFactory,
    gift_line,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-01-31 23:30 in Shanghai is 15:30 UTC: January, not February.
MONTH_END_EDGE = datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI)
CANCELLED = (DistributionStatus.CANCELLED, DistributionStatus.REJECTED)


@dataclass
class World:
    branches: dict
    gifts: list
    rules: list
    providers: list


def build_world() -> World:
    shenzhen = branch_save(code="4403", name="深圳分公司", parent=None)[0]
    futian = branch_save(code="440304", name="福田支公司", parent=shenzhen)[0]
    nanshan = branch_save(code="440305", name="南山支公司", parent=shenzhen)[0]
    desk = branch_save(code="44030401", name="福田营业部", parent=futian)[0]
    providers = [ProviderFactory(code="S001"), ProviderFactory(code="S002")]
    categories = [
        CategoryFactory(code="C01", name="车品"),
        CategoryFactory(code="C02", name="服务"),
    ]
    gifts = [
        GiftFactory(code="G1", name="车载吸尘器", category=categories[0], provider=providers[0]),
        GiftFactory(
            code="G2",
            name="洗车券",
            kind=GiftKind.SERVICE,
            category=categories[1],
            provider=providers[1],
            face_value=Decimal("50.00"),
            unit_cost=Decimal("30.00"),
        ),
        GiftFactory(code="G3", name="=SUM(A1)", category=categories[0], provider=providers[1]),
    ]
    rules = [
        Rule.objects.create(code=code, name=code, status=RuleStatus.ACTIVE, all_policies=True)
        for code in ("R-NEW", "R-RENEW")
    ]
    return World(
        branches={"shenzhen": shenzhen, "futian": futian, "nanshan": nanshan, "desk": desk},
        gifts=gifts,
        rules=rules,
        providers=providers,
    )


def add_distributions(world: World, count: int, seed: int = 7, moved: float = 0.0) -> None:
    """``count`` hand-outs (1-2 lines each) over the world's branches, seeded; the share
    ``moved`` of them booked on a random branch, as when their policy moved between
    branches (its hand-outs then lie in two)."""
    rng = random.Random(seed)
    branches = list(world.branches.values())
    policies = [
        PolicyFactory(
            branch=rng.choice(branches),
            product=rng.choice(Product.values),
            channel=rng.choice(["直销", "代理", ""]),
            agent_code=rng.choice(["A01", "A02"]),
            vehicle_type=rng.choice(["轿车", "货车"]),
            premium=Decimal(rng.randrange(80000, 600000)) / 100,
        )
        for _ in range(max(count // 2, 1))
    ]
    slots = defaultdict(int)
    start = Distribution.objects.count()
    distributions, moments = [], []
    for n in range(count):
        policy, rule = rng.choice(policies), rng.choice(world.rules)
        status = rng.choice(DistributionStatus.values)
        slots[(policy.pk, rule.code)] += 1
        moment = MONTH_END_EDGE + timedelta(minutes=rng.choice([-5, 0, 29, 31, 90]))
        moment += timedelta(days=rng.choice([0, 0, -31, 28, 59, 120, 400]))
        moments.append(moment)
        distributions.append(
            Distribution(
                number=f"D{start + n:08d}",
                policy=policy,
                rule=rule,
                rule_code=rule.code,
                slot=slots[(policy.pk, rule.code)],
                slot_limit=200,
                branch=_booked_on(policy, branches, rng, moved),
                **policy_snapshot(policy),
                status=status,
                tax_treatment="sale",
                total_value=0,
                total_cost=0,
                idempotency_key=f"stats-{seed}-{start + n}",
                cancelled_at=moment if status == DistributionStatus.CANCELLED else None,
                cancel_reason="测试" if status == DistributionStatus.CANCELLED else "",
            )
        )
    Distribution.objects.bulk_create(distributions)
    for distribution, moment in zip(distributions, moments, strict=True):
        distribution.created_at = moment
    Distribution.objects.bulk_update(distributions, ["created_at"])
    items = []
    for distribution in distributions:
        for gift in rng.sample(world.gifts, rng.choice([1, 1, 2])):
            items.append(
                gift_line(
                    distribution,
                    gift,
                    quantity=rng.choice([1, 1, 2, 3]),
                    status=ItemStatus.CANCELLED
                    if distribution.status in CANCELLED
                    else ItemStatus.TO_SHIP,
                )
            )
    DistributionItem.objects.bulk_create(items)
    # Rows written past the services count themselves, as a bulk load would.
    totals_add(d.pk for d in distributions)


def _booked_on(policy, branches: list, rng: random.Random, moved: float):
    if moved and rng.random() < moved:
        return rng.choice(branches)
    return policy.branch


def analyst(username: str, branch, role: str = "auditor"):
    apply_roles()
    user = UserFactory(username=username, branch=branch)
    user.groups.add(Group.objects.get(name=role))
    return user


def brute_force_rows(branch_path: str, cancelled: bool = False) -> list[dict]:
    """Every gift line under ``branch_path`` as a plain dict, computed in Python."""
    wanted = set(CANCELLED) if cancelled else set(LIVE_STATUSES)
    rows = []
    for item in DistributionItem.objects.select_related(
        "distribution__policy", "distribution__branch", "gift"
    ):
        d = item.distribution
        if d.status not in wanted or not d.branch.path.startswith(branch_path):
            continue
        local = d.created_at.astimezone(SHANGHAI)
        rows.append(
            {
                "distribution": d.pk,
                "policy": d.policy_id,
                "premium": d.policy.premium,
                "branch_path": d.branch.path,
                "gift": item.gift_id,
                "category": item.gift.category_id,
                "kind": item.gift.kind,
                "provider": item.provider_id,
                "rule": d.rule_code,
                "product": d.policy.product,
                "channel": d.policy.channel,
                "agent": d.policy.agent_code,
                "vehicle_type": d.policy.vehicle_type,
                "status": d.status,
                "month": local.date().replace(day=1),
                "year": local.date().replace(month=1, day=1),
                "day": local.date(),
                "week": local.date() - timedelta(days=local.weekday()),
                "quarter": local.date().replace(month=(local.month - 1) // 3 * 3 + 1, day=1),
                "units": item.quantity,
                "value": item.quantity * item.unit_value,
                "cost": item.quantity * item.unit_cost,
            }
        )
    return rows


def brute_force_totals(rows: list[dict]) -> dict:
    premiums = {r["policy"]: r["premium"] for r in rows}
    return {
        "count": len({r["distribution"] for r in rows}),
        "units": sum(r["units"] for r in rows),
        "value": sum((r["value"] for r in rows), Decimal("0.00")),
        "cost": sum((r["cost"] for r in rows), Decimal("0.00")),
        "policies": len(premiums),
        "premium": sum(premiums.values(), Decimal("0.00")),
    }


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# ---------------------------------------------------------------- compliance (issue 7)


@dataclass
class ComplianceWorld:
    quotas: dict
    cash_gift: object
    service_gifts: dict


def build_compliance(world: World) -> ComplianceWorld:
    """Premium-ratio quotas of three owners, a cash-equivalent gift and two contract-service
    gifts, on top of ``build_world``."""
    from distribution.models import Quota, QuotaBasis, QuotaPeriod, QuotaStatus

    b = world.branches

    def quota(code, limit, warn, *, owner=None, status=QuotaStatus.ACTIVE, **scope):
        return Quota.objects.create(
            code=code,
            name=code,
            basis=scope.pop("basis", QuotaBasis.PREMIUM_RATIO),
            period=scope.pop("period", QuotaPeriod.POLICY),
            limit=Decimal(limit),
            warn_percent=Decimal(warn),
            status=status,
            branch=owner,
            **scope,
        )

    quotas = {
        # Platform-wide, commercial: every analyst sees it.
        "com": quota("PR-COM", "10", "80", scope_product=Product.COMMERCIAL),
        # 福田's own, on CTPL policies of 福田 only.
        "ctpl_ft": quota(
            "PR-CTPL-FT",
            "4",
            "50",
            owner=b["futian"],
            scope_branch=b["futian"],
            scope_product=Product.CTPL,
        ),
        # 深圳's, any branch and product, only the rule R-NEW's lines of gift G1: it caps
        # 福田's policies too, so a 福田 analyst sees it.
        "rule_gift": quota(
            "PR-RULE",
            "6.5",
            "90",
            owner=b["shenzhen"],
            scope_rule_code="R-NEW",
            scope_gift=world.gifts[0],
        ),
        # 深圳's, on 南山's CTPL policies only: a 福田 analyst does not see it.
        "nanshan": quota(
            "PR-NS",
            "3",
            "70",
            owner=b["shenzhen"],
            scope_branch=b["nanshan"],
            scope_product=Product.CTPL,
        ),
        # Not counted: retired, or not a premium ratio.
        "retired": quota("PR-OLD", "1", "50", status=QuotaStatus.RETIRED),
        "pool": quota(
            "POOL", "100000", "80", basis=QuotaBasis.GIFT_AMOUNT, period=QuotaPeriod.MONTH
        ),
    }
    cash = CategoryFactory(code="C09", name="加油卡", is_cash_equivalent=True)
    cash_gift = GiftFactory(
        code="G9",
        name="加油卡200元",
        category=cash,
        provider=world.providers[0],
        kind=GiftKind.SERVICE,
        face_value=Decimal("200.00"),
        unit_cost=Decimal("200.00"),
    )
    service_category = CategoryFactory(code="C03", name="增值服务")
    service_gifts = {
        service: GiftFactory(
            code=code,
            name=name,
            category=service_category,
            provider=world.providers[1],
            kind=GiftKind.CONTRACT_SERVICE,
            contract_service=service,
            face_value=Decimal(value),
            unit_cost=Decimal(value),
        )
        for code, name, service, value in (
            ("G5", "道路救援", "road_rescue", "80.00"),
            ("G6", "安全检测", "safety_inspection", "120.00"),
        )
    }
    return ComplianceWorld(quotas=quotas, cash_gift=cash_gift, service_gifts=service_gifts)


COMPLIANCE_PREMIUMS = ("0.00", "999.94", "999.99", "1000.00", "1234.56", "2500.00", "8000.00")


def add_compliance_distributions(
    world: World, extra: ComplianceWorld, count: int, seed: int = 17
) -> None:
    """``count`` hand-outs with what the compliance views look at: premiums on the quota
    boundaries (999.94 / 999.99 / 1000.00 against 100.00 of gifts), cash equivalents,
    contract services (redeemed, and beyond what the policy holds), casual-income hand-outs
    to the insured or to someone else, at moments straddling month ends."""
    from distribution.models import TaxTreatment

    rng = random.Random(seed)
    branches = list(world.branches.values())
    services = list(extra.service_gifts.values())
    gifts = [*world.gifts, extra.cash_gift, *services]
    policies = [
        PolicyFactory(
            branch=rng.choice(branches),
            product=rng.choice(Product.values),
            insured_name=rng.choice(["张三", "李四", "王五"]),
            id_number=rng.choice(["440304199001011234", "440305198512125678", ""]),
            phone=rng.choice(["13800138000", "13912345678"]),
            premium=Decimal(rng.choice(COMPLIANCE_PREMIUMS)),
            contract_services=rng.choice(
                [{}, {"road_rescue": 2}, {"road_rescue": 1, "safety_inspection": 1}]
            ),
        )
        for _ in range(max(count // 3, 1))
    ]
    slots = defaultdict(int)
    start = Distribution.objects.count()
    distributions, moments, lines = [], [], []
    for n in range(count):
        policy, rule = rng.choice(policies), rng.choice(world.rules)
        status = rng.choice(DistributionStatus.values)
        slots[(policy.pk, rule.code)] += 1
        moment = MONTH_END_EDGE + timedelta(minutes=rng.choice([-5, 0, 29, 31, 90]))
        moment += timedelta(days=rng.choice([0, 0, -31, 28, 59, 120, 400]))
        chosen = [(g, rng.choice([1, 1, 2])) for g in rng.sample(gifts, rng.choice([1, 1, 2]))]
        value = sum((g.face_value * q for g, q in chosen), Decimal("0.00"))
        casual = rng.random() < 0.4
        recipient = policy.insured_name if rng.random() < 0.6 else "赵六"
        distributions.append(
            Distribution(
                number=f"D{start + n:08d}",
                policy=policy,
                rule=rule,
                rule_code=rule.code,
                slot=slots[(policy.pk, rule.code)],
                slot_limit=200,
                branch=policy.branch,
                **policy_snapshot(policy),
                status=status,
                tax_treatment=TaxTreatment.CASUAL if casual else TaxTreatment.SALE,
                total_value=value,
                total_cost=value,
                withholding=(value * Decimal("0.20")).quantize(Decimal("0.01"))
                if casual
                else Decimal(0),
                recipient_name=recipient,
                recipient_phone=rng.choice([policy.phone, "13700001111"]),
                idempotency_key=f"compliance-{seed}-{start + n}",
                cancelled_at=moment if status == DistributionStatus.CANCELLED else None,
                cancel_reason="测试" if status == DistributionStatus.CANCELLED else "",
            )
        )
        moments.append(moment)
        lines.append(chosen)
    Distribution.objects.bulk_create(distributions)
    for distribution, moment in zip(distributions, moments, strict=True):
        distribution.created_at = moment
    Distribution.objects.bulk_update(distributions, ["created_at"])
    items = []
    for distribution, chosen in zip(distributions, lines, strict=True):
        for gift, quantity in chosen:
            if distribution.status in CANCELLED:
                status = ItemStatus.CANCELLED
            elif gift.kind == GiftKind.PHYSICAL:
                status = ItemStatus.TO_SHIP
            else:
                status = rng.choice([ItemStatus.ISSUED, ItemStatus.REDEEMED])
            items.append(
                gift_line(
                    distribution,
                    gift,
                    quantity=quantity,
                    contract_service=gift.contract_service,
                    status=status,
                )
            )
    DistributionItem.objects.bulk_create(items)


# ------------------------------------------------------------- delivery (issue 7)

# Hand-outs whose physical items are due to ship (not awaiting approval, not cancelled).
DUE_HANDOUT_STATUSES = (
    DistributionStatus.APPROVED,
    DistributionStatus.FULFILLING,
    DistributionStatus.COMPLETED,
)


def add_shipments(*, until: datetime, seed: int = 11) -> int:
    """Ship (some in two parcels), deliver or leave waiting the physical items due to
    ship; some hand-outs approved a few days after they were made. Nothing is shipped or
    delivered after ``until``. Returns the number of parcels in the table."""
    from distribution.models import Shipment, ShipmentLine

    rng = random.Random(seed)
    items = list(
        DistributionItem.objects.filter(
            status=ItemStatus.TO_SHIP,
            distribution__status__in=DUE_HANDOUT_STATUSES,
            gift__kind=GiftKind.PHYSICAL,
            shipment_lines__isnull=True,
        )
        .select_related("distribution")
        .order_by("pk")
    )
    approved = {}
    for item in items:
        distribution = item.distribution
        if distribution.decided_at is None and rng.random() < 0.3:
            hours = rng.choice([2, 30, 75])
            distribution.decided_at = distribution.created_at + timedelta(hours=hours)
            approved[distribution.pk] = distribution
    Distribution.objects.bulk_update(list(approved.values()), ["decided_at"])
    parcels = Shipment.objects.count()
    for item in items:
        distribution = approved.get(item.distribution_id, item.distribution)
        due = distribution.decided_at or distribution.created_at
        days = rng.choice([0, 1, 2, 3, 4, 6, 9, 15])
        shipped = due + timedelta(days=days, hours=rng.random() * 20)
        if rng.random() < 0.2 or shipped > until:
            continue  # still waiting
        split = item.quantity > 1 and rng.random() < 0.5
        moments = [max(due, shipped - timedelta(days=rng.choice([1, 2]))), shipped]
        moments = moments if split else [shipped]
        delivered = shipped + timedelta(days=rng.choice([1, 2, 3, 5]), hours=rng.random() * 10)
        deliver = rng.random() < 0.6 and delivered <= until
        for n, moment in enumerate(moments):
            parcels += 1
            parcel = Shipment.objects.create(
                provider=item.provider,
                policy_id=distribution.policy_id,
                courier="OTHER",
                tracking_no=f"TEST{parcels:08d}",
                shipped_at=moment,
                delivered_at=delivered if deliver else None,
            )
            quantity = 1 if split and n == 0 else item.quantity - (1 if split else 0)
            ShipmentLine.objects.create(shipment=parcel, item=item, quantity=quantity)
        item.status = ItemStatus.DELIVERED if deliver else ItemStatus.SHIPPED
        item.save(update_fields=["status"])
    return parcels
