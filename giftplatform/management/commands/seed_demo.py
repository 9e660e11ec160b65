"""``manage.py seed_demo``: a branch, its sub-branches, providers, gifts, stock, vouchers,
policies and demo logins. Idempotent: rows are looked up by their codes and only what is
missing is created, so running it on every start changes nothing the second time.
"""

import datetime
import random
import re
from functools import cache, partial
from itertools import islice

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from distribution.demo import QUOTAS, RULES, seed_rules_and_quotas
from distribution.demo_history import seed_history
from distribution.demo_redemptions import seed_issued_vouchers
from distribution.demo_settlements import seed_provider_details
from distribution.demo_shipments import seed_items_to_ship
from giftplatform.demo.generators import (
    CONTRACT_SERVICE_NAMES,
    DEMO_BRANCH_CODES,
    GIFT_CONTRACT_SERVICE,
    GIFT_PHYSICAL,
    GIFT_SERVICE,
    PRODUCT_CTPL,
    STATUS_CANCELLED,
    STATUS_EXPIRED,
    YES,
    gift_rows,
    policy_rows,
)
from giftplatform.models import Branch
from giftplatform.roles import role_label
from giftplatform.services import branch_save
from gifts.models import Gift, GiftCategory, GiftKind, MovementReason, VoucherCode
from gifts.services import gift_receive_stock
from policies.models import Policy, PolicySource, PolicyStatus, Product
from suppliers.models import Provider, ProviderKind, SettlementCycle

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo on purpose
SEED = 2026
ROOT_BRANCH = ("4403", "深圳分公司")
SUB_BRANCH_NAMES = {
    "440301": "深圳市区营业部",
    "440303": "罗湖支公司",
    "440304": "福田支公司",
    "440305": "南山支公司",
    "440306": "宝安支公司",
}

