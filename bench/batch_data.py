"""Data for the distribution benchmarks: branches, gifts, 10 active rules, quotas, and
policies written with COPY (deterministic: the same seed gives the same rows)."""

import json
import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

POLICY_COLUMNS = (
    "policy_no",
    "product",
    "insured_name",
    "id_number",
    "phone",
    "plate",
    "vin",
    "vehicle_type",
    "usage",
    "seats",
    "first_registration_date",
    "is_new_car",
    "premium",
    "channel",
    "agent_code",
    "branch_id",
    "issue_date",
    "start_date",
    "end_date",
    "status",
    "is_renewal",
    "contract_services",
    "source",
    "created_at",
    "updated_at",
)
CHANNELS = ("agent", "direct", "online", "dealer", "bank")
VEHICLES = ("sedan", "suv", "mpv", "truck")
USAGES = ("private", "business")
SURNAMES = "王李张刘陈杨黄赵吴周"


def copy_policies(n: int, branch_ids: list[int], *, start: int = 0, seed: int = 1) -> None:
    """``n`` policies spread over ``branch_ids``, numbered from ``start``, with COPY."""
    rng = random.Random(seed + start)
    now = timezone.now()
    first_issue = date(2026, 1, 1)
    columns = ", ".join(POLICY_COLUMNS)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY policies_policy ({columns}) FROM STDIN") as copy:
            for i in range(start, start + n):
                issue = first_issue + timedelta(days=i % 320)
                new_car = rng.random() < 0.1
                registered = issue if new_car else date(rng.randint(2012, 2025), 1 + i % 12, 1)
                status = rng.random()
                copy.write_row(
                    (
                        f"PBENCH{i:010d}",
                        "commercial" if rng.random() < 0.7 else "ctpl",
                        SURNAMES[i % 10] + "先生",
                        f"44030419800101{i % 10000:04d}",
                        f"138{i % 100_000_000:08d}",
                        f"粤{'BA'[i % 2]}{i % 100_000:05d}",
                        f"LSV{i:014d}",
                        VEHICLES[i % 4],
                        USAGES[i % 7 == 0],
                        7 if i % 9 == 0 else 5,
                        registered,
                        new_car,
                        Decimal(rng.randint(800, 12_000)),
                        CHANNELS[i % 5],
                        f"AG{i % 500:04d}",
                        branch_ids[i % len(branch_ids)],
                        issue,
                        issue + timedelta(days=1),
                        issue + timedelta(days=365),
                        "in_force"
                        if status < 0.95
                        else ("expired" if status < 0.98 else "cancelled"),
                        rng.random() < 0.4,
                        json.dumps({"road_rescue": 2} if i % 3 == 0 else {}),
                        "import",
                        now,
                        now,
                    )
                )
        cursor.execute("ANALYZE policies_policy")


def _branches(parent_code: str, count: int):
    from giftplatform.services import branch_save

    root = branch_save(code=parent_code, name=f"分公司{parent_code}", parent=None)[0]
    children = [
        branch_save(code=f"{parent_code}{n:02d}", name=f"支公司{parent_code}{n:02d}", parent=root)[
            0
        ]
        for n in range(1, count + 1)
    ]
    return root, children


def _gifts() -> dict:
    from gifts.models import Gift, GiftCategory, GiftKind, VoucherCode
    from gifts.services import gift_receive_stock
    from suppliers.models import Provider

    goods = Provider.objects.create(code="BP1", name="礼品供应商", kind="goods")
    service = Provider.objects.create(code="BP2", name="洗车服务商", kind="service")
    category = GiftCategory.objects.create(code="BC1", name="车品")
    spec = {
        "BOX": (GiftKind.PHYSICAL, "50", 300_000),
        "UMB": (GiftKind.PHYSICAL, "80", 60_000),
        "KIT": (GiftKind.PHYSICAL, "200", 20_000),
        "MUG": (GiftKind.PHYSICAL, "30", 100_000),
        "WASH": (GiftKind.SERVICE, "40", 80_000),
        "OIL": (GiftKind.SERVICE, "120", 30_000),
    }
    gifts = {}
    for code, (kind, face, amount) in spec.items():
        gift = Gift.objects.create(
            code=code,
            name=f"礼品{code}",
            kind=kind,
            category=category,
            provider=goods if kind == GiftKind.PHYSICAL else service,
            face_value=Decimal(face),
            unit_cost=Decimal(face) * Decimal("0.6"),
        )
        if kind == GiftKind.PHYSICAL:
            gift_receive_stock(actor=None, gift=gift, quantity=amount, reference=f"PO-{code}")
        else:
            VoucherCode.objects.bulk_create(
                (VoucherCode(gift=gift, code=f"{code}-{n:07d}") for n in range(amount)),
                batch_size=10_000,
            )
        gifts[code] = gift
    return gifts


