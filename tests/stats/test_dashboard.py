"""The overview's reads: pools with warning level and burn-down, low stock, voucher rates,
each within the user's scope."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from distribution.models import DistributionItem, Quota, QuotaStatus, QuotaUsage
from gifts.models import GiftKind, VoucherCode, VoucherStatus
from stats import dashboard
from tests.factories import GiftFactory
from tests.stats.world import SHANGHAI, analyst

MOMENT = datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI)


def _pool(code, branch, used, limit="1000", period="month", warn="80"):
    quota = Quota.objects.create(
        code=code,
        name=code,
        basis="gift_amount",
        period=period,
        limit=Decimal(limit),
        warn_percent=Decimal(warn),
        status=QuotaStatus.ACTIVE,
        branch=branch,
    )
    start = date(2026, 3, 1) if period == "month" else date(2026, 1, 1)
    QuotaUsage.objects.create(quota=quota, period_start=start, used=Decimal(used))
    return quota


def test_burn_down_at_the_pace_so_far():
    # 300 used in 10 days: 30 a day, 700 left: 23 more days, beyond a 31-day month.
    assert (
        dashboard.burn_down(
            Decimal(300), Decimal(1000), date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 31)
        )
        is None
    )
    # 500 in 10 days: 50 a day, 500 left: 10 more days.
    assert dashboard.burn_down(
        Decimal(500), Decimal(1000), date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 31)
    ) == date(2026, 3, 20)
    assert dashboard.burn_down(
        Decimal(1000), Decimal(1000), date(2026, 3, 1), date(2026, 3, 10), None
    ) == date(2026, 3, 10)
    assert (
        dashboard.burn_down(Decimal(0), Decimal(1000), date(2026, 3, 1), date(2026, 3, 10), None)
        is None
    )


def test_period_end():
    assert dashboard.period_end("month", date(2026, 12, 1)) == date(2026, 12, 31)
    assert dashboard.period_end("quarter", date(2026, 10, 1)) == date(2026, 12, 31)
    assert dashboard.period_end("year", date(2026, 1, 1)) == date(2026, 12, 31)
    assert dashboard.period_end("all", date(2000, 1, 1)) is None


def test_pools_in_scope_with_their_level(world, analyst_futian, django_assert_max_num_queries):
    branches = world.branches
    _pool("FT-OK", branches["futian"], "100")
    _pool("FT-WARN", branches["futian"], "850")
    _pool("FT-FULL", branches["futian"], "1000")
    _pool("NS", branches["nanshan"], "10")
    with django_assert_max_num_queries(3):
        pools = dashboard.quota_pools(user=analyst_futian, today=MOMENT.date(), moment=MOMENT)
    assert {p.quota.code: p.level for p in pools} == {
        "FT-OK": "ok",
        "FT-WARN": "warn",
        "FT-FULL": "full",
    }
    warn = next(p for p in pools if p.quota.code == "FT-WARN")
    assert warn.percent == Decimal("85.00")
    assert warn.runs_out_on == date(2026, 3, 11)  # 85 a day, 150 left


def test_low_stock_and_vouchers_stay_in_scope(world, analyst_futian):
    branches = world.branches
    mine = GiftFactory(code="LOW-FT", branch=branches["futian"], low_stock_threshold=5)
    GiftFactory(code="LOW-NS", branch=branches["nanshan"], low_stock_threshold=5)
    stocked = GiftFactory(code="OK-FT", branch=branches["futian"], low_stock_threshold=0)
    type(stocked).objects.filter(pk=stocked.pk).update(stock=10)
    low, _tracked = dashboard.low_stock(user=analyst_futian)
    codes = {g.code for g in low}
    assert mine.code in codes and "LOW-NS" not in codes and "OK-FT" not in codes

    wash_ft = GiftFactory(code="V-FT", kind=GiftKind.SERVICE, branch=branches["futian"])
    wash_ns = GiftFactory(code="V-NS", kind=GiftKind.SERVICE, branch=branches["nanshan"])
    statuses = [VoucherStatus.AVAILABLE] * 2 + [VoucherStatus.ISSUED] * 2 + [VoucherStatus.REDEEMED]
    VoucherCode.objects.bulk_create(
        VoucherCode(
            gift=gift,
            code=f"{gift.code}-{n}",
            status=status,
            issued_at=None if status == VoucherStatus.AVAILABLE else MOMENT,
            redeemed_at=MOMENT if status == VoucherStatus.REDEEMED else None,
        )
        for gift in (wash_ft, wash_ns)
        for n, status in enumerate(statuses)
    )
    rates = dashboard.voucher_rates(user=analyst_futian)
    assert rates.total == 5
    assert rates.issue_rate == Decimal("60.0")
    assert rates.redemption_rate == Decimal("33.3")


@pytest.mark.parametrize(
    ("date_from", "date_to", "previous"),
    [
        (date(2026, 2, 1), date(2026, 2, 28), (date(2026, 1, 4), date(2026, 1, 31))),
        (date(2026, 3, 1), date(2026, 3, 1), (date(2026, 2, 28), date(2026, 2, 28))),
    ],
)
def test_previous_range_has_the_same_length(date_from, date_to, previous):
    assert dashboard.previous_range(date_from, date_to) == previous


# ------------------------------------------------------------ the branch drill-down


@pytest.fixture
def analyst_sz(world):
    return analyst("analyst_sz_drill", world.branches["shenzhen"])


def _owned_everywhere(world, make):
    """One row per branch of the world and one with no branch: code -> row."""
    branches = world.branches
    return {
        "SZ": make("SZ", branches["shenzhen"]),
        "FT": make("FT", branches["futian"]),
        "DESK": make("DESK", branches["desk"]),
        "NS": make("NS", branches["nanshan"]),
        "ALL": make("ALL", None),
    }


IN_OR_OVER = [
    ("shenzhen", None, {"SZ", "FT", "DESK", "NS", "ALL"}),
    ("shenzhen", "futian", {"SZ", "FT", "DESK", "ALL"}),  # over it, it, under it, global
    ("shenzhen", "desk", {"SZ", "FT", "DESK", "ALL"}),
    ("shenzhen", "nanshan", {"SZ", "NS", "ALL"}),
    ("shenzhen", "shenzhen", {"SZ", "FT", "DESK", "NS", "ALL"}),
    ("futian", "desk", {"FT", "DESK", "ALL"}),  # 深圳's rows stay out of 福田's scope
]


@pytest.mark.parametrize(("home", "drill", "expected"), IN_OR_OVER)
def test_the_branch_narrows_the_pools_to_those_in_or_over_it(
    world, home, drill, expected, django_assert_num_queries
):
    _owned_everywhere(world, lambda code, branch: _pool(code, branch, "100"))
    user = analyst(f"an_pool_{home}", world.branches[home])
    branch = world.branches[drill] if drill else None
    with django_assert_num_queries(2):
        pools = dashboard.quota_pools(user=user, today=MOMENT.date(), moment=MOMENT, branch=branch)
    assert {p.quota.code for p in pools} == expected


@pytest.mark.parametrize(("home", "drill", "expected"), IN_OR_OVER)
def test_the_branch_narrows_low_stock_to_gifts_in_or_over_it(
    world, home, drill, expected, django_assert_num_queries
):
    _owned_everywhere(
        world,
        lambda code, branch: GiftFactory(code=f"LOW-{code}", branch=branch, low_stock_threshold=5),
    )
    user = analyst(f"an_low_{home}", world.branches[home])
    branch = world.branches[drill] if drill else None
    with django_assert_num_queries(2):
        low, tracked = dashboard.low_stock(user=user, branch=branch)
    codes = {g.code.removeprefix("LOW-") for g in low if g.code.startswith("LOW-")}
    assert codes == expected
    # The world's own physical gifts have no branch: tracked everywhere.
    assert tracked == len(expected) + 2


def test_the_branch_narrows_vouchers_by_hand_out_and_by_reach(world, analyst_sz):
    """Codes issued to a hand-out line count where it was booked; codes never issued count
    for the gifts in reach of the branch."""
    branches = world.branches
    gifts = _owned_everywhere(
        world,
        lambda code, branch: GiftFactory(code=f"V-{code}", kind=GiftKind.SERVICE, branch=branch),
    )
    never_issued = [VoucherStatus.AVAILABLE, VoucherStatus.AVAILABLE, VoucherStatus.VOID]
    VoucherCode.objects.bulk_create(
        VoucherCode(gift=gift, code=f"{gift.code}-{n}", status=status)
        for gift in gifts.values()
        for n, status in enumerate(never_issued)
    )

    def issue(code, gift, branch, status):
        voucher = VoucherCode.objects.create(
            gift=gift,
            code=code,
            status=status,
            issued_at=MOMENT,
            redeemed_at=MOMENT if status == VoucherStatus.REDEEMED else None,
        )
        item = (
            DistributionItem.objects.filter(
                distribution__branch=branches[branch], voucher__isnull=True
            )
            .exclude(status="cancelled")
            .first()
        )
        DistributionItem.objects.filter(pk=item.pk).update(voucher=voucher)

    issue("ISS-FT", gifts["ALL"], "futian", VoucherStatus.ISSUED)
    issue("ISS-FT2", gifts["NS"], "futian", VoucherStatus.REDEEMED)  # 南山's gift, 福田's hand-out
    issue("ISS-NS", gifts["ALL"], "nanshan", VoucherStatus.REDEEMED)
    available, void = VoucherStatus.AVAILABLE, VoucherStatus.VOID
    issued, redeemed = VoucherStatus.ISSUED, VoucherStatus.REDEEMED

    def rates(branch):
        return dashboard.voucher_rates(
            user=analyst_sz, branch=branches[branch] if branch else None
        ).by_status

    assert rates(None) == {available: 10, void: 5, issued: 1, redeemed: 2}
    # 福田: its two hand-outs' codes; never issued: 深圳's, 福田's, 福田营业部's, global.
    assert rates("futian") == {available: 8, void: 4, issued: 1, redeemed: 1}
    assert rates("nanshan") == {available: 6, void: 3, redeemed: 1}
    assert dashboard.voucher_rates(user=analyst_sz, branch=branches["futian"]).issue_rate == (
        Decimal("14.3")
    )


def test_in_or_over_reads_the_ancestors_off_the_path(world):
    desk = world.branches["desk"]
    assert desk.path == "4403/440304/44030401/"
    condition = str(dashboard.in_or_over(desk))
    for path in ("4403/", "4403/440304/", "4403/440304/44030401/"):
        assert path in condition


def test_the_overview_page_narrows_every_read_to_the_drill_down_branch(world, analyst_sz, client):
    """Through the view: ?branch= reaches pools, low stock, vouchers and delivery times."""
    _owned_everywhere(world, lambda code, branch: _pool(code, branch, "100"))
    _owned_everywhere(
        world,
        lambda code, branch: GiftFactory(code=f"LOW-{code}", branch=branch, low_stock_threshold=5),
    )
    client.force_login(analyst_sz)
    params = {"date_from": "2024-01-01", "date_to": "2028-12-31"}
    whole = client.get(reverse("stats:overview"), params).context
    nanshan = client.get(
        reverse("stats:overview"), {**params, "branch": world.branches["nanshan"].pk}
    ).context
    assert {p.quota.code for p in nanshan["pools"]} == {"SZ", "NS", "ALL"}
    assert {g.code for g in nanshan["low_stock"] if g.code.startswith("LOW-")} == {
        "LOW-SZ",
        "LOW-NS",
        "LOW-ALL",
    }
    assert len(whole["pools"]) == 5
    assert 0 < nanshan["delivery"].total.items < whole["delivery"].total.items
    assert nanshan["overdue"].count <= whole["overdue"].count
    assert all(
        row.item.distribution.branch == world.branches["nanshan"]
        for row in nanshan["overdue"].items
    )
