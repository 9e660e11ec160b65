"""Fixtures and helpers of the distribution admin tests (imported by test_admin_*.py)."""

import itertools

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from distribution.models import RuleStatus
from distribution.services import distribution_create
from tests.distribution.conftest import make_quota, make_rule, stocked_gift
from tests.factories import PolicyFactory

_keys = itertools.count(1)


def grant_distribution(user, approve=False):
    """Model permissions on the distribution app; approve_* only when ``approve``."""
    permissions = Permission.objects.filter(content_type__app_label="distribution")
    if not approve:
        permissions = permissions.exclude(codename__startswith="approve_")
    user.user_permissions.add(*permissions)
    # Permissions are cached on the instance once checked.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
    return user


def admin_url(model_name, view, *args):
    return reverse(f"admin:distribution_{model_name}_{view}", args=args)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def hand_out(actor, policy, rule):
    return distribution_create(
        actor=actor, policy=policy, rule=rule, idempotency_key=f"test-{next(_keys)}"
    )


@pytest.fixture
def ft_manager(manager_futian):
    return grant_distribution(manager_futian)


@pytest.fixture
def sz_manager(manager_shenzhen):
    return grant_distribution(manager_shenzhen)


@pytest.fixture
def approver(approver_shenzhen):
    return grant_distribution(approver_shenzhen, approve=True)


@pytest.fixture
def gift(futian):
    return stocked_gift(quantity=50, branch=futian)


@pytest.fixture
def draft_rule(futian, gift, ft_manager):
    return make_rule(
        "FT-DRAFT",
        [(gift, 1, "")],
        conditions=[(1, "seats", "lte", 5)],
        status=RuleStatus.DRAFT,
        branch=futian,
        created_by=ft_manager,
    )


@pytest.fixture
def active_rule(futian, gift):
    return make_rule("FT-LIVE", [(gift, 1, "")], branch=futian)


@pytest.fixture
def nanshan_rule(nanshan, gift):
    return make_rule("NS-LIVE", [(gift, 1, "")], branch=nanshan)


@pytest.fixture
def nanshan_quota(nanshan):
    return make_quota("NS-Q", "gift_amount", "month", "1000", branch=nanshan)


@pytest.fixture
def nanshan_distribution(nanshan, nanshan_rule, superuser):
    return hand_out(superuser, PolicyFactory(branch=nanshan), nanshan_rule)


@pytest.fixture
def futian_distribution(active_rule, policy, superuser):
    return hand_out(superuser, policy, active_rule)
