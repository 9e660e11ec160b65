"""restrict(): branch subtree, object permissions that widen it, provider scope for portal
users, users in reach; and the decision about guardian's global-permission fallback."""

import ast
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from distribution.models import (
    Distribution,
    DistributionItem,
    Quota,
    QuotaBasis,
    QuotaPeriod,
    Rule,
)
from distribution.services import distribution_create
from giftplatform.access import may, reaching, restrict
from giftplatform.models import Branch
from giftplatform.services import branch_save
from gifts.models import Gift, GiftCategory, VoucherCode
from policies.models import Policy
from suppliers.models import Provider, Supplier
from tests.distribution.conftest import make_quota, make_rule, voucher_gift
from tests.factories import GiftFactory, PolicyFactory, ProviderFactory, UserFactory

User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]


def rule_in(branch, code):
    return make_rule(code, [], branch=branch)


@pytest.fixture
def staff_futian(futian):
    return UserFactory(username="staff_ft", branch=futian)


@pytest.fixture
def sibling_rules(nanshan):
    return [rule_in(nanshan, f"NS{n}") for n in range(3)]


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


# ----------------------------------------------------------------------------- widening


def test_a_view_grant_adds_that_one_sibling_row_to_view_only(staff_futian, futian, sibling_rules):
    own = rule_in(futian, "FT1")
    assign_perm("distribution.view_rule", staff_futian, sibling_rules[0])

    assert codes(restrict(Rule.objects.all(), staff_futian, "view")) == ["FT1", "NS0"]
    assert codes(restrict(Rule.objects.all(), staff_futian, "change")) == [own.code]


def test_change_implies_view(staff_futian, sibling_rules):
    assign_perm("distribution.change_rule", staff_futian, sibling_rules[1])

    assert codes(restrict(Rule.objects.all(), staff_futian, "view")) == ["NS1"]
    assert codes(restrict(Rule.objects.all(), staff_futian, "change")) == ["NS1"]


def test_a_grant_to_a_group_reaches_its_members_only(staff_futian, futian, sibling_rules):
    group = Group.objects.create(name="rule readers")
    staff_futian.groups.add(group)
    other = UserFactory(username="other_ft", branch=futian)
    assign_perm("distribution.view_rule", group, sibling_rules[2])

    assert codes(restrict(Rule.objects.all(), staff_futian, "view")) == ["NS2"]
    assert codes(restrict(Rule.objects.all(), other, "view")) == []


def test_grants_on_other_models_or_to_others_do_not_leak(staff_futian, futian, nanshan):
    quota = make_quota("Q-NS", "gift_amount", "month", "100", branch=nanshan)
    rule = rule_in(nanshan, "NS-R")
    # Same primary key value, other content type: must not match.
    assign_perm("distribution.view_quota", staff_futian, quota)
    someone = UserFactory(username="someone", branch=futian)
    assign_perm("distribution.view_rule", someone, rule)

    assert codes(restrict(Quota.objects.all(), staff_futian)) == ["Q-NS"]
    assert codes(restrict(Rule.objects.all(), staff_futian)) == []


@pytest.mark.parametrize("model_label", ["gift", "provider_proxy"])
def test_gifts_and_providers_can_be_shared(model_label, futian, nanshan):
    portal_provider = ProviderFactory(code="PP1")
    portal = UserFactory(username="portal", provider=portal_provider, is_staff=False)
    if model_label == "gift":
        gift = GiftFactory(code="G-NS", branch=nanshan)
        assign_perm("gifts.view_gift", portal, gift)
        own = GiftFactory(code="G-OWN", branch=nanshan, provider=portal_provider)
        assert codes(restrict(Gift.objects.all(), portal)) == sorted([gift.code, own.code])
    else:
        other = ProviderFactory(code="PP2")
        assign_perm("suppliers.view_provider", portal, other)
        assert codes(restrict(Supplier.objects.all(), portal)) == ["PP1", "PP2"]


