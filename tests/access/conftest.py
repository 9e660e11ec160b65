"""One world for the access tests, built once per module and rolled back at its end.

深圳 (root) -> 福田 (the users' home), 南山 (the sibling); suppliers S001 (the portal
supplier user's own) and S002 (another provider), service providers P001 (the portal
service user's own) and P002 (another). Of every branch-scoped model there is one row in
福田 with the own providers ("own"), one in 南山 ("sibling") and, where a row has a
provider, one in 福田 with the other providers ("other_provider"). One user per role
lives in 福田 (the requesters), one gift manager in 南山 (owner of the sibling import
jobs), and one portal user per provider kind.

Each test still runs in its own savepoint (the ``db`` fixture), so a POST that changes a
row is undone before the next test.
"""

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import override_settings

from distribution.models import (
    BatchRun,
    ChangeKind,
    ChangeRequest,
    QuotaBasis,
    QuotaPeriod,
    RuleStatus,
)
from distribution.services import distribution_create
from giftplatform.roles import ROLES, apply_roles
from giftplatform.services import branch_save
from gifts.imports.sheets_out import write_template
from gifts.models import ImportJob, ImportKind, ImportStatus
from policies.models import PiiField, PiiReveal
from suppliers.models import (
    DocumentType,
    ProviderDocument,
    ProviderKind,
    ProviderSignupRequest,
    Settlement,
)
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.factories import CategoryFactory, PolicyFactory, ProviderFactory, UserFactory

STAFF_ROLES = tuple(role.code for role in ROLES if not role.code.endswith("_user"))
PORTAL_ROLES = ("supplier_user", "service_provider_user")
ROLE_CODES = (*(role.code for role in ROLES), "anonymous")
POSITIONS = ("own", "sibling", "other_provider")
# The import kinds behind each import page's model (``<app>_<model>_import_*``).
IMPORT_KINDS = {
    "gifts.gift": ImportKind.GIFTS,
    "gifts.stockmovement": ImportKind.STOCK,
    "gifts.vouchercode": ImportKind.VOUCHERS,
    "policies.policy": ImportKind.POLICIES,
    "suppliers.provider": ImportKind.PROVIDERS,
    "suppliers.supplier": ImportKind.PROVIDERS,
    "suppliers.serviceprovider": ImportKind.PROVIDERS,
}


@dataclass
class World:
    branches: dict
    providers: dict
    users: dict  # role code -> the 福田 (or portal) user
    sibling_owner: object  # 南山 gift manager: owns the sibling import jobs
    rows: dict = field(default_factory=dict)  # (model label, position) -> row
    jobs: dict = field(default_factory=dict)  # (username, kind) -> ImportJob

    def row(self, label: str, position: str):
        return self.rows.get((label, position))

    def job(self, user, kind: str, position: str):
        owner = user if position == "own" else self.sibling_owner
        if position == "other_provider":
            return None
        if owner is None or not owner.pk:
            owner = self.users["platform_admin"]
        return self.jobs.get((owner.username, kind))


_keys = itertools.count(1)


def _hand_out(actor, policy, rule):
    return distribution_create(
        actor=actor, policy=policy, rule=rule, idempotency_key=f"access-{next(_keys)}"
    )


def _branch_rows(world: World, position: str, branch, goods, service, category, actor):
    """One row of every branch-scoped model in ``branch``, with ``goods`` / ``service``."""
    gift = stocked_gift(quantity=20, branch=branch, provider=goods, category=category)
    vouchers = voucher_gift(codes=3, branch=branch, provider=service, category=category)
    policy = PolicyFactory(branch=branch, id_number="110105199001011234")
    rule = make_rule(f"R-{position}", [(gift, 1, "")], branch=branch, created_by=actor)
    # For its own branch only: a rule with no target branches is offered everywhere.
    rule.target_branches.set([branch])
    draft = make_rule(
        f"D-{position}", [(gift, 1, "")], branch=branch, status=RuleStatus.DRAFT, created_by=actor
    )
    quota = make_quota(
        f"Q-{position}", QuotaBasis.GIFT_AMOUNT, QuotaPeriod.MONTH, "100000", branch=branch
    )
    distribution = _hand_out(actor, policy, rule)
    rows = {
        "gifts.gift": gift,
        "gifts.stockmovement": gift.movements.order_by("pk").first(),
        "gifts.vouchercode": vouchers.vouchers.order_by("pk").first(),
        "policies.policy": policy,
        "policies.piireveal": PiiReveal.objects.create(
            policy=policy, field=PiiField.PHONE, reason="access matrix", user=actor
        ),
        "distribution.rule": rule,
        "distribution.draft_rule": draft,
        "distribution.quota": quota,
        "distribution.distribution": distribution,
        "distribution.changerequest": ChangeRequest.objects.create(
            kind=ChangeKind.ACTIVATE_RULE, rule=draft, branch=branch, maker=actor
        ),
        "distribution.batchrun": BatchRun.objects.create(
            rule=rule, branch=branch, dry_run=True, created_by=actor
        ),
    }
    for label, row in rows.items():
        world.rows[(label, position)] = row


def _users(futian, nanshan, providers) -> tuple[dict, object]:
    groups = {group.name: group for group in Group.objects.all()}
    users = {}
    for code in STAFF_ROLES:
        users[code] = UserFactory(username=f"ft_{code}", branch=futian, full_name=code)
        users[code].groups.add(groups[code])
    for code, provider in zip(PORTAL_ROLES, (providers["S001"], providers["P001"]), strict=True):
        users[code] = UserFactory(
            username=f"portal_{code}", branch=None, provider=provider, is_staff=False
        )
        users[code].groups.add(groups[code])
    sibling_owner = UserFactory(username="ns_gift_manager", branch=nanshan)
    sibling_owner.groups.add(groups["gift_manager"])
    return users, sibling_owner


