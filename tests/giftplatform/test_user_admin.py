"""User management in the admin: a branch admin manages their subtree and nothing wider."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from giftplatform.models import User
from tests.factories import ProviderFactory, UserFactory

PASSWORD = "Counter-2026-secret"


def with_role(username, branch, *roles, **fields):
    user = UserFactory(username=username, branch=branch, **fields)
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


@pytest.fixture
def ft_admin(futian):
    return with_role("ft_admin", futian, "branch_admin")


@pytest.fixture
def platform_admin(shenzhen):
    return with_role("sz_admin", shenzhen, "platform_admin")


@pytest.fixture
def people(shenzhen, futian, nanshan):
    return {
        "sz": with_role("sz_clerk", shenzhen, "counter_staff"),
        "ft": with_role("ft_clerk", futian, "counter_staff"),
        "ns": with_role("ns_clerk", nanshan, "counter_staff"),
        "portal": with_role(
            "s1_user", None, "supplier_user", provider=ProviderFactory(), is_staff=False
        ),
    }


def changelist(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:giftplatform_user_changelist"))
    assert response.status_code == 200
    return {u.username for u in response.context["cl"].result_list}


def change_url(user):
    return reverse("admin:giftplatform_user_change", args=[user.pk])


def form_data(user, **changes):
    data = {
        "username": user.username,
        "full_name": user.full_name,
        "first_name": "",
        "last_name": "",
        "email": "",
        "branch": user.branch_id or "",
        "is_active": "on" if user.is_active else "",
        "groups": [g.pk for g in user.groups.all()],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_branch_admin_lists_only_their_subtree(client, ft_admin, people, superuser):
    assert changelist(client, ft_admin) == {"ft_admin", "ft_clerk"}


@pytest.mark.parametrize("who", ["sz", "ns", "portal"])
def test_branch_admin_gets_404_above_beside_and_on_portal_users(client, ft_admin, people, who):
    client.force_login(ft_admin)
    target = people[who]
    assert client.get(change_url(target)).status_code == 404
    assert client.post(change_url(target), form_data(target, is_active="")).status_code == 404
    password_url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(password_url).status_code == 404
    target.refresh_from_db()
    assert target.is_active
    # Exactly like a missing id.
    assert client.get(reverse("admin:giftplatform_user_change", args=[99999])).status_code == 404


def test_branch_admin_gets_404_on_a_superuser(client, ft_admin, superuser, futian):
    superuser.branch = futian
    superuser.save()
    client.force_login(ft_admin)
    assert client.get(change_url(superuser)).status_code == 404


def test_branch_admin_form_hides_superuser_fields_and_offers_narrow_roles(client, ft_admin, people):
    client.force_login(ft_admin)
    form = client.get(change_url(people["ft"])).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert "provider" not in form.fields
    offered = {group.name for group in form.fields["groups"].queryset}
    assert "platform_admin" not in offered and "gift_manager" not in offered
    # An auditor reads the audit trail, which a branch admin does not: wider, not offered.
    assert "auditor" not in offered
    assert "branch_admin" in offered
    branches = {b.code for b in form.fields["branch"].queryset}
    assert branches == {"440304"}


def test_branch_admin_deactivates_and_keeps_roles_they_cannot_give(client, ft_admin, people):
    client.force_login(ft_admin)
    target = people["ft"]
    branch_admin = Group.objects.get(name="branch_admin")
    response = client.post(
        change_url(target), form_data(target, is_active="", groups=[branch_admin.pk])
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert not target.is_active
    # counter_staff is wider than a branch admin's rights: not offered, not taken away.
    assert set(target.groups.values_list("name", flat=True)) == {"counter_staff", "branch_admin"}


def test_branch_admin_cannot_move_a_user_out_of_their_subtree(client, ft_admin, people, nanshan):
    client.force_login(ft_admin)
    target = people["ft"]
    response = client.post(change_url(target), form_data(target, branch=nanshan.pk))
    assert response.status_code == 200
    assert "branch" in response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.branch.code == "440304"


def test_branch_admin_cannot_widen_their_own_scope(client, ft_admin, shenzhen):
    client.force_login(ft_admin)
    platform = Group.objects.get(name="platform_admin")
    response = client.post(
        change_url(ft_admin), form_data(ft_admin, branch=shenzhen.pk, groups=[platform.pk])
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "branch" in errors and "groups" in errors
    ft_admin.refresh_from_db()
    assert ft_admin.branch.code == "440304"
    assert list(ft_admin.groups.values_list("name", flat=True)) == ["branch_admin"]


def test_branch_admin_cannot_set_superuser(client, ft_admin, people):
    client.force_login(ft_admin)
    target = people["ft"]
    client.post(change_url(target), form_data(target, is_superuser="on", user_permissions=[1]))
    target.refresh_from_db()
    assert not target.is_superuser
    assert not target.user_permissions.exists()


def add_user(client, **fields):
    data = {
        "username": "new_user",
        "full_name": "新同事",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
    return client.post(reverse("admin:giftplatform_user_add"), data)


def test_branch_admin_creates_a_user_in_their_subtree(client, ft_admin, futian):
    client.force_login(ft_admin)
    # Auditors, who watch the branch admins, are appointed by platform admins.
    auditor = Group.objects.get(name="auditor")
    assert add_user(client, branch=futian.pk, groups=[auditor.pk]).status_code == 200
    branch_admin = Group.objects.get(name="branch_admin")
    response = add_user(client, branch=futian.pk, groups=[branch_admin.pk])
    assert response.status_code == 302
    user = User.objects.get(username="new_user")
    assert user.branch == futian and user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["branch_admin"]
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("case", ["other_branch", "no_branch", "platform_role", "short_password"])
def test_branch_admin_create_refusals(client, ft_admin, futian, nanshan, case):
    client.force_login(ft_admin)
    fields = {"branch": futian.pk}
    if case == "other_branch":
        fields["branch"] = nanshan.pk
    elif case == "no_branch":
        fields["branch"] = ""
    elif case == "platform_role":
        fields["groups"] = [Group.objects.get(name="platform_admin").pk]
    else:
        fields.update(password1="Ab3$efgh9", password2="Ab3$efgh9")
    response = add_user(client, **fields)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(username="new_user").exists()


def test_password_needs_ten_characters():
    with pytest.raises(ValidationError):
        validate_password("Ab3$efgh9")  # 9 characters
    validate_password("Ab3$efgh9x")


def test_platform_admin_sees_and_manages_everyone(client, platform_admin, people, superuser):
    everyone = {u.username for u in User.objects.filter(is_superuser=False)}
    assert changelist(client, platform_admin) == everyone
    form = client.get(change_url(people["ns"])).context["adminform"].form
    assert {"groups", "branch", "provider"} <= set(form.fields)
    assert "is_superuser" not in form.fields
    assert "platform_admin" in {g.name for g in form.fields["groups"].queryset}

    # Portal users: a provider, no branch, not staff.
    provider = ProviderFactory()
    supplier = Group.objects.get(name="supplier_user")
    response = add_user(client, provider=provider.pk, groups=[supplier.pk])
    assert response.status_code == 302
    user = User.objects.get(username="new_user")
    assert user.provider == provider and user.branch is None and not user.is_staff

    # Promote the 南山 clerk to platform admin.
    target = people["ns"]
    platform = Group.objects.get(name="platform_admin")
    response = client.post(change_url(target), form_data(target, groups=[platform.pk]))
    assert response.status_code == 302
    assert list(target.groups.values_list("name", flat=True)) == ["platform_admin"]


def test_branch_and_provider_are_exclusive(client, superuser, futian, shenzhen):
    client.force_login(superuser)
    response = add_user(client, branch=futian.pk, provider=ProviderFactory().pk)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="both", branch=futian, provider=ProviderFactory())


def test_superuser_can_grant_superuser(client, superuser, people):
    client.force_login(superuser)
    target = people["ns"]
    response = client.post(change_url(target), form_data(target, is_superuser="on", is_staff="on"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_superuser


def test_gift_manager_sees_gifts_but_not_user_management(client, futian):
    manager = with_role("gm", futian, "gift_manager")
    client.force_login(manager)
    assert client.get(reverse("admin:gifts_gift_changelist")).status_code == 200
    assert client.get(reverse("admin:giftplatform_user_changelist")).status_code == 403
    assert client.get(reverse("admin:giftplatform_user_add")).status_code == 403
    assert client.get(change_url(manager)).status_code == 403


def test_staff_user_changes_own_password(client, futian):
    clerk = with_role("self_service", futian, "counter_staff")
    client.force_login(clerk)
    url = reverse("admin:password_change")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "old_password": "correct-horse-battery",
            "new_password1": PASSWORD,
            "new_password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)
    short = client.post(
        url, {"old_password": PASSWORD, "new_password1": "Ab3$efgh9", "new_password2": "Ab3$efgh9"}
    )
    assert short.status_code == 200 and short.context["form"].errors
