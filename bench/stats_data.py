"""Data for the statistics benchmark: 60 branches, 200 gifts, 20 rules, 1,000,000 policies
and 5,000,000 gift lines over two years, written with COPY (deterministic: a seed).

Shape: 深圳分公司 > 9 支公司 > 50 营业部 (policies on the 营业部); every policy gets 1 to 4
hand-outs of distinct rules (2.5 on average), each with two gift lines, at moments spread
evenly over the two years before ``END``; 5% cancelled or rejected. Ids are given in the
COPY and the sequences set after, so the rows are the same in every run.
"""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from bench.batch_data import copy_policies
from distribution.services.totals import statistics_rebuild

END = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # 2026-11-27 00:00 in Shanghai
SPAN_SECONDS = 2 * 365 * 24 * 3600
RULES = 20
GIFTS = 200
STATUSES = (  # (status, item status, share)
    ("completed", "delivered", 0.86),
    ("fulfilling", "to_ship", 0.05),
    ("approved", "issued", 0.03),
    ("pending_approval", "reserved", 0.01),
    ("cancelled", "cancelled", 0.03),
    ("rejected", "cancelled", 0.02),
)
FACE_VALUES = (20, 30, 50, 80, 100, 120, 150, 200, 260, 300)


def _branches() -> tuple[object, list, list]:
    from giftplatform.services import branch_save

    root = branch_save(code="4403", name="深圳分公司", parent=None)[0]
    middle, leaves = [], []
    for n in range(1, 10):
        sub = branch_save(code=f"4403{n:02d}", name=f"第{n}支公司", parent=root)[0]
        middle.append(sub)
        for m in range(1, 6 if n < 5 else 7):
            leaves.append(
                branch_save(code=f"4403{n:02d}{m:02d}", name=f"第{n}支公司{m}部", parent=sub)[0]
            )
    return root, middle, leaves  # 1 + 9 + 50 = 60


def _gifts() -> list:
    from gifts.models import Gift, GiftCategory, GiftKind
    from suppliers.models import Provider

    goods = [
        Provider.objects.create(code=f"BG{n:02d}", name=f"供货商{n:02d}", kind="goods")
        for n in range(10)
    ]
    services = [
        Provider.objects.create(code=f"BS{n:02d}", name=f"服务商{n:02d}", kind="service")
        for n in range(10)
    ]
    categories = [
        GiftCategory.objects.create(code=f"BC{n:02d}", name=f"品类{n:02d}") for n in range(10)
    ]
    gifts = []
    for n in range(GIFTS):
        physical = n % 2 == 0
        face = Decimal(FACE_VALUES[n % len(FACE_VALUES)])
        gifts.append(
            Gift(
                code=f"BG{n:03d}",
                name=f"礼品{n:03d}",
                kind=GiftKind.PHYSICAL if physical else GiftKind.SERVICE,
                category=categories[n % len(categories)],
                provider=(goods if physical else services)[n % 10],
                face_value=face,
                unit_cost=(face * Decimal("0.6")).quantize(Decimal("0.01")),
            )
        )
    return Gift.objects.bulk_create(gifts)


def _rules() -> list:
    from distribution.models import Rule

    return [
        Rule.objects.create(
            code=f"BR{n:02d}",
            name=f"规则{n:02d}",
            status="active",
            priority=100 - n,
            all_policies=True,
            max_per_policy=1,
        )
        for n in range(RULES)
    ]


def _policy_branches(count: int, leaves: list) -> list[int]:
    return [leaves[i % len(leaves)].pk for i in range(count)]


def _policy_snapshots(first_policy: int, count: int) -> list[tuple]:
    """What each hand-out keeps of its policy (``POLICY_SNAPSHOT``), by policy index."""
    from distribution.models.records import POLICY_SNAPSHOT
    from policies.models import Policy

    rows = Policy.objects.filter(id__gte=first_policy, id__lt=first_policy + count)
    found = {row[0]: row[1:] for row in rows.values_list("id", *POLICY_SNAPSHOT).iterator(10_000)}
    return [found[first_policy + i] for i in range(count)]


