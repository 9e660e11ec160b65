"""Fixtures that compose: a small branch tree, and staff at its levels."""

import pytest
from django.contrib.auth.models import Permission

from giftplatform.services import branch_save
from tests.factories import UserFactory

MANAGER_APPS = ["gifts", "policies", "suppliers", "giftplatform"]


def make_manager(username, branch):
    """A gift manager: model permissions on the gift apps, rows scoped to ``branch``."""
    user = UserFactory(username=username, branch=branch)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=MANAGER_APPS))
    return user


@pytest.fixture
def shenzhen(db):
    return branch_save(code="4403", name="深圳分公司", parent=None)[0]


@pytest.fixture
def futian(shenzhen):
    return branch_save(code="440304", name="福田支公司", parent=shenzhen)[0]


@pytest.fixture
def nanshan(shenzhen):
    return branch_save(code="440305", name="南山支公司", parent=shenzhen)[0]


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def manager_shenzhen(shenzhen):
    return make_manager("manager_sz", shenzhen)


@pytest.fixture
def manager_futian(futian):
    return make_manager("manager_ft", futian)
