"""The one-query permission backend gives exactly Django's ModelBackend's answer."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from giftplatform.backends import OneQueryModelBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permission caches


def _user(direct=(), roles=(), **fields):
    user = UserFactory(**fields)
    user.user_permissions.set(Permission.objects.filter(codename__in=direct))
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@pytest.mark.parametrize(
    ("direct", "roles", "fields"),
    [
        ((), (), {}),
        (("view_gift", "add_gift"), (), {}),
        ((), ("counter_staff",), {}),
        (("view_gift", "view_policy"), ("counter_staff", "approver"), {}),
        (("view_gift",), ("auditor",), {"is_active": False}),
        ((), (), {"is_superuser": True}),
    ],
)
def test_same_permissions_as_django(direct, roles, fields):
    user = _user(direct, roles, **fields)
    expected = ModelBackend().get_all_permissions(_fresh(user))
    assert OneQueryModelBackend().get_all_permissions(_fresh(user)) == expected
    if roles or direct:
        assert expected or not user.is_active


def test_one_query_then_cached(django_assert_num_queries):
    user = _fresh(_user(("view_gift",), ("counter_staff", "approver")))
    backend = OneQueryModelBackend()
    with django_assert_num_queries(1):
        first = backend.get_all_permissions(user)
        assert backend.has_perm(user, "distribution.add_distribution")
        assert backend.has_perm(user, "gifts.view_gift")
        assert not backend.has_perm(user, "gifts.delete_gift")
    assert backend.get_all_permissions(user) is first


def test_object_permissions_are_not_its_business():
    user = _fresh(_user(("view_gift",)))
    assert OneQueryModelBackend().get_all_permissions(user, obj=object()) == set()