# code, name, kind, organisation code (9 characters of the credit code), contact, phone,
# address, settlement cycle
PROVIDERS = (
    (
        "S001",
        "深圳市鹏程汽车用品有限公司",
        ProviderKind.GOODS,
        "MA5G0A1B2",
        "陈志强",
        "13823101001",
        "深圳市宝安区西乡街道宝源路168号鹏程大厦5楼",
        SettlementCycle.MONTHLY,
    ),
    (
        "S002",
        "深圳市安途电子科技有限公司",
        ProviderKind.GOODS,
        "MA5H3C4D5",
        "刘晓东",
        "13923102002",
        "深圳市南山区粤海街道科技园南区高新南七道18号",
        SettlementCycle.MONTHLY,
    ),
    (
        "S003",
        "深圳市洁美汽车养护用品有限公司",
        ProviderKind.GOODS,
        "MA5J6E7F8",
        "黄丽",
        "13510303003",
        "深圳市龙岗区坂田街道五和大道南42号",
        SettlementCycle.QUARTERLY,
    ),
    (
        "S004",
        "深圳市华南应急装备有限公司",
        ProviderKind.GOODS,
        "MA5K9G0H1",
        "杨建华",
        "18620304004",
        "深圳市福田区华强北街道振华路21号",
        SettlementCycle.MONTHLY,
    ),
    (
        "S005",
        "深圳市优选礼品供应链有限公司",
        ProviderKind.GOODS,
        "MA5L2J3K4",
        "周敏",
        "13714305005",
        "深圳市罗湖区笋岗街道宝安北路3008号",
        SettlementCycle.PER_ORDER,
    ),
    (
        "P001",
        "深圳市车之家汽车服务有限公司",
        ProviderKind.SERVICE,
        "MA5M5L6M7",
        "吴俊杰",
        "13612406006",
        "深圳市福田区香蜜湖街道农林路69号",
        SettlementCycle.MONTHLY,
    ),
    (
        "P002",
        "深圳市路路通道路救援服务有限公司",
        ProviderKind.SERVICE,
        "MA5N8N9P0",
        "郑海燕",
        "18926407007",
        "深圳市宝安区新安街道创业二路283号",
        SettlementCycle.MONTHLY,
    ),
    (
        "P003",
        "深圳市安驾汽车检测服务有限公司",
        ProviderKind.SERVICE,
        "MA5P1Q2R3",
        "孙立新",
        "15013408008",
        "深圳市南山区西丽街道留仙大道3370号",
        SettlementCycle.QUARTERLY,
    ),
)
# code, name, cash equivalent
CATEGORIES = (
    ("C01", "车品", False),
    ("C02", "养护", False),
    ("C03", "服务", False),
    ("C04", "增值服务", False),
    ("CASH01", "加油卡", True),  # blocked: enabling a cash equivalent takes four eyes
)
GIFT_COUNT = 12
GIFT_PROVIDERS = {
    "行车记录仪": ["S002"],
    "洗车套装": ["S003"],
    "应急工具包": ["S004"],
    "道路救援": ["P002"],
    "代为送检": ["P003"],
    "车辆安全检测": ["P003"],
    "代为驾驶": ["P002"],
    "服务": ["P001"],
    "实物": ["S001", "S005"],
}
GIFT_CATEGORIES = {"车品": ["C01"], "养护": ["C02"], "服务": ["C03"], "增值服务": ["C04"]}
GIFT_KINDS = {
    GIFT_PHYSICAL: GiftKind.PHYSICAL,
    GIFT_SERVICE: GiftKind.SERVICE,
    GIFT_CONTRACT_SERVICE: GiftKind.CONTRACT_SERVICE,
}
VOUCHERS_PER_GIFT = 200
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at counters
POLICY_STATUSES = {
    STATUS_CANCELLED: PolicyStatus.CANCELLED,
    STATUS_EXPIRED: PolicyStatus.EXPIRED,
}
BATCH_SIZE = 2000
# username, full name, role (giftplatform/roles.py), branch code, provider code, superuser.
# manager (maker) and approver (checker) sign the demo rules (distribution/demo.py).
DEMO_USERS = (
    ("admin", "系统管理员", "platform_admin", "4403", "", True),
    ("sz_admin", "周平", "platform_admin", "4403", "", False),
    ("manager", "张敏", "gift_manager", "4403", "", False),
    ("approver", "陈静", "approver", "4403", "", False),
    ("ft_branch_admin", "林晓", "branch_admin", "440304", "", False),
    ("manager_futian", "李娜", "gift_manager", "440304", "", False),
    ("clerk_futian", "王芳", "counter_staff", "440304", "", False),
    ("ft_approver", "何军", "approver", "440304", "", False),
    ("ft_auditor", "郭悦", "auditor", "440304", "", False),
    ("ns_branch_admin", "徐峰", "branch_admin", "440305", "", False),
    ("ns_gift_manager", "马丽", "gift_manager", "440305", "", False),
    ("clerk_nanshan", "赵磊", "counter_staff", "440305", "", False),
    ("ns_approver", "高远", "approver", "440305", "", False),
    ("ns_auditor", "罗琳", "auditor", "440305", "", False),
    ("s001_user", "陈志强", "supplier_user", "", "S001", False),
    ("s002_user", "刘晓东", "supplier_user", "", "S002", False),
    ("p001_user", "吴俊杰", "service_provider_user", "", "P001", False),
)
_SERVICE_USES = re.compile(rf"({'|'.join(CONTRACT_SERVICE_NAMES)})\s*(\d+)\s*次")


def contract_services_from_text(text: str) -> dict[str, int]:
    """``道路救援7次，代为送检1次`` -> ``{"road_rescue": 7, "inspection_on_behalf": 1}``."""
    return {CONTRACT_SERVICE_NAMES[name]: int(uses) for name, uses in _SERVICE_USES.findall(text)}


def credit_code(organisation: str) -> str:
    """A valid unified social credit code of a company registered in Shenzhen."""
    first17 = f"91440300{organisation}"
    return first17 + uscc.calc_check_digit(first17)