def test_list_is_one_query_whatever_the_rows_and_grants(
    staff_futian, futian, nanshan, django_assert_num_queries
):
    group = Group.objects.create(name="sharers")
    staff_futian.groups.add(group)

    def grow(start):
        for n in range(start, start + 5):
            rule_in(futian, f"FT{n}")
            sibling = rule_in(nanshan, f"NS{n}")
            assign_perm("distribution.view_rule", staff_futian, sibling)
            assign_perm("distribution.change_rule", group, rule_in(nanshan, f"NG{n}"))

    grow(0)
    with django_assert_num_queries(1):
        small = list(restrict(Rule.objects.all(), staff_futian, "view"))
    grow(5)
    with django_assert_num_queries(1):
        large = list(restrict(Rule.objects.all(), staff_futian, "view"))
    assert (len(small), len(large)) == (15, 30)


# ----------------------------------------------------------------------------- reaching


def test_reaching_gives_the_terms_that_apply_to_the_subtree_whoever_owns_them(
    staff_futian, shenzhen, futian, nanshan, superuser
):
    """Quotas that cap 福田's policies: everywhere, over 深圳, over 福田 or a branch in it;
    never a sibling's. ``restrict`` still hides the ones owned above."""
    desk = branch_save(code="44030401", name="福田营业部", parent=futian)[0]
    scopes = {"ALL": None, "SZ": shenzhen, "FT": futian, "DESK": desk, "NS": nanshan}
    for code, scope in scopes.items():
        make_quota(
            code,
            QuotaBasis.PREMIUM_RATIO,
            QuotaPeriod.POLICY,
            "5",
            branch=shenzhen,
            scope_branch=scope,
        )

    def reached(user, **within):
        return codes(reaching(Quota.objects.all(), user, "scope_branch", **within))

    assert reached(staff_futian) == ["ALL", "DESK", "FT", "SZ"]
    assert reached(staff_futian, within=desk) == ["ALL", "DESK", "FT", "SZ"]
    assert reached(superuser, within=nanshan) == ["ALL", "NS", "SZ"]
    assert len(reached(superuser)) == 5
    assert codes(restrict(Quota.objects.all(), staff_futian, "view")) == []
    portal = UserFactory(username="portal_x", provider=ProviderFactory())
    assert reached(portal) == []


# ----------------------------------------------------------------------------- global perms


def test_a_global_permission_never_widens_the_rows(staff_futian, futian, sibling_rules):
    assign_perm("distribution.view_rule", staff_futian)
    assign_perm("distribution.change_rule", staff_futian)
    staff_futian = User.objects.get(pk=staff_futian.pk)
    rule_in(futian, "FT1")

    assert codes(restrict(Rule.objects.all(), staff_futian, "view")) == ["FT1"]
    assert not may(staff_futian, "view", sibling_rules[0])
    assert not may(staff_futian, "change", sibling_rules[0])
    # Guardian's backend, asked about one object, answers from object permissions alone.
    assert not staff_futian.has_perm("distribution.view_rule", sibling_rules[0])


def test_an_object_permission_alone_grants_that_action_on_that_object(
    staff_futian, futian, sibling_rules
):
    assign_perm("distribution.change_rule", staff_futian, sibling_rules[0])
    staff_futian = User.objects.get(pk=staff_futian.pk)

    assert not staff_futian.has_perm("distribution.change_rule")
    assert may(staff_futian, "change", sibling_rules[0])
    assert may(staff_futian, "view", sibling_rules[0])
    assert not may(staff_futian, "view", sibling_rules[1])
    # In its own branch, without the role's permission: nothing either.
    assert not may(staff_futian, "view", rule_in(futian, "FT1"))


def test_the_role_permission_acts_within_scope(staff_futian, futian, sibling_rules):
    assign_perm("distribution.change_rule", staff_futian)
    staff_futian = User.objects.get(pk=staff_futian.pk)
    assign_perm("distribution.view_rule", staff_futian, sibling_rules[0])

    assert may(staff_futian, "change", rule_in(futian, "FT1"))
    assert may(staff_futian, "view", sibling_rules[0])
    # A view grant plus the role's change permission: still not a change outside scope.
    assert not may(staff_futian, "change", sibling_rules[0])


