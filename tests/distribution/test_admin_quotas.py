# ruff: noqa: F811 - the fixtures imported from admin_support are redefined as arguments
"""Quotas admin: each pool's use in one query, new quotas and raises wait for approval,
lowering applies at once."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from distribution.models import ChangeKind, ChangeRequest, Quota, QuotaStatus, QuotaUsage
from distribution.periods import period_start
from tests.distribution.admin_support import (  # noqa: F401 - fixtures
    admin_url,
    approver,
    ft_manager,
    messages_of,
)
from tests.distribution.conftest import make_quota


def use_pool(quota, used):
    QuotaUsage.objects.create(
        quota=quota, period_start=period_start(quota.period, timezone.now()), used=used
    )


def quota_post(**fields):
    return {
        "code": "ft-pool",
        "name": "福田月池",
        "basis": "gift_amount",
        "period": "month",
        "limit": "10000",
        "warn_percent": "80",
        "scope_rule_code": "",
        "scope_product": "",
        "usages-TOTAL_FORMS": 0,
        "usages-INITIAL_FORMS": 0,
        **fields,
    }


def test_the_list_shows_each_pools_use_and_warns(client, ft_manager, futian):
    calm = make_quota("CALM", "gift_amount", "month", "1000", branch=futian)
    hot = make_quota("HOT", "voucher_count", "day", "10", branch=futian)
    make_quota("PER", "premium_ratio", "policy", "5", branch=futian)
    use_pool(calm, Decimal("200"))
    use_pool(hot, Decimal("9"))
    client.force_login(ft_manager)

    response = client.get(admin_url("quota", "changelist"))

    assert response.status_code == 200
    rows = {q.code: q for q in response.context["cl"].result_list}
    assert rows["CALM"]._used == Decimal("200") and rows["HOT"]._used == Decimal("9")
    assert rows["PER"]._used is None
    content = response.content.decode()
    assert "¥800.00" in content  # remaining of CALM
    assert content.count('class="quota-badge"') == 1  # HOT at 90% >= 80%
    assert "20%" in content and "90%" in content


def test_the_list_reads_all_pools_in_one_query(
    client, ft_manager, futian, django_assert_num_queries
):
    client.force_login(ft_manager)
    url = admin_url("quota", "changelist")

    def build(start, n):
        for i in range(start, start + n):
            quota = make_quota(f"P{i}", "gift_amount", "month", "1000", branch=futian)
            use_pool(quota, Decimal(i))

    build(0, 2)
    client.get(url)  # warm caches (content types, session) before counting
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    build(2, 4)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 6


def test_a_new_quota_is_pending_until_approved(client, ft_manager, approver, futian):
    client.force_login(ft_manager)

    response = client.post(admin_url("quota", "add"), quota_post(branch=futian.pk))

    assert response.status_code == 302, response.context["errors"]
    quota = Quota.objects.get(code="FT-POOL")
    assert (quota.status, quota.created_by) == (QuotaStatus.PENDING, ft_manager)
    change = ChangeRequest.objects.get(quota=quota)
    assert (change.kind, change.maker, change.new_limit) == (
        ChangeKind.ACTIVATE_QUOTA,
        ft_manager,
        Decimal("10000"),
    )
    client.force_login(approver)
    client.post(admin_url("changerequest", "approve", change.pk), {"reason": ""})
    quota.refresh_from_db()
    assert quota.status == QuotaStatus.ACTIVE


def test_a_premium_share_cannot_be_a_pool(client, ft_manager, futian):
    client.force_login(ft_manager)

    response = client.post(
        admin_url("quota", "add"),
        quota_post(basis="premium_ratio", period="month", limit="5", branch=futian.pk),
    )

    assert response.status_code == 200
    assert "period" in response.context["adminform"].form.errors


def _change_limit(client, quota, limit):
    return client.post(
        admin_url("quota", "change", quota.pk),
        {
            "name": quota.name,
            "limit": limit,
            "warn_percent": "80",
            "usages-TOTAL_FORMS": 0,
            "usages-INITIAL_FORMS": 0,
        },
    )


def test_lowering_a_limit_applies_at_once(client, ft_manager, futian):
    quota = make_quota("FT-Q", "gift_amount", "month", "1000", branch=futian)
    client.force_login(ft_manager)

    response = _change_limit(client, quota, "600")

    assert response.status_code == 302
    quota.refresh_from_db()
    assert quota.limit == Decimal("600")
    assert not ChangeRequest.objects.exists()
    assert any("¥600.00" in m for m in messages_of(response))


def test_raising_a_limit_waits_for_an_approver(client, ft_manager, futian):
    quota = make_quota("FT-Q", "gift_amount", "month", "1000", branch=futian)
    client.force_login(ft_manager)

    response = _change_limit(client, quota, "5000")

    assert response.status_code == 302
    quota.refresh_from_db()
    assert quota.limit == Decimal("1000")
    change = ChangeRequest.objects.get()
    assert (change.kind, change.old_limit, change.new_limit) == (
        ChangeKind.RAISE_QUOTA,
        Decimal("1000"),
        Decimal("5000"),
    )
    assert any("¥5,000.00" in m and "¥1,000.00" in m for m in messages_of(response))
    page = client.get(admin_url("quota", "change", quota.pk))
    assert admin_url("changerequest", "change", change.pk).encode() in page.content


def test_what_an_active_quota_counts_is_fixed(client, ft_manager, futian, nanshan):
    quota = make_quota("FT-Q", "gift_amount", "month", "1000", branch=futian)
    client.force_login(ft_manager)

    page = client.get(admin_url("quota", "change", quota.pk))
    assert b'name="period"' not in page.content
    assert b'name="scope_branch"' not in page.content


@pytest.mark.parametrize("used", ["0", "850"])
def test_the_quota_page_shows_its_periods(client, ft_manager, futian, used):
    quota = make_quota("FT-Q", "gift_amount", "month", "1000", branch=futian)
    use_pool(quota, Decimal(used))
    client.force_login(ft_manager)

    page = client.get(admin_url("quota", "change", quota.pk))

    assert page.status_code == 200
    formset = page.context["inline_admin_formsets"][0].formset
    assert [f.instance.used for f in formset.forms] == [Decimal(used)]
    assert (b'class="quota-badge"' in page.content) is (used == "850")