def copy_distributions(policies: int, rules: list, gifts: list, leaves: list, seed=7) -> int:
    """1 to 4 hand-outs per policy, two lines each; returns the number of lines."""
    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id) FROM policies_policy")
        first_policy = cursor.fetchone()[0]
    branch_of = _policy_branches(policies, leaves)
    snapshots = _policy_snapshots(first_policy, policies)
    weights = [share for *_, share in STATUSES]
    distribution_columns = (
        "id, number, policy_id, rule_id, rule_code, slot, slot_limit, branch_id, status, "
        "tax_treatment, total_value, total_cost, withholding, idempotency_key, recipient_name, "
        "recipient_phone, delivery_address, created_at, cancelled_at, cancel_reason, recovery, "
        "product, channel, agent_code, vehicle_type"
    )
    item_columns = (
        "id, distribution_id, gift_id, quantity, unit_value, unit_cost, provider_id, "
        "category_id, kind, contract_service, status, handed_out_at"
    )
    distribution_id = item_id = 0
    lines = []
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY distribution_distribution ({distribution_columns}) FROM STDIN") as cp:
            for i in range(policies):
                for k in range(1 + i % 4):
                    distribution_id += 1
                    rule_index = (i * 7 + k * 3) % RULES
                    rule = rules[rule_index]
                    moment = END - timedelta(seconds=rng.randrange(SPAN_SECONDS))
                    status, item_status, _share = rng.choices(STATUSES, weights)[0]
                    total_value = total_cost = Decimal(0)
                    for j in (0, 5):
                        gift = gifts[(rule_index * 10 + j + distribution_id % 5) % GIFTS]
                        quantity = 1 + (distribution_id + j) % 2
                        total_value += gift.face_value * quantity
                        total_cost += gift.unit_cost * quantity
                        item_id += 1
                        lines.append(
                            (
                                item_id,
                                distribution_id,
                                gift.pk,
                                quantity,
                                gift.face_value,
                                gift.unit_cost,
                                gift.provider_id,
                                gift.category_id,
                                gift.kind,
                                "",
                                item_status,
                                moment,
                            )
                        )
                    cancelled = status == "cancelled"
                    cp.write_row(
                        (
                            distribution_id,
                            f"D{distribution_id:011d}",
                            first_policy + i,
                            rule.pk,
                            rule.code,
                            1,
                            1,
                            branch_of[i],
                            status,
                            "sale",
                            total_value,
                            total_cost,
                            0,
                            f"bench-{distribution_id}",
                            "王先生",
                            "13800000000",
                            "",
                            moment,
                            moment + timedelta(days=1) if cancelled else None,
                            "客户放弃" if cancelled else "",
                            "",
                            *snapshots[i],
                        )
                    )
        with raw.copy(f"COPY distribution_distributionitem ({item_columns}) FROM STDIN") as cp:
            for line in lines:
                cp.write_row(line)
        for table in ("distribution_distribution", "distribution_distributionitem"):
            # Our own table names only.
            highest = f"SELECT MAX(id) FROM {table}"  # noqa: S608
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({highest}))")
            cursor.execute(f"ANALYZE {table}")
    return len(lines)


def build(*, policies: int) -> dict:
    """Everything; the policies sit on the 50 营业部 in turn (policy i on leaf i % 50)."""
    started = timezone.now()
    root, middle, leaves = _branches()
    gifts = _gifts()
    rules = _rules()
    copy_policies(policies, [leaf.pk for leaf in leaves])
    lines = copy_distributions(policies, rules, gifts, leaves)
    totals_started = timezone.now()
    totals = statistics_rebuild()  # the rows came past the services, as a bulk load does
    return {
        "totals": totals,
        "totals_seconds": (timezone.now() - totals_started).total_seconds(),
        "root": root,
        "middle": middle,
        "leaves": leaves,
        "lines": lines,
        "seconds": (timezone.now() - started).total_seconds(),
    }
