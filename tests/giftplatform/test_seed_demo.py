"""seed_demo loads valid, consistent demo data, and a second run changes nothing."""

import datetime
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import F, Sum
from django.test import RequestFactory
from django.utils import timezone, translation

from distribution.models import ChangeRequest, Quota, QuotaCharge, QuotaUsage, Rule
from distribution.periods import period_start
from giftplatform.demo.generators import (
    AS_OF,
    CONTRACT_SERVICE_NAMES,
    GIFT_HEADERS,
    POLICY_HEADERS,
    gift_rows,
    policy_rows,
)
from giftplatform.management.commands.seed_demo import (
    DEMO_PASSWORD,
    contract_services_from_text,
)
from giftplatform.management.commands.seed_demo import (
    DEMO_USERS as DEMO_USER_SPECS,
)
from giftplatform.models import Branch
from giftplatform.validators import (
    normalize_mobile,
    normalize_plate,
    normalize_resident_id,
    normalize_uscc,
    normalize_vin,
)
from gifts.models import (
    Gift,
    GiftCategory,
    GiftKind,
    MovementReason,
    StockMovement,
    VoucherCode,
)
from policies.models import Policy, PolicyStatus, Product
from suppliers.models import Provider, ProviderKind

DEMO_USERS = (
    *("admin", "sz_admin", "manager", "approver"),
    *("ft_branch_admin", "manager_futian", "clerk_futian", "ft_approver", "ft_auditor"),
    *("ns_branch_admin", "ns_gift_manager", "clerk_nanshan", "ns_approver", "ns_auditor"),
    *("s001_user", "s002_user", "p001_user"),
)

MODELS = (Branch, Provider, GiftCategory, Gift, StockMovement, VoucherCode, Policy)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    users = get_user_model().objects.order_by("username")
    return {
        "counts": counts,
        "users": list(users.values_list("username", "password", "branch__code", "is_superuser")),
        "roles": {
            user.username: sorted(user.groups.values_list("name", flat=True)) for user in users
        },
        "stock": dict(Gift.objects.values_list("code", "stock")),
        "policies": list(
            Policy.objects.order_by("policy_no").values_list("policy_no", "updated_at")
        ),
    }


def log_in(username: str, password: str):
    """authenticate() as the login page calls it: with a request (axes needs one)."""
    request = RequestFactory().post("/admin/login/")
    return authenticate(request, username=username, password=password)


@pytest.fixture
def seeded(db) -> str:
    return seed("--policies", "200")


def test_seed_creates_the_demo_world(seeded):
    assert Branch.objects.count() == 6
    assert Provider.objects.filter(kind=ProviderKind.GOODS).count() == 5
    assert Provider.objects.filter(kind=ProviderKind.SERVICE).count() == 3
    assert GiftCategory.objects.count() == 5
    assert Gift.objects.count() == 12
    assert set(Gift.objects.values_list("kind", flat=True)) == set(GiftKind.values)
    assert Policy.objects.count() == 200
    assert set(get_user_model().objects.values_list("username", flat=True)) == set(DEMO_USERS)
    assert Rule.objects.filter(status="active").count() == 4
    assert Quota.objects.filter(status="active").count() == 5
    # Each demo rule and quota went live through a second person.
    approved = ChangeRequest.objects.filter(status="approved")
    assert approved.count() == 9 and not approved.filter(checker=F("maker")).exists()


def test_each_pool_period_holds_the_charges_of_its_own_hand_outs(seeded):
    """The history's hand-outs were set back: their pool charges went with them."""
    charges = QuotaCharge.objects.filter(returned=False, period_start__isnull=False)
    assert charges.exclude(distribution__created_at__gte=timezone.now() - timedelta(days=2))
    for charge in charges.select_related("quota", "distribution"):
        assert charge.period_start == period_start(
            charge.quota.period, charge.distribution.created_at
        )
    for usage in QuotaUsage.objects.all():
        held = charges.filter(quota=usage.quota, period_start=usage.period_start)
        assert usage.used == (held.aggregate(total=Sum("amount"))["total"] or 0)


def test_second_run_changes_nothing(seeded):
    manager = get_user_model().objects.get(username="manager")
    manager.set_password("changed-by-the-user")
    manager.save()
    before = snapshot()

    seed("--policies", "200")

    assert snapshot() == before
    assert log_in("manager", "changed-by-the-user") is not None


def test_more_policies_later_adds_only_the_missing_ones(seeded):
    first = set(Policy.objects.values_list("policy_no", flat=True))
    with translation.override("en"):
        output = seed("--policies", "300")
    assert Policy.objects.count() == 300
    assert first <= set(Policy.objects.values_list("policy_no", flat=True))
    assert "100 created, 200 already there" in output


