"""Object permissions in the admin: honoured on changelists and change pages, and granted or
revoked from the object's own "object permissions" page, within the granter's reach, and
recorded on the audit page."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, get_perms

from giftplatform.models import ObjectPermissionChange
from giftplatform.roles import role_label
from giftplatform.sharing import ACTION_LABELS
from gifts.models import Gift
from tests.distribution.conftest import make_quota, make_rule
from tests.factories import GiftFactory, ProviderFactory, UserFactory


def with_role(user, code):
    user.groups.add(Group.objects.get(name=code))
    return user


def rule_url(page, rule):
    return reverse(f"admin:distribution_rule_{page}", args=[rule.pk])


@pytest.fixture
def rules(futian, nanshan):
    return {
        "ft": make_rule("FT1", [], branch=futian),
        "ns0": make_rule("NS0", [], branch=nanshan),
        "ns1": make_rule("NS1", [], branch=nanshan),
        "ns2": make_rule("NS2", [], branch=nanshan),
    }


@pytest.fixture
def plain_staff(futian):
    """Staff of 福田 with no role at all: only what is shared with them."""
    return UserFactory(username="plain_ft", branch=futian)


@pytest.fixture
def admin_root(shenzhen):
    return with_role(UserFactory(username="padmin_sz", branch=shenzhen), "platform_admin")


@pytest.fixture
def admin_futian(futian):
    return with_role(UserFactory(username="padmin_ft", branch=futian), "platform_admin")


@pytest.fixture
def manager_nanshan(nanshan):
    return with_role(UserFactory(username="gm_ns", branch=nanshan), "gift_manager")


@pytest.fixture
def manager_ft(futian):
    return with_role(UserFactory(username="gm_ft", branch=futian), "gift_manager")


# ----------------------------------------------------------------------------- honoured


def test_changelist_without_a_role_shows_only_the_shared_rows(client, plain_staff, rules):
    assign_perm("distribution.view_rule", plain_staff, rules["ns0"])
    assign_perm("distribution.change_rule", plain_staff, rules["ns2"])
    client.force_login(plain_staff)

    response = client.get(reverse("admin:distribution_rule_changelist"))

    assert response.status_code == 200
    shown = [rule.code for rule in response.context["cl"].result_list]
    assert sorted(shown) == ["NS0", "NS2"]


def test_changelist_queries_stay_constant_as_grants_grow(client, plain_staff, nanshan):
    client.force_login(plain_staff)
    url = reverse("admin:distribution_rule_changelist")

    def count_after_sharing(start):
        for n in range(start, start + 3):
            assign_perm(
                "distribution.view_rule", plain_staff, make_rule(f"S{n}", [], branch=nanshan)
            )
        client.get(url)  # warm per-process caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(response.context["cl"].result_list), len(queries)

    rows_small, small = count_after_sharing(0)
    rows_large, large = count_after_sharing(3)
    assert (rows_small, rows_large) == (3, 6)
    assert small == large


def test_admin_index_lists_the_model_of_shared_rows(client, plain_staff, rules):
    client.force_login(plain_staff)
    assert (
        reverse("admin:distribution_rule_changelist")
        not in client.get(reverse("admin:index")).content.decode()
    )

    assign_perm("distribution.view_rule", plain_staff, rules["ns0"])
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:distribution_rule_changelist") in page


def test_change_page_honours_the_object_permission(client, plain_staff, rules):
    assign_perm("distribution.view_rule", plain_staff, rules["ns0"])
    assign_perm("distribution.change_rule", plain_staff, rules["ns2"])
    client.force_login(plain_staff)

    viewed = client.get(rule_url("change", rules["ns0"]))
    changed = client.get(rule_url("change", rules["ns2"]))

    assert viewed.status_code == changed.status_code == 200
    assert not viewed.context["has_change_permission"]
    assert changed.context["has_change_permission"]
    # In scope but no role permission: 403; out of scope and not shared: 404.
    assert client.get(rule_url("change", rules["ft"])).status_code == 403
    assert client.get(rule_url("change", rules["ns1"])).status_code == 404
    # A view grant is no licence to post a change.
    assert client.post(rule_url("change", rules["ns0"]), {}).status_code == 404


def test_a_role_permission_edits_only_in_scope_even_with_a_view_grant(client, manager_ft, rules):
    assign_perm("distribution.view_rule", manager_ft, rules["ns0"])
    client.force_login(manager_ft)

    shared = client.get(rule_url("change", rules["ns0"]))
    own = client.get(rule_url("change", rules["ft"]))

    assert shared.status_code == own.status_code == 200
    assert not shared.context["has_change_permission"]
    assert own.context["has_change_permission"]


def test_a_provider_assigned_to_a_portal_user_is_theirs_to_see(client, futian):
    own, assigned, other = (ProviderFactory(code=code) for code in ("P-OWN", "P-ASG", "P-OTH"))
    portal = UserFactory(username="portal_p", provider=own, is_staff=True)
    assign_perm("suppliers.view_provider", portal, assigned)
    client.force_login(portal)

    response = client.get(reverse("admin:suppliers_provider_changelist"))

    assert response.status_code == 200
    assert [p.code for p in response.context["cl"].result_list] == ["P-ASG"]
    url = reverse("admin:suppliers_provider_change", args=[other.pk])
    assert client.get(url).status_code == 404


# ----------------------------------------------------------------------------- the page


def test_page_needs_the_grant_permission(client, futian, rules):
    branch_admin = with_role(UserFactory(username="badmin", branch=futian), "branch_admin")
    client.force_login(branch_admin)

    assert client.get(rule_url("permissions", rules["ft"])).status_code == 403
    assert "object_permissions_url" not in client.get(rule_url("change", rules["ft"])).context


def test_page_of_an_out_of_scope_or_missing_object_is_404(client, admin_futian, rules):
    client.force_login(admin_futian)

    assert client.get(rule_url("permissions", rules["ns0"])).status_code == 404
    missing = reverse("admin:distribution_rule_permissions", args=[999999])
    assert client.get(missing).status_code == 404
    assert client.get(rule_url("permissions", rules["ft"])).status_code == 200


def test_change_page_links_to_the_permissions_page(client, admin_root, rules):
    client.force_login(admin_root)

    page = client.get(rule_url("change", rules["ns0"])).content.decode()

    assert rule_url("permissions", rules["ns0"]) in page


def test_grant_and_revoke_are_applied_and_recorded(client, admin_root, manager_ft, rules):
    client.force_login(admin_root)
    url = rule_url("permissions", rules["ns0"])

    response = client.post(url, {"user": manager_ft.pk, "action": "change"})

    assert response.status_code == 302
    assert get_perms(manager_ft, rules["ns0"]) == ["change_rule"]
    page = client.get(url)
    assert [(g["user"], g["action"]) for g in page.context["grants"]] == [(manager_ft, "change")]

    response = client.post(url, {"revoke": f"{manager_ft.pk}:change"})

    assert response.status_code == 302
    assert get_perms(manager_ft, rules["ns0"]) == []
    records = list(ObjectPermissionChange.objects.order_by("pk"))
    assert [(r.kind, r.user, r.actor, r.object_pk) for r in records] == [
        ("grant", manager_ft, admin_root, str(rules["ns0"].pk)),
        ("revoke", manager_ft, admin_root, str(rules["ns0"].pk)),
    ]
    assert [r.history.get().history_user for r in records] == [admin_root, admin_root]


def test_group_grants_are_listed_too(client, admin_root, rules):
    """A grant to a group reaches every member: the page lists it beside the users'."""
    role = Group.objects.get(name="gift_manager")
    assign_perm("distribution.view_rule", role, rules["ns0"])
    custom = Group.objects.create(name="理赔协查组")
    assign_perm("distribution.change_rule", custom, rules["ns0"])
    client.force_login(admin_root)

    page = client.get(rule_url("permissions", rules["ns0"]))

    assert page.context["grants"] == []
    assert [(g["group"], str(g["label"])) for g in page.context["group_grants"]] == [
        (role, str(ACTION_LABELS["view"])),
        (custom, str(ACTION_LABELS["change"])),
    ]
    body = page.content.decode()
    assert role_label("gift_manager") in body and "理赔协查组" in body
    assert "object-group-grants" in body
    other = client.get(rule_url("permissions", rules["ns1"]))
    assert other.context["group_grants"] == []


