"""The running totals (daily, and the daily and monthly facets) and the reach rows
against the hand-outs themselves, summed and chained in Python; and each line's copy of
its hand-out's time."""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F

from distribution.models import (
    LIVE_STATUSES,
    REACH_ALL,
    DistributionItem,
    HandoutDayFacet,
    HandoutDayTotal,
    HandoutMonthFacet,
    HandoutReach,
)
from distribution.services.reach import REACH_FACETS

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


def _facet_keys(item) -> dict[str, str]:
    return {
        "gift": str(item.gift_id),
        "category": "" if item.category_id is None else str(item.category_id),
        "kind": item.kind,
        "provider": str(item.provider_id),
        "product": item.distribution.product,
        "channel": item.distribution.channel,
        "agent": item.distribution.agent_code,
        "vehicle_type": item.distribution.vehicle_type,
        "status": item.distribution.status,
    }


def expected_facets(period: str) -> dict:
    """{(facet, local day or month, branch id, key): (distributions, units, value, cost)}."""
    found = defaultdict(lambda: [set(), 0, Decimal(0), Decimal(0)])
    for item in DistributionItem.objects.select_related("distribution"):
        d = item.distribution
        if d.status not in LIVE_STATUSES:
            continue
        day = d.created_at.astimezone(SHANGHAI).date()
        moment = day if period == "day" else day.replace(day=1)
        for facet, key in _facet_keys(item).items():
            row = found[(facet, moment, d.branch_id, key)]
            row[0].add(d.pk)
            row[1] += item.quantity
            row[2] += item.quantity * item.unit_value
            row[3] += item.quantity * item.unit_cost
    return {key: (len(ids), units, value, cost) for key, (ids, units, value, cost) in found.items()}


def stored_facets(period: str) -> dict:
    model = HandoutDayFacet if period == "day" else HandoutMonthFacet
    rows = model.objects.exclude(distributions=0, units=0, value=0, cost=0)
    return {
        (t.facet, getattr(t, period), t.branch_id, t.key): (
            t.distributions,
            t.units,
            t.value,
            t.cost,
        )
        for t in rows
    }


def assert_totals_match() -> None:
    assert stored_totals() == expected_totals()
    assert not DistributionItem.objects.exclude(handed_out_at=F("distribution__created_at"))
    for period in ("day", "month"):
        assert stored_facets(period) == expected_facets(period)
    assert stored_reach() == expected_reach()


def expected_reach() -> dict:
    """{(hand-out id, facet, key): (local day, branch id, policy id, previous day, spans)}:
    each live hand-out under each value of its lines (and under "all"), chained per
    policy and value in (day, id) order."""
    steps = defaultdict(set)  # (policy, facet, key): {(day, hand-out id, branch id)}
    branches = defaultdict(set)
    for item in DistributionItem.objects.select_related("distribution"):
        d = item.distribution
        if d.status not in LIVE_STATUSES:
            continue
        day = d.created_at.astimezone(SHANGHAI).date()
        branches[d.policy_id].add(d.branch_id)
        keys = _facet_keys(item)
        for facet in (*REACH_FACETS, REACH_ALL):
            steps[(d.policy_id, facet, keys.get(facet, ""))].add((day, d.pk, d.branch_id))
    found = {}
    for (policy, facet, key), chain in steps.items():
        previous = None
        for day, handout, branch in sorted(chain):
            spans = len(branches[policy]) > 1
            found[(handout, facet, key)] = (day, branch, policy, previous, spans)
            previous = day
    return found


def stored_reach() -> dict:
    return {
        (r.distribution_id, r.facet, r.key): (
            r.day,
            r.branch_id,
            r.policy_id,
            r.previous_day,
            r.spans,
        )
        for r in HandoutReach.objects.all()
    }