def test_every_policy_identifier_passes_the_validators(seeded):
    for policy in Policy.objects.all():
        assert normalize_vin(policy.vin) == policy.vin
        assert normalize_resident_id(policy.id_number) == policy.id_number
        assert normalize_mobile(policy.phone) == policy.phone
        assert normalize_plate(policy.plate) == policy.plate


def test_policies_are_coherent(seeded):
    branches = set(Branch.objects.filter(depth=1).values_list("pk", flat=True))
    clause_services = set(CONTRACT_SERVICE_NAMES.values())
    for policy in Policy.objects.all():
        assert policy.branch_id in branches
        assert policy.issue_date <= policy.start_date <= policy.end_date
        assert policy.premium > 0
        if policy.status == PolicyStatus.EXPIRED:
            assert policy.end_date < AS_OF
        if policy.product == Product.CTPL:
            assert policy.contract_services == {}
        assert set(policy.contract_services) <= clause_services
        assert all(isinstance(n, int) and n > 0 for n in policy.contract_services.values())
    assert Policy.objects.exclude(contract_services={}).exists()
    assert len(set(Policy.objects.values_list("status", flat=True))) >= 2


def test_stock_equals_the_sum_of_its_movements(seeded):
    physical = Gift.objects.filter(kind=GiftKind.PHYSICAL)
    assert physical.count() >= 5
    for gift in physical:
        assert gift.stock > 0
        assert gift.stock == gift.movements.aggregate(total=Sum("quantity"))["total"]
        # One receipt each; the supplier-portal demo also hands some out (distribution rows).
        receipt = gift.movements.get(reason=MovementReason.RECEIPT)
        assert receipt.reference.startswith("PO-2026-")
        assert receipt.unit_cost == gift.unit_cost
    assert not StockMovement.objects.exclude(gift__kind=GiftKind.PHYSICAL).exists()


def test_service_gifts_have_voucher_codes(seeded):
    for gift in Gift.objects.exclude(kind=GiftKind.PHYSICAL):
        assert gift.vouchers.count() == 200
    assert not VoucherCode.objects.filter(gift__kind=GiftKind.PHYSICAL).exists()


def test_contract_service_gifts_name_their_clause_service(seeded):
    contract = Gift.objects.filter(kind=GiftKind.CONTRACT_SERVICE)
    assert {"road_rescue", "inspection_on_behalf"} <= set(
        contract.values_list("contract_service", flat=True)
    )
    for gift in Gift.objects.all():
        expected_provider_kind = (
            ProviderKind.GOODS if gift.kind == GiftKind.PHYSICAL else ProviderKind.SERVICE
        )
        assert gift.provider.kind == expected_provider_kind


def test_branch_tree_paths(seeded):
    root = Branch.objects.get(code="4403")
    assert (root.name, root.path, root.depth, root.parent) == ("深圳分公司", "4403/", 0, None)
    expected = {
        "440301": "深圳市区营业部",
        "440303": "罗湖支公司",
        "440304": "福田支公司",
        "440305": "南山支公司",
        "440306": "宝安支公司",
    }
    for code, name in expected.items():
        branch = Branch.objects.get(code=code)
        assert (branch.name, branch.parent, branch.path, branch.depth) == (
            name,
            root,
            f"4403/{code}/",
            1,
        )
    assert Branch.objects.subtree(root).count() == 6


def test_providers_have_valid_credit_codes(seeded):
    for provider in Provider.objects.all():
        assert normalize_uscc(provider.credit_code) == provider.credit_code
        provider.full_clean()


def test_cash_equivalent_category_is_blocked(seeded):
    fuel_cards = GiftCategory.objects.get(code="CASH01")
    assert fuel_cards.is_cash_equivalent
    assert not fuel_cards.cash_equivalent_enabled
    assert not Gift.objects.filter(category=fuel_cards).exists()