def test_grants_appear_on_the_audit_page_within_scope(
    client, admin_root, admin_futian, manager_ft, rules
):
    client.force_login(admin_root)
    client.post(rule_url("permissions", rules["ns0"]), {"user": manager_ft.pk, "action": "view"})
    description = ObjectPermissionChange.objects.get().description

    audit = client.get(reverse("audit"), {"model": "giftplatform.objectpermissionchange"})
    assert audit.status_code == 200
    assert description in audit.content.decode()

    # 福田's platform admin does not see what was shared of a 南山 rule.
    client.force_login(admin_futian)
    audit = client.get(reverse("audit"), {"model": "giftplatform.objectpermissionchange"})
    assert description not in audit.content.decode()


def test_only_users_in_reach_can_be_given_a_permission(
    client, admin_futian, manager_ft, manager_nanshan, rules
):
    client.force_login(admin_futian)
    url = rule_url("permissions", rules["ft"])

    choices = client.get(url).context["form"].fields["user"].queryset
    response = client.post(url, {"user": manager_nanshan.pk, "action": "view"})

    assert manager_ft in choices and manager_nanshan not in choices
    assert response.status_code == 200 and response.context["form"].errors
    assert not UserObjectPermission.objects.exists()
    assert not ObjectPermissionChange.objects.exists()