def build_world(media_root: Path) -> World:
    apply_roles()
    shenzhen = branch_save(code="4403", name="深圳分公司", parent=None)[0]
    futian = branch_save(code="440304", name="福田支公司", parent=shenzhen)[0]
    nanshan = branch_save(code="440305", name="南山支公司", parent=shenzhen)[0]
    providers = {
        "S001": ProviderFactory(code="S001", kind=ProviderKind.GOODS),
        "S002": ProviderFactory(code="S002", kind=ProviderKind.GOODS),
        "P001": ProviderFactory(code="P001", kind=ProviderKind.SERVICE),
        "P002": ProviderFactory(code="P002", kind=ProviderKind.SERVICE),
    }
    users, sibling_owner = _users(futian, nanshan, providers)
    world = World(
        branches={"shenzhen": shenzhen, "futian": futian, "nanshan": nanshan},
        providers=providers,
        users=users,
        sibling_owner=sibling_owner,
    )
    category = CategoryFactory(code="C01")
    actor = users["platform_admin"]
    _branch_rows(world, "own", futian, providers["S001"], providers["P001"], category, actor)
    _branch_rows(world, "sibling", nanshan, providers["S001"], providers["P001"], category, actor)
    # The same 福田 rows with the other providers: what a portal user must never reach.
    _branch_rows(
        world, "other_provider", futian, providers["S002"], providers["P002"], category, actor
    )
    _reference_rows(world, category)
    _provider_rows(world, media_root)
    _import_jobs(world, [*users.values(), sibling_owner], media_root)
    return world


def _reference_rows(world: World, category) -> None:
    providers = world.providers
    world.rows.update(
        {
            ("giftplatform.branch", "own"): world.branches["futian"],
            ("giftplatform.branch", "sibling"): world.branches["nanshan"],
            ("giftplatform.user", "own"): get_user_model().objects.create_user(
                "ft_target", branch=world.branches["futian"], is_staff=True
            ),
            ("giftplatform.user", "sibling"): world.sibling_owner,
            ("giftplatform.user", "other_provider"): get_user_model().objects.create_user(
                "portal_other", provider=providers["S002"]
            ),
            ("suppliers.provider", "own"): providers["S001"],
            ("suppliers.provider", "other_provider"): providers["S002"],
            ("suppliers.supplier", "own"): providers["S001"],
            ("suppliers.supplier", "other_provider"): providers["S002"],
            ("suppliers.serviceprovider", "own"): providers["P001"],
            ("suppliers.serviceprovider", "other_provider"): providers["P002"],
            ("gifts.giftcategory", "own"): category,
            ("auth.group", "own"): Group.objects.get(name="counter_staff"),
            ("axes.accessattempt", "own"): AccessAttempt.objects.create(
                username="someone", ip_address="10.0.0.1", failures_since_start=1
            ),
            ("axes.accesslog", "own"): AccessLog.objects.create(
                username="someone", ip_address="10.0.0.1"
            ),
            ("axes.accessfailurelog", "own"): AccessFailureLog.objects.create(
                username="someone", ip_address="10.0.0.1"
            ),
        }
    )


def _provider_rows(world: World, media_root: Path) -> None:
    """A document and a settlement of the own and of the other supplier; a sign-up request."""
    for position, code in (("own", "S001"), ("other_provider", "S002")):
        provider = world.providers[code]
        stored = f"providers/{code}/{position}.pdf"
        (media_root / "providers" / code).mkdir(parents=True, exist_ok=True)
        (media_root / stored).write_bytes(b"%PDF-1.4\n%%EOF\n")
        world.rows[("suppliers.providerdocument", position)] = ProviderDocument.objects.create(
            provider=provider,
            doc_type=DocumentType.CONTRACT,
            file=stored,
            original_name="合同.pdf",
            content_type="application/pdf",
            size=14,
        )
        world.rows[("suppliers.settlement", position)] = Settlement.objects.create(
            provider=provider, period_start="2026-10-01", period_end="2026-10-31"
        )
    world.rows[("suppliers.providersignuprequest", "own")] = ProviderSignupRequest.objects.create(
        name="申请公司",
        kind=ProviderKind.GOODS,
        credit_code="914403007152672630",
        contact_name="张三",
        phone="13912345678",
        email="a@example.com",
    )


def _import_jobs(world: World, users, media_root: Path) -> None:
    """A rejected upload of every kind by every user; its sheet stored (for errors.xlsx)."""
    for kind in ImportKind.values:
        with open(media_root / f"{kind}.xlsx", "wb") as target:
            write_template(kind, target)
    jobs = ImportJob.objects.bulk_create(
        ImportJob(
            kind=kind,
            status=ImportStatus.REJECTED,
            file_name=f"{kind}.xlsx",
            stored_file=f"{kind}.xlsx",
            sha256="0" * 64,
            actor=user,
            errors=[{"row": 2, "column": "code", "message": "bad"}],
        )
        for user in users
        for kind in ImportKind.values
    )
    world.jobs = {(job.actor.username, job.kind): job for job in jobs}
    world.rows[("gifts.importjob", "own")] = world.jobs[("ft_platform_admin", ImportKind.GIFTS)]
    world.rows[("gifts.importjob", "sibling")] = world.jobs[("ns_gift_manager", ImportKind.GIFTS)]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The shared rows; rolled back when the module's tests are done."""
    media_root = tmp_path_factory.mktemp("media")
    with (
        override_settings(MEDIA_ROOT=str(media_root)),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_world(media_root)
        transaction.set_rollback(True)


def as_user(client, world: World, role: str):
    if role != "anonymous":
        client.force_login(world.users[role])
    return client
