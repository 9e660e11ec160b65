"""The role groups exist in every database (data migration) and sync_roles keeps them."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from giftplatform.roles import ROLES, apply_roles, permission_names

ADMIN_APPS = ("giftplatform", "suppliers", "gifts", "policies", "distribution", "auth")


def perms(code: str) -> set[str]:
    return permission_names(Group.objects.get(name=code))


def test_migration_created_every_role(db):
    assert {role.code for role in ROLES} <= set(Group.objects.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("role", "has", "has_not"),
    [
        (
            "platform_admin",
            {"giftplatform.add_user", "giftplatform.change_branch", "auth.change_group",
             "distribution.approve_distribution", "policies.view_pii", "gifts.change_gift"},
            set(),
        ),
        (
            "branch_admin",
            {"giftplatform.add_user", "giftplatform.change_user", "giftplatform.view_user",
             "policies.view_pii", "gifts.view_gift", "distribution.view_distribution"},
            {"giftplatform.delete_user", "giftplatform.change_branch", "gifts.change_gift",
             "distribution.approve_distribution", "auth.change_group"},
        ),
        (
            "gift_manager",
            {"gifts.add_gift", "gifts.change_gift", "gifts.add_stockmovement",
             "gifts.change_vouchercode", "suppliers.change_provider", "policies.add_policy",
             "distribution.add_rule", "distribution.change_quota", "distribution.add_batchrun",
             "distribution.add_changerequest", "distribution.view_distribution"},
            {"giftplatform.view_user", "distribution.add_distribution",
             "distribution.change_distribution", "distribution.approve_changerequest",
             "policies.view_pii", "gifts.delete_gift"},
        ),
        (
            "counter_staff",
            {"policies.view_policy", "policies.view_pii", "gifts.view_gift",
             "distribution.view_rule", "distribution.add_distribution",
             "distribution.view_distribution"},
            {"distribution.change_distribution", "distribution.approve_distribution",
             "distribution.add_rule", "gifts.change_gift", "giftplatform.view_user"},
        ),
        (
            "approver",
            {"distribution.approve_distribution", "distribution.approve_changerequest",
             "distribution.approve_batchrun", "distribution.view_rule",
             "distribution.view_quota", "distribution.view_changerequest",
             "policies.view_policy", "gifts.view_gift"},
            {"distribution.add_rule", "distribution.change_changerequest",
             "distribution.add_distribution", "policies.view_pii"},
        ),
        (
            "auditor",
            {"gifts.view_gift", "policies.view_policy", "distribution.view_distribution",
             "giftplatform.view_user", "suppliers.view_provider"},
            {"policies.view_pii", "gifts.change_gift", "giftplatform.change_user"},
        ),
    ],
)  # fmt: skip
def test_role_permissions(db, role, has, has_not):
    granted = perms(role)
    assert has <= granted
    assert not (has_not & granted)


def test_auditor_only_views(db):
    assert all(name.split(".")[1].startswith("view_") for name in perms("auditor"))


def test_platform_admin_has_every_permission_after_sync(db):
    # Models migrated after giftplatform 0003 (e.g. history tables) join through sync_roles.
    call_command("sync_roles", stdout=StringIO())
    assert perms("platform_admin") == {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


@pytest.mark.parametrize("role", ["supplier_user", "service_provider_user"])
def test_portal_roles_have_no_admin_permission(db, role):
    group = Group.objects.get(name=role)
    assert not group.permissions.filter(content_type__app_label__in=ADMIN_APPS).exists()
    assert not group.permissions.exists()


def snapshot() -> dict:
    return {group.name: sorted(permission_names(group)) for group in Group.objects.all()}


def test_sync_roles_is_idempotent_and_repairs_drift(db):
    call_command("sync_roles", stdout=StringIO())
    before = snapshot()
    call_command("sync_roles", stdout=StringIO())
    assert snapshot() == before

    # Drift: someone edited a role group by hand; sync_roles puts it back.
    approver = Group.objects.get(name="approver")
    approver.permissions.add(Permission.objects.get(codename="add_rule"))
    Group.objects.get(name="auditor").delete()
    out = StringIO()
    call_command("sync_roles", stdout=out)
    assert snapshot() == before
    assert "approver" in out.getvalue()

    assert apply_roles() == {
        code: len(names) for code, names in before.items() if code in {r.code for r in ROLES}
    }