def test_nobody_shares_more_than_they_may_do_themselves(client, admin_futian, manager_ft):
    shared_rule = make_rule("ALL", [])  # no branch: 福田 may view it, not change it
    client.force_login(admin_futian)
    url = rule_url("permissions", shared_rule)

    page = client.get(url)
    response = client.post(url, {"user": manager_ft.pk, "action": "change"})

    assert [value for value, _label in page.context["form"].fields["action"].choices] == ["view"]
    assert response.status_code == 200 and response.context["form"].errors
    assert get_perms(manager_ft, shared_rule) == []


def test_revoking_outside_ones_reach_is_refused(
    client, admin_root, admin_futian, manager_nanshan, rules
):
    assign_perm("distribution.view_rule", manager_nanshan, rules["ft"])
    client.force_login(admin_futian)
    url = rule_url("permissions", rules["ft"])

    grants = client.get(url).context["grants"]
    response = client.post(url, {"revoke": f"{manager_nanshan.pk}:view"})

    assert [g["revocable"] for g in grants] == [False]
    assert response.status_code == 403
    assert get_perms(manager_nanshan, rules["ft"]) == ["view_rule"]


@pytest.mark.parametrize("kind", ["quota", "gift", "provider", "supplier"])
def test_every_shareable_admin_has_the_page(client, admin_root, manager_ft, nanshan, kind):
    if kind == "quota":
        obj = make_quota("Q1", "gift_amount", "month", "100", branch=nanshan)
    elif kind == "gift":
        obj = GiftFactory(code="G1", branch=nanshan)
    else:
        obj = ProviderFactory(code="PX")
    app = {"quota": "distribution", "gift": "gifts"}.get(kind, "suppliers")
    client.force_login(admin_root)
    url = reverse(f"admin:{app}_{kind}_permissions", args=[obj.pk])

    assert client.get(url).status_code == 200
    assert client.post(url, {"user": manager_ft.pk, "action": "view"}).status_code == 302

    assert get_perms(manager_ft, obj) == [f"view_{type(obj)._meta.concrete_model._meta.model_name}"]


