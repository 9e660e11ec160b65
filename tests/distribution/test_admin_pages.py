# ruff: noqa: F811 - the fixtures imported from admin_support are redefined as arguments
"""Every distribution admin page renders for a manager of the right branch, answers 404
for a row of another branch, and nothing can be deleted, not even by a superuser."""

import itertools

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from distribution.models import (
    BatchRun,
    ChangeRequest,
    Distribution,
    Quota,
    Rule,
    RuleStatus,
)
from distribution.services import quota_request_activation, rule_request_activation
from tests.distribution.admin_support import (  # noqa: F401 - fixtures
    active_rule,
    admin_url,
    approver,
    draft_rule,
    ft_manager,
    futian_distribution,
    gift,
    nanshan_distribution,
    nanshan_quota,
    nanshan_rule,
)
from tests.distribution.conftest import make_quota

_numbers = itertools.count(1)


@pytest.fixture
def futian_rows(futian, ft_manager, draft_rule, active_rule, futian_distribution):
    quota = make_quota("FT-Q", "gift_amount", "month", "1000", branch=futian)
    pending = Quota.objects.create(
        code="FT-NEW", name="新额度", basis="voucher_count", period="day", limit=5, branch=futian
    )
    change = quota_request_activation(actor=ft_manager, quota=pending)
    run = BatchRun.objects.create(rule=active_rule, total=10, processed=4, report={"件数": 4})
    return {
        "rule": draft_rule,
        "active": active_rule,
        "quota": quota,
        "changerequest": change,
        "distribution": futian_distribution,
        "batchrun": run,
    }


PAGES = [
    ("rule", "changelist", None),
    ("rule", "add", None),
    ("rule", "change", "rule"),
    ("rule", "change", "active"),
    ("rule", "history", "rule"),
    ("rule", "submit", "rule"),
    ("rule", "pause", "active"),
    ("rule", "close", "active"),
    ("rule", "new_version", "active"),
    ("rule", "clone", "active"),
    ("rule", "test", "rule"),
    ("quota", "changelist", None),
    ("quota", "add", None),
    ("quota", "change", "quota"),
    ("changerequest", "changelist", None),
    ("changerequest", "change", "changerequest"),
    ("changerequest", "withdraw", "changerequest"),
    ("changerequest", "request_cash", None),
    ("distribution", "changelist", None),
    ("distribution", "change", "distribution"),
    ("distribution", "cancel", "distribution"),
    ("batchrun", "changelist", None),
    ("batchrun", "change", "batchrun"),
]


@pytest.mark.parametrize(("model", "view", "row"), PAGES)
def test_page_renders_for_a_manager_of_the_branch(
    client, ft_manager, futian_rows, model, view, row
):
    client.force_login(ft_manager)
    model_name = "rule" if row == "active" else model
    args = [futian_rows[row].pk] if row else []

    response = client.get(admin_url(model_name, view, *args))

    assert response.status_code == 200


def test_approver_pages_render(client, approver, futian_rows):
    client.force_login(approver)
    change = futian_rows["changerequest"]
    for view in ("change", "approve", "reject"):
        assert client.get(admin_url("changerequest", view, change.pk)).status_code == 200


@pytest.fixture
def nanshan_rows(nanshan, nanshan_rule, nanshan_quota, nanshan_distribution, superuser):
    draft = Rule.objects.create(code="NS-D", name="南山草稿", branch=nanshan, all_policies=True)
    draft.rewards.create(gift=nanshan_rule.rewards.first().gift, quantity=1)
    change = rule_request_activation(actor=superuser, rule=draft)
    return {
        "rule": nanshan_rule,
        "quota": nanshan_quota,
        "distribution": nanshan_distribution,
        "changerequest": change,
    }


NANSHAN_URLS = [
    ("rule", "change"),
    ("rule", "history"),
    ("rule", "pause"),
    ("rule", "close"),
    ("rule", "new_version"),
    ("rule", "clone"),
    ("rule", "test"),
    ("quota", "change"),
    ("distribution", "change"),
    ("distribution", "cancel"),
    ("changerequest", "change"),
    ("changerequest", "withdraw"),
]


@pytest.mark.parametrize(("model", "view"), NANSHAN_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_branch_answers_404(client, ft_manager, nanshan_rows, model, view, method):
    client.force_login(ft_manager)
    row = nanshan_rows[model]
    url = admin_url(model, view, row.pk)

    response = getattr(client, method)(url, {"reason": "x", "code": "NEW1"})

    assert response.status_code == 404
    row.refresh_from_db()
    if model == "rule":
        assert row.status == RuleStatus.ACTIVE
    if model == "distribution":
        assert row.status != "cancelled"
    assert not Rule.objects.filter(code="NEW1").exists()


def test_another_branch_is_not_listed(client, ft_manager, nanshan_rows):
    client.force_login(ft_manager)
    for model in ("rule", "quota", "distribution", "changerequest"):
        response = client.get(admin_url(model, "changelist"))
        assert nanshan_rows[model] not in list(response.context["cl"].result_list)


@pytest.mark.parametrize("model", [Rule, Quota, ChangeRequest, Distribution, BatchRun])
def test_nothing_is_deleted_not_even_by_a_superuser(client, rf, superuser, futian_rows, model):
    row = futian_rows[model._meta.model_name]
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = superuser

    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_delete_permission(request, row)
    assert "delete_selected" not in model_admin.get_actions(request)
    client.force_login(superuser)
    response = client.post(admin_url(model._meta.model_name, "delete", row.pk), {"post": "yes"})
    assert response.status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def _add_rows(model, n, futian, gift, maker):
    for _ in range(n):
        number = next(_numbers)
        rule = Rule.objects.create(
            code=f"QC{number}", name="查询", branch=futian, all_policies=True, created_by=maker
        )
        rule.rewards.create(gift=gift, quantity=1)
        if model == "changerequest":
            rule_request_activation(actor=maker, rule=rule)
        if model == "batchrun":
            BatchRun.objects.create(rule=rule, total=10, processed=3, created_by=maker)


@pytest.mark.parametrize("model", ["rule", "changerequest", "batchrun"])
def test_changelist_query_count_is_constant(client, ft_manager, futian, gift, model):
    client.force_login(ft_manager)
    url = admin_url(model, "changelist")
    _add_rows(model, 3, futian, gift, ft_manager)
    client.get(url)  # warm caches before counting
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _add_rows(model, 9, futian, gift, ft_manager)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert len(many) == len(few)
    assert response.context["cl"].result_count == 12