class Command(BaseCommand):
    help = _("Load demo data: branches, providers, gifts, stock, vouchers, policies, logins.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--minimal",
            action="store_true",
            help=_("Only branches, providers, categories and users."),
        )
        parser.add_argument(
            "--policies",
            type=int,
            default=10_000,
            help=_("Number of demo policies (default 10,000)."),
        )

    @transaction.atomic
    def handle(self, *args, minimal: bool, policies: int, **options):
        branches = self.seed_branches()
        self.seed_providers()
        self.seed_categories()
        users = self.seed_users(branches)
        if not minimal:
            gifts = self.seed_gifts(branches)
            self.seed_stock(gifts, actor=users[0][0])
            self.seed_vouchers(gifts)
            self.seed_policies(policies, branches)
            self.seed_rules(users)
            seed_items_to_ship(stdout=self.stdout)  # items and parcels for the supplier portal
            seed_provider_details(stdout=self.stdout)  # bank details, contract ends, settlements
            seed_issued_vouchers(stdout=self.stdout)  # codes for the service portal
            seed_history(stdout=self.stdout)  # three months behind the statistics
        self.print_logins(users)

    def report(self, what: str, created: int, total: int) -> None:
        self.stdout.write(
            _("%(what)s: %(created)d created, %(existing)d already there")
            % {"what": what, "created": created, "existing": total - created}
        )

    def seed_branches(self) -> dict[str, Branch]:
        existing = {branch.code: branch for branch in Branch.objects.all()}
        created = 0
        root_code, root_name = ROOT_BRANCH
        if root_code not in existing:
            existing[root_code] = branch_save(code=root_code, name=root_name, parent=None)[0]
            created += 1
        for code in DEMO_BRANCH_CODES:  # the branches the generated policies belong to
            if code not in existing:
                name = SUB_BRANCH_NAMES[code]
                existing[code] = branch_save(code=code, name=name, parent=existing[root_code])[0]
                created += 1
        self.report(_("Branches"), created, 1 + len(DEMO_BRANCH_CODES))
        return existing

    def seed_providers(self) -> None:
        existing = set(Provider.objects.values_list("code", flat=True))
        created = 0
        for code, name, kind, organisation, contact, phone, address, cycle in PROVIDERS:
            if code in existing:
                continue
            provider = Provider(
                code=code,
                name=name,
                kind=kind,
                credit_code=credit_code(organisation),
                contact_name=contact,
                phone=phone,
                email=f"{code.lower()}@example.com",
                address=address,
                contract_start=datetime.date(2026, 1, 1),
                contract_end=datetime.date(2027, 12, 31),
                settlement_cycle=cycle,
            )
            provider.full_clean()
            provider.save()
            created += 1
        self.report(_("Providers"), created, len(PROVIDERS))

    def seed_categories(self) -> None:
        created = 0
        for code, name, cash in CATEGORIES:
            _category, was_created = GiftCategory.objects.get_or_create(
                code=code, defaults={"name": name, "is_cash_equivalent": cash}
            )
            created += was_created
        self.report(_("Gift categories"), created, len(CATEGORIES))

    def seed_users(self, branches: dict[str, Branch]) -> list[tuple]:
        """(user, role label, created) for each demo login; existing users keep what they
        have, except that a demo login holding no role gets its role back."""
        providers = Provider.objects.in_bulk(
            [spec[4] for spec in DEMO_USERS if spec[4]], field_name="code"
        )
        groups = Group.objects.in_bulk([spec[2] for spec in DEMO_USERS], field_name="name")
        # Hashing takes a good second (PBKDF2): once, when a user is missing, for all of them.
        password_hash = cache(partial(make_password, DEMO_PASSWORD))
        users = []
        for username, full_name, role, branch_code, provider_code, is_superuser in DEMO_USERS:
            user, created = get_user_model().objects.get_or_create(
                username=username,
                defaults={
                    "full_name": full_name,
                    "branch": branches[branch_code] if branch_code else None,
                    "provider": providers[provider_code] if provider_code else None,
                    "is_staff": bool(branch_code),
                    "is_superuser": is_superuser,
                    "password": password_hash,
                },
            )
            if not user.groups.exists():
                user.groups.add(groups[role])
            users.append((user, role_label(role), created))
        self.report(_("Users"), sum(created for *_rest, created in users), len(users))
        return users

    def seed_rules(self, users: list[tuple]) -> None:
        by_name = {user.username: user for user, _role, _created in users}
        rules, quotas = seed_rules_and_quotas(maker=by_name["manager"], checker=by_name["approver"])
        self.report(_("Distribution rules"), rules, len(RULES))
        self.report(_("Quotas"), quotas, len(QUOTAS))

    def seed_gifts(self, branches: dict[str, Branch]) -> list[Gift]:
        rows = list(gift_rows(GIFT_COUNT, SEED, GIFT_PROVIDERS, GIFT_CATEGORIES))
        existing = Gift.objects.in_bulk([row["礼品编码"] for row in rows], field_name="code")
        providers = Provider.objects.in_bulk(field_name="code")
        categories = GiftCategory.objects.in_bulk(field_name="code")
        gifts, created = [], 0
        for row in rows:
            gift = existing.get(row["礼品编码"])
            if gift is None:
                service = row["增值服务项目"]
                gift = Gift(
                    code=row["礼品编码"],
                    name=row["礼品名称"],
                    kind=GIFT_KINDS[row["类型"]],
                    contract_service=CONTRACT_SERVICE_NAMES[service] if service else "",
                    category=categories[row["类别编码"]],
                    provider=providers[row["供应商编码"]],
                    face_value=row["面值"],
                    unit_cost=row["单位成本"],
                    low_stock_threshold=row["低库存预警"],
                    valid_from=row["有效期起"],
                    valid_to=row["有效期止"],
                    branch=branches.get(row["所属机构"]),
                    is_active=row["启用"] == YES,
                )
                gift.full_clean()
                gift.save()
                created += 1
            gifts.append(gift)
        self.report(_("Gifts"), created, len(gifts))
        return gifts

    def seed_stock(self, gifts: list[Gift], *, actor) -> None:
        """One receipt per physical gift, found again by its purchase order number."""
        rng = random.Random(SEED)
        created = total = 0
        for number, gift in enumerate(gifts, start=1):
            quantity = rng.choice((120, 200, 300, 500))
            if gift.kind != GiftKind.PHYSICAL:
                continue
            total += 1
            reference = f"PO-2026-{number:04d}"
            if gift.movements.filter(reason=MovementReason.RECEIPT, reference=reference).exists():
                continue
            gift_receive_stock(
                actor=actor,
                gift=gift,
                quantity=quantity,
                reference=reference,
                unit_cost=gift.unit_cost,
                note=_("Demo data"),
            )
            created += 1
        self.report(_("Stock receipts"), created, total)

    def seed_vouchers(self, gifts: list[Gift]) -> None:
        """Voucher codes for the service gifts: the same codes on every run."""
        wanted = []
        for gift in gifts:
            if gift.kind == GiftKind.PHYSICAL:
                continue
            rng = random.Random(f"{SEED}-{gift.code}")
            for _number in range(VOUCHERS_PER_GIFT):
                code = "".join(rng.choice(VOUCHER_ALPHABET) for _char in range(12))
                wanted.append(
                    VoucherCode(gift=gift, code=code, expires_on=datetime.date(2027, 12, 31))
                )
        existing = set(
            VoucherCode.objects.filter(code__in=[v.code for v in wanted]).values_list(
                "code", flat=True
            )
        )
        missing = [voucher for voucher in wanted if voucher.code not in existing]
        VoucherCode.objects.bulk_create(missing, batch_size=BATCH_SIZE)
        self.report(_("Voucher codes"), len(missing), len(wanted))

    def seed_policies(self, count: int, branches: dict[str, Branch]) -> None:
        rows = policy_rows(count, SEED, DEMO_BRANCH_CODES)
        created = 0
        while batch := list(islice(rows, BATCH_SIZE)):
            numbers = [row["保单号"] for row in batch]
            existing = set(
                Policy.objects.filter(policy_no__in=numbers).values_list("policy_no", flat=True)
            )
            new = [
                self.policy_from_row(row, branches)
                for row in batch
                if row["保单号"] not in existing
            ]
            Policy.objects.bulk_create(new, batch_size=BATCH_SIZE)
            created += len(new)
        self.report(_("Policies"), created, count)

    @staticmethod
    def policy_from_row(row: dict, branches: dict[str, Branch]) -> Policy:
        return Policy(
            policy_no=row["保单号"],
            product=Product.CTPL if row["险种"] == PRODUCT_CTPL else Product.COMMERCIAL,
            insured_name=row["被保险人"],
            id_number=row["证件号码"],
            phone=row["手机号"],
            plate=row["车牌号"],
            vin=row["车架号"],
            vehicle_type=row["车辆类型"],
            usage=row["使用性质"],
            seats=row["座位数"],
            first_registration_date=row["初次登记日期"],
            is_new_car=row["新车"] == YES,
            premium=row["保费"],
            channel=row["渠道"],
            agent_code=row["代理人代码"],
            branch=branches[row["机构代码"]],
            issue_date=row["签单日期"],
            start_date=row["起保日期"],
            end_date=row["终保日期"],
            status=POLICY_STATUSES.get(row["保单状态"], PolicyStatus.IN_FORCE),
            is_renewal=row["续保"] == YES,
            contract_services=contract_services_from_text(row["增值服务"]),
            source=PolicySource.IMPORT,
        )

    def print_logins(self, users: list[tuple]) -> None:
        headers = (_("username"), _("role"), _("branch or provider"), _("password"))
        lines = [
            (user.username, role, str(user.branch or user.provider or "-"), DEMO_PASSWORD)
            for user, role, _created in users
        ]
        widths = [
            max(_width(cell) for cell in column) for column in zip(headers, *lines, strict=True)
        ]
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Demo logins")))
        for line in (headers, *lines):
            self.stdout.write(
                "  ".join(
                    cell + " " * (width - _width(cell))
                    for cell, width in zip(line, widths, strict=True)
                )
            )


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: CJK characters take two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)
