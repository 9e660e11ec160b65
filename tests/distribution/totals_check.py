"""The daily hand-out totals against the hand-outs themselves, summed in Python."""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from distribution.models import LIVE_STATUSES, DistributionItem, HandoutDayTotal

SHANGHAI = ZoneInfo("Asia/Shanghai")


def expected_totals() -> dict:
    """{(local day, branch id, rule code): (distributions, units, value, cost)}."""
    found = defaultdict(lambda: [set(), 0, Decimal(0), Decimal(0)])
    for item in DistributionItem.objects.select_related("distribution"):
        d = item.distribution
        if d.status not in LIVE_STATUSES:
            continue
        row = found[(d.created_at.astimezone(SHANGHAI).date(), d.branch_id, d.rule_code)]
        row[0].add(d.pk)
        row[1] += item.quantity
        row[2] += item.quantity * item.unit_value
        row[3] += item.quantity * item.unit_cost
    return {key: (len(ids), units, value, cost) for key, (ids, units, value, cost) in found.items()}


def stored_totals() -> dict:
    rows = HandoutDayTotal.objects.exclude(distributions=0, units=0, value=0, cost=0)
    return {
        (t.day, t.branch_id, t.rule_code): (t.distributions, t.units, t.value, t.cost) for t in rows
    }


def assert_totals_match() -> None:
    assert stored_totals() == expected_totals()