def test_demo_users_and_their_scope(seeded):
    users = {user.username: user for user in get_user_model().objects.all()}
    assert users["admin"].is_superuser and users["admin"].is_staff
    for username, _name, role, branch, provider, _superuser in DEMO_USER_SPECS:
        user = users[username]
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert not user.user_permissions.exists()  # everything comes through the role
        assert (user.branch.code if user.branch else "") == branch
        assert (user.provider.code if user.provider else "") == provider
        assert user.is_staff == bool(branch)
        assert log_in(username, DEMO_PASSWORD) == user
    assert users["manager"].branch.code == "4403"
    assert users["manager_futian"].branch.code == "440304"
    for username in ("manager", "manager_futian", "ns_gift_manager"):
        assert not users[username].is_superuser
        assert users[username].has_perm("gifts.change_gift")
        assert users[username].has_perm("distribution.add_rule")
        assert not users[username].has_perm("giftplatform.view_user")
    assert users["clerk_futian"].has_perm("distribution.add_distribution")
    assert not users["clerk_futian"].has_perm("distribution.approve_distribution")
    assert users["approver"].has_perm("distribution.approve_changerequest")
    assert not users["approver"].has_perm("distribution.add_rule")
    assert users["ft_branch_admin"].has_perm("giftplatform.change_user")
    assert not users["ft_auditor"].has_perm("gifts.change_gift")
    assert not users["s001_user"].get_all_permissions()


def test_logins_show_roles_in_chinese(seeded):
    assert "礼品管理员" in seeded and "审核员" in seeded


def test_logins_are_printed(seeded):
    for text in (*DEMO_USERS, DEMO_PASSWORD, "4403", "440304"):
        assert text in seeded
    assert seeded.count(DEMO_PASSWORD) == len(DEMO_USERS)


def test_minimal_creates_no_gifts_or_policies(db):
    output = seed("--minimal", "--policies", "50")
    assert Branch.objects.count() == 6
    assert Provider.objects.count() == 8
    assert GiftCategory.objects.count() == 5
    assert get_user_model().objects.count() == len(DEMO_USERS)
    assert not Rule.objects.exists()
    for model in (Gift, StockMovement, VoucherCode, Policy):
        assert not model.objects.exists()
    assert DEMO_PASSWORD in output


def test_full_run_after_minimal_fills_in_the_rest(db):
    seed("--minimal")
    seed("--policies", "20")
    assert Gift.objects.count() == 12
    assert Policy.objects.count() == 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("道路救援7次，代为送检1次", {"road_rescue": 7, "inspection_on_behalf": 1}),
        ("车辆安全检测 2 次, 代为驾驶3次", {"safety_inspection": 2, "designated_driving": 3}),
        ("", {}),
    ],
)
def test_contract_services_from_text(text, expected):
    assert contract_services_from_text(text) == expected


# --- The generators themselves ---------------------------------------------------------


def test_policy_rows_are_deterministic_and_prefix_stable():
    assert list(policy_rows(300, 7)) == list(policy_rows(300, 7))
    assert list(policy_rows(100, 7)) == list(policy_rows(300, 7))[:100]
    assert list(policy_rows(50, 7)) != list(policy_rows(50, 8))


def test_policy_rows_are_valid_and_policy_numbers_unique():
    rows = list(policy_rows(5000, 11, ("440304", "440305")))
    assert all(tuple(row) == POLICY_HEADERS for row in rows)
    assert len({row["保单号"] for row in rows}) == len(rows)
    assert {row["机构代码"] for row in rows} == {"440304", "440305"}
    for row in rows:
        assert normalize_vin(row["车架号"]) == row["车架号"]
        assert normalize_resident_id(row["证件号码"]) == row["证件号码"]
        assert normalize_mobile(row["手机号"]) == row["手机号"]
        assert normalize_plate(row["车牌号"]) == row["车牌号"]
        assert isinstance(row["签单日期"], datetime.date)
        assert row["签单日期"] <= row["起保日期"] <= row["终保日期"]
    # Identifiers vary: the pools are combined, not repeated.
    assert len({row["车架号"] for row in rows}) > 4500
    assert len({row["证件号码"] for row in rows}) > 4500
    kinds = Counter(len(row["车牌号"]) for row in rows)
    assert kinds[7] and kinds[8]  # ordinary and new-energy plates


def test_gift_rows_follow_the_sheet_and_the_mappings():
    rows = list(
        gift_rows(
            30,
            3,
            {"实物": ["S001"], "服务": ["P001"], "增值服务": ["P002"]},
            ["C01", "C02"],
            branch_codes=["440304"],
        )
    )
    assert all(tuple(row) == GIFT_HEADERS for row in rows)
    assert len({row["礼品编码"] for row in rows}) == 30
    for row in rows:
        assert (
            row["供应商编码"] == {"实物": "S001", "服务": "P001", "增值服务": "P002"}[row["类型"]]
        )
        assert row["类别编码"] in ("C01", "C02")
        assert bool(row["增值服务项目"]) == (row["类型"] == "增值服务")
        assert row["所属机构"] in ("", "440304")
    assert list(gift_rows(30, 3)) == list(gift_rows(30, 3))