def nanshan_draft_post(rule, name: str, **rows) -> dict:
    """The change form of a 南山 draft rule as posted: renamed ``name``, branch and
    targets kept, no condition or reward rows unless ``rows`` gives them."""
    nanshan = rule.branch
    return {
        "code": rule.code,
        "name": name,
        "description": "",
        "priority": 100,
        "max_per_policy": 1,
        "tax_treatment": "sale",
        "all_policies": "on",
        "branch": nanshan.pk,
        "target_branches": [nanshan.pk],
        **{f"{field}_{n}": "" for field in ("starts_at", "ends_at") for n in (0, 1)},
        **{
            f"{inline}-{k}": 0
            for inline in ("conditions", "rewards")
            for k in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
        **rows,
    }


def test_a_change_grant_lets_its_holder_save_the_shared_row_where_it_is(
    client, manager_ft, nanshan, futian
):
    rule = make_rule("NS-D", [], status="draft", branch=nanshan)
    rule.target_branches.set([nanshan])
    assign_perm("distribution.change_rule", manager_ft, rule)
    client.force_login(manager_ft)
    form = client.get(rule_url("change", rule)).context["adminform"].form

    response = client.post(rule_url("change", rule), nanshan_draft_post(rule, "共享后改名"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    rule.refresh_from_db()
    assert (rule.name, rule.branch) == ("共享后改名", nanshan)
    assert list(rule.target_branches.all()) == [nanshan]
    # Kept, not offered anew: 南山 is no choice for a fresh 福田 rule.
    assert set(form.fields["branch"].queryset) >= {futian, nanshan}
    add_form = client.get(reverse("admin:distribution_rule_add")).context["adminform"].form
    assert nanshan not in add_form.fields["branch"].queryset


def test_a_shared_draft_keeps_its_out_of_scope_rewards_when_saved(
    client, manager_ft, nanshan, futian
):
    """The reward rows of a 南山 draft shared with a 福田 manager keep their 南山 gift on
    save (kept, not offered anew), as the rule's own branch does."""
    ns_gift = GiftFactory(code="NS-KIT", branch=nanshan)
    rule = make_rule("NS-R", [(ns_gift, 2, "")], status="draft", branch=nanshan)
    rule.target_branches.set([nanshan])
    reward = rule.rewards.get()
    assign_perm("distribution.change_rule", manager_ft, rule)
    client.force_login(manager_ft)
    page = client.get(rule_url("change", rule))
    formsets = {f.formset.prefix: f.formset for f in page.context["inline_admin_formsets"]}

    response = client.post(
        rule_url("change", rule),
        nanshan_draft_post(
            rule,
            "共享后改数量",
            **{
                "rewards-TOTAL_FORMS": 1,
                "rewards-INITIAL_FORMS": 1,
                "rewards-0-id": reward.pk,
                "rewards-0-rule": rule.pk,
                "rewards-0-gift": ns_gift.pk,
                "rewards-0-quantity": 3,
                "rewards-0-option_group": "",
            },
        ),
    )

    assert response.status_code == 302, [
        f.errors for f in response.context["inline_admin_formsets"][1].formset.forms
    ]
    reward.refresh_from_db()
    assert (reward.gift, reward.quantity) == (ns_gift, 3)
    # Kept on the row that holds it, never offered for a new row.
    rewards = formsets["rewards"]
    assert ns_gift in rewards.forms[0].fields["gift"].queryset
    assert ns_gift not in rewards.empty_form.fields["gift"].queryset


def test_a_bulk_action_touches_only_the_rows_in_its_own_scope(client, admin_futian, futian):
    own = GiftFactory(code="G-FT", branch=futian)
    shared = GiftFactory(code="G-ALL", branch=None)  # 福田 may view it, not delete it
    client.force_login(admin_futian)
    url = reverse("admin:gifts_gift_changelist")

    response = client.post(
        url,
        {"action": "delete_selected", "_selected_action": [own.pk, shared.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Gift.objects.values_list("code", flat=True)) == ["G-ALL"]


def test_an_action_run_through_object_permissions_touches_only_granted_rows(
    client, plain_staff, futian, nanshan
):
    viewed, changed = (
        GiftFactory(code="G-V", branch=nanshan),
        GiftFactory(code="G-C", branch=nanshan),
    )
    assign_perm("gifts.view_gift", plain_staff, viewed)
    assign_perm("gifts.change_gift", plain_staff, changed)
    client.force_login(plain_staff)

    page = client.post(
        reverse("admin:gifts_gift_changelist"),
        {"action": "receive_stock", "_selected_action": [viewed.pk, changed.pk]},
    )

    assert page.status_code == 200
    assert [gift.code for gift in page.context["gifts"]] == ["G-C"]


def test_permission_records_cannot_be_deleted(client, admin_root, manager_ft, rules):
    client.force_login(admin_root)
    client.post(rule_url("permissions", rules["ns0"]), {"user": manager_ft.pk, "action": "view"})

    with pytest.raises(ProtectedError):
        ObjectPermissionChange.objects.all().delete()
    with pytest.raises(ProtectedError):
        ObjectPermissionChange.objects.get().delete()
    assert ObjectPermissionChange.objects.count() == 1