def test_no_code_lists_rows_through_guardians_global_fallback():
    """``get_objects_for_user(accept_global_perms=True)`` returns every row to a holder of
    the global permission: the platform never lists rows through it."""
    callers = []
    for app in ("giftplatform", "gifts", "suppliers", "policies", "distribution", "stats"):
        for path in (ROOT / app).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {getattr(node, "attr", getattr(node, "id", None)) for node in ast.walk(tree)}
            if names & {"get_objects_for_user", "get_objects_for_group"}:
                callers.append(str(path.relative_to(ROOT)))
    assert callers == []


# ----------------------------------------------------------------------------- portal users


@pytest.fixture
def portal_world(futian):
    own, other = ProviderFactory(code="OWN"), ProviderFactory(code="OTHER")
    portal = UserFactory(username="portal_own", provider=own, is_staff=False)
    own_gift = voucher_gift(codes=2, code="G-OWN", branch=futian, provider=own)
    other_gift = voucher_gift(codes=2, code="G-OTHER", branch=futian, provider=other)
    return portal, own, own_gift, other_gift


def test_portal_users_see_their_own_provider_and_its_gifts_only(portal_world):
    portal, own, own_gift, _other_gift = portal_world

    assert list(restrict(Provider.objects.all(), portal)) == [own]
    assert list(restrict(Supplier.objects.all(), portal)) == [own]
    assert list(restrict(Gift.objects.all(), portal)) == [own_gift]
    vouchers = restrict(VoucherCode.objects.all(), portal)
    assert {v.gift_id for v in vouchers} == {own_gift.pk}
    assert vouchers.count() == 2


def test_portal_users_see_only_their_providers_distribution_items(portal_world, futian):
    portal, own, own_gift, other_gift = portal_world
    rule = make_rule("BOTH", [(own_gift, 1, ""), (other_gift, 1, "")], branch=futian)
    distribution_create(
        actor=None, policy=PolicyFactory(branch=futian), rule=rule, idempotency_key="k-1"
    )
    assert DistributionItem.objects.count() == 2

    items = restrict(DistributionItem.objects.all(), portal)
    assert [item.provider_id for item in items] == [own.pk]
    assert not restrict(Distribution.objects.all(), portal).exists()


def test_portal_users_see_no_staff_reference_or_branch_data(portal_world, futian):
    portal = portal_world[0]
    GiftCategory.objects.get_or_create(code="CAT", defaults={"name": "类别"})
    rule_in(futian, "FT1")
    PolicyFactory(branch=futian)

    for model in (GiftCategory, Rule, Quota, Policy, Branch, User):
        assert not restrict(model.objects.all(), portal).exists(), model


# ----------------------------------------------------------------------------- users


@pytest.fixture
def people(shenzhen, futian, nanshan):
    provider = ProviderFactory(code="PU")
    return {
        "sz": UserFactory(username="u_sz", branch=shenzhen),
        "ft": UserFactory(username="u_ft", branch=futian),
        "ns": UserFactory(username="u_ns", branch=nanshan),
        "root_ft": UserFactory(username="root_ft", branch=futian, is_superuser=True),
        "portal": UserFactory(username="u_portal", provider=provider, is_staff=False),
    }


def usernames(queryset):
    return sorted(queryset.values_list("username", flat=True))


@pytest.mark.parametrize(
    ("home", "manages_users", "expected"),
    [
        ("shenzhen", True, ["u_ft", "u_ns", "u_portal", "u_sz"]),
        ("shenzhen", False, ["u_ft", "u_ns", "u_sz"]),
        ("futian", True, ["u_ft"]),
    ],
)
def test_restrict_on_users_gives_exactly_the_users_in_reach(
    request, people, home, manages_users, expected
):
    actor = UserFactory(username="actor", branch=request.getfixturevalue(home))
    if manages_users:
        assign_perm("giftplatform.change_user", actor)
        actor = User.objects.get(pk=actor.pk)
    reach = set(expected) | {"actor"}

    for action in ("view", "change"):
        assert usernames(restrict(User.objects.all(), actor, action)) == sorted(reach)


def test_portal_and_inactive_users_reach_nobody(people):
    inactive = UserFactory(username="gone", branch=people["sz"].branch, is_active=False)
    assert not restrict(User.objects.all(), people["portal"]).exists()
    assert not restrict(User.objects.all(), inactive).exists()