def _rule(code, priority, rewards, conditions=(), **fields):
    from distribution.conditions import clean_condition
    from distribution.models import Rule, RuleCondition, RuleReward

    rule = Rule.objects.create(
        code=code,
        name=f"规则{code}",
        status="active",
        priority=priority,
        all_policies=not conditions,
        **fields,
    )
    for gift, quantity, group in rewards:
        RuleReward.objects.create(rule=rule, gift=gift, quantity=quantity, option_group=group)
    for group, attribute, operator, value in conditions:
        RuleCondition.objects.create(
            rule=rule,
            group=group,
            attribute=attribute,
            operator=operator,
            value=clean_condition(attribute, operator, value),
        )
    return rule


def rules_and_quotas(gifts: dict):
    """10 active rules (R01 is the one the batch bench runs) and 5 quotas."""
    from distribution.models import Quota

    g = gifts
    r01 = _rule(
        "R01",
        100,
        [(g["BOX"], 1, ""), (g["WASH"], 1, "A"), (g["UMB"], 1, "A")],
        [
            (1, "product", "eq", "commercial"),
            (1, "premium", "gte", "2000"),
            (2, "is_new_car", "eq", True),
        ],
        approval_threshold=Decimal("500"),
    )
    _rule(
        "R02",
        200,
        [(g["KIT"], 1, "")],
        [(1, "seats", "gte", 7), (1, "premium", "gte", "6000")],
        exclusive=True,
    )
    _rule("R03", 300, [(g["OIL"], 1, "")], [(1, "channel", "in", ["online"])])
    _rule("R04", 90, [(g["MUG"], 2, "")], [(1, "is_renewal", "eq", True)])
    _rule(
        "R05",
        80,
        [(g["WASH"], 2, "")],
        [(1, "plate_prefix", "startswith", "粤B"), (1, "vehicle_age", "gte", 5)],
    )
    _rule("R06", 70, [(g["MUG"], 1, "")], [(1, "usage", "eq", "business")])
    _rule(
        "R07",
        60,
        [(g["BOX"], 1, "B"), (g["MUG"], 1, "B")],
        [(1, "issue_date", "between", "2026-03-01, 2026-06-30")],
    )
    _rule(
        "R08",
        50,
        [(g["UMB"], 1, "")],
        [(1, "vehicle_type", "in", ["suv", "mpv"]), (1, "premium", "lt", "5000")],
    )
    _rule(
        "R09",
        40,
        [(g["OIL"], 1, "")],
        [(1, "channel", "eq", "dealer"), (2, "agent_code", "startswith", "AG00")],
    )
    _rule("R10", 30, [(g["MUG"], 1, "")], [], max_per_policy=2)
    quotas = [
        ("POOL-UNITS", "voucher_count", "month", "110000", {"scope_rule_code": "R01"}),
        ("POOL-VALUE", "gift_amount", "month", "20000000", {}),
        ("PP-RATIO", "premium_ratio", "policy", "5", {}),
        ("PP-AMOUNT", "gift_amount", "policy", "300", {}),
        ("POOL-KIT", "voucher_count", "year", "15000", {"scope_gift": g["KIT"]}),
    ]
    for code, basis, period, limit, scope in quotas:
        Quota.objects.create(
            code=code,
            name=f"额度{code}",
            basis=basis,
            period=period,
            limit=Decimal(limit),
            status="active",
            **scope,
        )
    return r01


def build(*, policies: int, baseline: int) -> dict:
    """The batch bench's data: ``policies`` in one subtree, ``baseline`` in another."""
    root, branches = _branches("4403", 20)
    _other_root, (baseline_branch,) = _branches("4404", 1)
    gifts = _gifts()
    rule = rules_and_quotas(gifts)
    # The baseline's policies first, so both ways meet the same budgets in the same state.
    copy_policies(baseline, [baseline_branch.pk], start=10_000_000)
    copy_policies(policies, [b.pk for b in branches])
    return {"rule": rule, "branch": root, "baseline_branch": baseline_branch, "gifts": gifts}
