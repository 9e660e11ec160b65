"""Demo rules and quotas for ``seed_demo``: the spec's cases, found again by their codes.

Rules and quotas are put in force the way production does it: a maker asks, a
second person approves (distribution.services.changes), so the demo shows the trail.
"""

from decimal import Decimal

from distribution.models import ChangeRequest, Quota, Rule, RuleCondition, RuleReward
from distribution.services import (
    change_approve,
    quota_change_limit,
    quota_request_activation,
    rule_request_activation,
)
from giftplatform.models import Branch
from gifts.models import Gift

# code, name, priority, exclusive, max per policy, approval threshold, tax, all policies,
# conditions (group, attribute, operator, value), rewards (gift code, quantity, group),
# target branch codes, live (False: left awaiting approval)
RULES = (
    (
        "NEWCAR",
        "新车礼遇",
        300,
        True,
        1,
        "450",
        "sale",
        False,
        [(1, "is_new_car", "eq", True), (1, "product", "eq", "commercial")],
        [("G00004", 1, ""), ("G00002", 1, "A"), ("G00005", 1, "A")],
        [],
        True,
    ),
    (
        "RENEW5K",
        "续保高保费回馈",
        200,
        False,
        1,
        None,
        "sale",
        False,
        [
            (1, "is_renewal", "eq", True),
            (1, "premium", "gte", "5000.00"),
            (2, "channel", "in", ["车商", "专业代理"]),
            (2, "premium", "gte", "8000.00"),
        ],
        [("G00007", 1, "A"), ("G00001", 1, "A")],
        [],
        True,
    ),
    (
        "COMMWASH",
        "商业险精洗礼",
        100,
        False,
        1,
        None,
        "sale",
        False,
        [(1, "product", "eq", "commercial"), (1, "status", "eq", "in_force")],
        [("G00002", 1, "")],
        [],
        True,
    ),
    (
        "RESCUE",
        "道路救援增值服务",
        90,
        False,
        3,
        None,
        "sale",
        True,
        [],
        [("G00003", 1, "")],
        [],
        True,
    ),
    (
        "FTDRAW",
        "福田车主抽奖",
        50,
        False,
        1,
        None,
        "casual",
        False,
        [(1, "plate_prefix", "startswith", "粤B")],
        [("G00010", 2, "")],
        ["440304"],
        False,
    ),
)
# code, name, basis, period, limit, warn %, scope branch code, scope product
QUOTAS = (
    ("PR10", "商业险礼品不超过保费10%", "premium_ratio", "policy", "10", "80", None, "commercial"),
    ("PR4CTPL", "交强险礼品不超过保费4%", "premium_ratio", "policy", "4", "80", None, "ctpl"),
    ("SZMONTH", "深圳分公司月度礼品池", "gift_amount", "month", "300000", "80", "4403", ""),
    ("FTQ", "福田支公司季度礼品池", "gift_amount", "quarter", "60000", "80", "440304", ""),
    ("VDAY", "每日服务券数量", "voucher_count", "day", "500", "90", "4403", ""),
)


def seed_rules_and_quotas(*, maker, checker) -> tuple[int, int]:
    """Create what is missing; returns (rules created, quotas created)."""
    gifts = Gift.objects.in_bulk(field_name="code")
    branches = Branch.objects.in_bulk(field_name="code")
    root = branches["4403"]
    rules_created = 0
    for (code, name, priority, exclusive, max_per_policy, threshold, tax, everyone,
         conditions, rewards, targets, live) in RULES:  # fmt: skip
        if Rule.objects.filter(code=code).exists():
            continue
        rule = Rule.objects.create(
            code=code,
            name=name,
            priority=priority,
            exclusive=exclusive,
            max_per_policy=max_per_policy,
            approval_threshold=Decimal(threshold) if threshold else None,
            tax_treatment=tax,
            all_policies=everyone,
            branch=branches[targets[0]] if targets else root,
            created_by=maker,
        )
        rule.target_branches.set([branches[c] for c in targets])
        RuleCondition.objects.bulk_create(
            RuleCondition(rule=rule, group=g, attribute=a, operator=o, value=v)
            for g, a, o, v in conditions
        )
        RuleReward.objects.bulk_create(
            RuleReward(rule=rule, gift=gifts[gift], quantity=n, option_group=group)
            for gift, n, group in rewards
        )
        change = rule_request_activation(actor=maker, rule=rule, note="演示数据")
        if live:
            change_approve(actor=checker, change=change, note="演示数据")
        rules_created += 1
    quotas_created = 0
    for code, name, basis, period, limit, warn, branch_code, product in QUOTAS:
        if Quota.objects.filter(code=code).exists():
            continue
        quota = Quota.objects.create(
            code=code,
            name=name,
            basis=basis,
            period=period,
            limit=Decimal(limit),
            warn_percent=Decimal(warn),
            branch=root,
            scope_branch=branches[branch_code] if branch_code else None,
            scope_product=product,
            created_by=maker,
        )
        change_approve(
            actor=checker, change=quota_request_activation(actor=maker, quota=quota), note="演示"
        )
        quotas_created += 1
    if quotas_created and not ChangeRequest.objects.filter(status="pending", quota__isnull=False):
        # One raise left for the approver to decide, so the demo shows a pending change.
        quota = Quota.objects.get(code="FTQ")
        quota_change_limit(actor=maker, quota=quota, new_limit=Decimal("80000"), note="年末冲量")
    return rules_created, quotas_created
