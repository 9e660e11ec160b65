"""Providers, roles and staff for the provider tests (composing tests/conftest.py)."""

import pytest
from django.contrib.auth.models import Group

from giftplatform.roles import apply_roles
from suppliers.models import ProviderKind
from tests.factories import ProviderFactory, UserFactory


@pytest.fixture
def roles(db):
    apply_roles()
    return {group.name: group for group in Group.objects.all()}


def staff(roles, code, branch, username=None):
    user = UserFactory(username=username or f"{code}_{branch.code}", branch=branch, is_staff=True)
    user.groups.add(roles[code])
    return user


@pytest.fixture
def gift_manager_futian(roles, futian):
    return staff(roles, "gift_manager", futian)


@pytest.fixture
def gift_manager_shenzhen(roles, shenzhen):
    return staff(roles, "gift_manager", shenzhen)


@pytest.fixture
def branch_admin_futian(roles, futian):
    return staff(roles, "branch_admin", futian)


@pytest.fixture
def branch_admin_shenzhen(roles, shenzhen):
    return staff(roles, "branch_admin", shenzhen)


@pytest.fixture
def supplier(db):
    return ProviderFactory(code="S001", name="好礼供货", kind=ProviderKind.GOODS)


@pytest.fixture
def service_provider(db):
    return ProviderFactory(code="P001", name="洗车服务", kind=ProviderKind.SERVICE)
