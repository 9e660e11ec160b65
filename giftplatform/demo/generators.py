"""Seeded generators of sheet rows, keyed by the sheets' Chinese headers.

Shared by ``manage.py seed_demo`` and the benchmarks. Every VIN, resident ID, mobile
number and plate passes ``giftplatform.validators``; the same arguments give the same
rows, and ``policy_rows(n, ...)`` is a prefix of ``policy_rows(m, ...)`` for n < m.

Speed: check digits are computed once for a pool of identifiers; each row then takes
a pooled identifier and swaps its serial part for another serial of the same weighted
sum modulo 11. Both check digits (ISO 3779, GB 11643) are that sum, so the row's
identifier stays valid without recomputing anything.
"""

import datetime
import random
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

from stdnum.cn import ric

from giftplatform.validators import vin_with_check_digit

# Policies are dated as if the data were taken on this day, whatever day it is run:
# the same seed must give the same rows (and policy numbers) tomorrow.
AS_OF = datetime.date(2026, 11, 1)
DEMO_BRANCH_CODES = ("440301", "440303", "440304", "440305", "440306")

POLICY_HEADERS = (
    "保单号",
    "险种",
    "被保险人",
    "证件号码",
    "手机号",
    "车牌号",
    "车架号",
    "车辆类型",
    "使用性质",
    "座位数",
    "初次登记日期",
    "新车",
    "保费",
    "渠道",
    "代理人代码",
    "机构代码",
    "签单日期",
    "起保日期",
    "终保日期",
    "保单状态",
    "续保",
    "增值服务",
)
GIFT_HEADERS = (
    "礼品编码",
    "礼品名称",
    "类型",
    "增值服务项目",
    "类别编码",
    "供应商编码",
    "面值",
    "单位成本",
    "低库存预警",
    "有效期起",
    "有效期止",
    "所属机构",
    "启用",
)

PRODUCT_CTPL, PRODUCT_COMMERCIAL = "交强险", "商业险"
STATUS_IN_FORCE, STATUS_CANCELLED, STATUS_EXPIRED = "有效", "退保", "过期"
YES, NO = "是", "否"
GIFT_PHYSICAL, GIFT_SERVICE, GIFT_CONTRACT_SERVICE = "实物", "服务", "增值服务"

# The clause services (附加机动车增值服务特约条款) as the sheets name them.
CONTRACT_SERVICE_NAMES = {
    "道路救援": "road_rescue",
    "车辆安全检测": "safety_inspection",
    "代为驾驶": "designated_driving",
    "代为送检": "inspection_on_behalf",
}

_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
# World manufacturer identifiers of makers building in China.
_WMIS = (
    "LSV",  # SAIC Volkswagen
    "LFV",  # FAW-Volkswagen
    "LSG",  # SAIC General Motors
    "LGB",  # Dongfeng Nissan
    "LHG",  # GAC Honda
    "LVG",  # GAC Toyota
    "LFM",  # FAW Toyota
    "LBV",  # BMW Brilliance
    "LE4",  # Beijing Benz
    "LGX",  # BYD
    "LRW",  # Tesla Shanghai
    "LB3",  # Geely
    "LVS",  # Changan Ford
    "LNB",  # BAIC
)
_MODEL_YEARS = "DEFGHJKLMNPRST"  # 2013-2026
_VIN_WEIGHTS_SERIAL = (7, 6, 5, 4, 3, 2)  # ISO 3779 weights of positions 12-17
_ID_WEIGHTS_SEQUENCE = (8, 4, 2)  # GB 11643 weights 2^(17-i) mod 11 of positions 15-17

# Region codes of resident IDs: mostly Shenzhen, then Guangdong, then where people move from.
_ID_REGIONS = (
    ("440303", 8),  # 罗湖
    ("440304", 10),  # 福田
    ("440305", 8),  # 南山
    ("440306", 10),  # 宝安
    ("440307", 9),  # 龙岗
    ("440308", 2),  # 盐田
    ("440104", 3),  # 广州越秀
    ("440106", 3),  # 广州天河
    ("440604", 2),  # 佛山禅城
    ("441302", 3),  # 惠州惠城
    ("441402", 3),  # 梅州梅江
    ("445202", 3),  # 揭阳榕城
    ("440902", 3),  # 茂名茂南
    ("430102", 3),  # 长沙芙蓉
    ("431002", 3),  # 郴州北湖
    ("360102", 2),  # 南昌东湖
    ("450102", 2),  # 南宁兴宁
    ("420102", 2),  # 武汉江岸
    ("510104", 2),  # 成都锦江
    ("350102", 2),  # 福州鼓楼
    ("411302", 2),  # 南阳宛城
)
_MOBILE_PREFIXES = (
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "182",
    "186",
    "187",
    "188",
    "189",
    "133",
    "153",
    "177",
    "180",
    "181",
    "199",
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺"
)
_GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力德宇浩然子轩梓涵欣怡"
    "俊杰思远嘉怡晓东志强海燕立新春梅丹丹家豪雨婷宏伟佳琪文博国庆振华晨曦"
)
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# (vehicle type, usage, seats, weight)
_VEHICLES = (
    ("小型轿车", "家庭自用", 5, 52),
    ("小型普通客车", "家庭自用", 7, 14),
    ("小型越野客车", "家庭自用", 5, 12),
    ("小型轿车", "非营业企业", 5, 6),
    ("小型轿车", "营业出租租赁", 5, 5),
    ("小型普通客车", "营业出租租赁", 7, 2),
    ("中型普通客车", "营业公路客运", 19, 1),
    ("轻型普通货车", "营业货运", 3, 5),
    ("轻型普通货车", "非营业企业", 2, 3),
)
_CHANNELS = (
    ("个人代理", 34),
    ("车商", 28),
    ("电销", 12),
    ("网销", 10),
    ("专业代理", 8),
    ("经纪", 5),
    ("银保", 3),
)
# Clause services written onto commercial policies, with the uses insurers typically grant.
_CONTRACT_SERVICE_USES = (
    ("道路救援", (3, 5, 7)),
    ("车辆安全检测", (1, 2)),
    ("代为驾驶", (1, 2, 3)),
    ("代为送检", (1,)),
)

# (name, type, clause service, category, face value, unit cost)
GIFT_CATALOG = (
    ("车载吸尘器", GIFT_PHYSICAL, "", "车品", "199.00", "128.00"),
    ("精洗券", GIFT_SERVICE, "", "服务", "80.00", "45.00"),
    ("道路救援", GIFT_CONTRACT_SERVICE, "道路救援", "增值服务", "200.00", "60.00"),
    ("行车记录仪", GIFT_PHYSICAL, "", "车品", "399.00", "260.00"),
    ("打蜡券", GIFT_SERVICE, "", "服务", "150.00", "90.00"),
    ("代为送检", GIFT_CONTRACT_SERVICE, "代为送检", "增值服务", "150.00", "80.00"),
    ("洗车套装", GIFT_PHYSICAL, "", "养护", "88.00", "52.00"),
    ("四轮定位券", GIFT_SERVICE, "", "服务", "120.00", "70.00"),
    ("车辆安全检测", GIFT_CONTRACT_SERVICE, "车辆安全检测", "增值服务", "100.00", "45.00"),
    ("车用香薰", GIFT_PHYSICAL, "", "车品", "68.00", "35.00"),
    ("应急工具包", GIFT_PHYSICAL, "", "车品", "158.00", "96.00"),
    ("代为驾驶", GIFT_CONTRACT_SERVICE, "代为驾驶", "增值服务", "120.00", "70.00"),
    ("车载充气泵", GIFT_PHYSICAL, "", "车品", "259.00", "168.00"),
    ("空调清洗券", GIFT_SERVICE, "", "服务", "168.00", "98.00"),
    ("玻璃水（4瓶装）", GIFT_PHYSICAL, "", "养护", "40.00", "24.00"),
    ("车载手机支架", GIFT_PHYSICAL, "", "车品", "49.00", "22.00"),
    ("室内消毒券", GIFT_SERVICE, "", "服务", "100.00", "55.00"),
    ("汽车脚垫", GIFT_PHYSICAL, "", "车品", "299.00", "180.00"),
    ("前挡遮阳挡", GIFT_PHYSICAL, "", "车品", "39.00", "18.00"),
)
_GIFT_VARIANTS = ("（标准版）", "（升级款）", "（豪华版）", "（2026款）")

_POOL_SIZE = 5000
_CENT = Decimal("0.01")


def _weighted_classes(width: int, weights: Sequence[int], modulus: int = 11) -> list[list[str]]:
    """All ``width``-digit strings grouped by their weighted digit sum modulo ``modulus``."""
    classes: list[list[str]] = [[] for _ in range(modulus)]
    for number in range(10**width):
        digits = f"{number:0{width}d}"
        classes[sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % modulus].append(
            digits
        )
    return classes


def _serial_class(digits: str, weights: Sequence[int]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11


class _Pools:
    """Identifiers with correct check digits, and serials to vary them with."""

    def __init__(self, rng: random.Random) -> None:
        self.vins = []
        for _ in range(_POOL_SIZE):
            vds = "".join(rng.choice(_VIN_CHARS) for _ in range(5))
            year, plant = rng.choice(_MODEL_YEARS), rng.choice("0123456789ABCDEFGH")
            serial = f"{rng.randrange(10**6):06d}"
            self.vins.append(
                vin_with_check_digit(f"{rng.choice(_WMIS)}{vds}0{year}{plant}{serial}")
            )
        self.vin_classes = [_serial_class(vin[11:], _VIN_WEIGHTS_SERIAL) for vin in self.vins]
        # 2,000 random serials per pool are variety enough; all 10^6 would be slow to sort.
        self.vin_serials: list[list[str]] = [[] for _ in range(11)]
        for _ in range(2000):
            serial = f"{rng.randrange(10**6):06d}"
            self.vin_serials[_serial_class(serial, _VIN_WEIGHTS_SERIAL)].append(serial)

        regions = [code for code, weight in _ID_REGIONS for _ in range(weight)]
        first_birth = datetime.date(1952, 1, 1).toordinal()
        last_birth = datetime.date(2006, 12, 31).toordinal()
        self.ids = []
        for _ in range(_POOL_SIZE):
            birth = datetime.date.fromordinal(rng.randint(first_birth, last_birth))
            first17 = f"{rng.choice(regions)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            self.ids.append(first17 + ric.calc_check_digit(first17 + "0"))
        self.id_classes = [
            _serial_class(number[14:17], _ID_WEIGHTS_SEQUENCE) for number in self.ids
        ]
        self.id_sequences = _weighted_classes(3, _ID_WEIGHTS_SEQUENCE)

        surnames, given = _SURNAMES, _GIVEN_CHARS
        self.names = [
            rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
            for _ in range(_POOL_SIZE)
        ]


def _expand(pairs: Sequence[tuple]) -> list:
    """Each item repeated by its weight (the last element): a uniform pick is a weighted one."""
    return [pair[:-1] if len(pair) > 2 else pair[0] for pair in pairs for _ in range(pair[-1])]


def _one_year_from(start: datetime.date) -> datetime.date:
    """The last day of a one-year cover starting on ``start`` (0:00 to 24:00)."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        anniversary = start.replace(year=start.year + 1, day=28) + datetime.timedelta(days=1)
    return anniversary - datetime.timedelta(days=1)


def _contract_services_texts(rng: random.Random, count: int = 200) -> list[str]:
    texts = []
    for _ in range(count):
        chosen = [pair for pair in _CONTRACT_SERVICE_USES if rng.random() < 0.5]
        chosen = chosen or [_CONTRACT_SERVICE_USES[0]]
        texts.append("，".join(f"{name}{rng.choice(uses)}次" for name, uses in chosen))
    return texts


def policy_rows(
    n: int,
    seed: int = 2026,
    branch_codes: Sequence[str] = DEMO_BRANCH_CODES,
    *,
    as_of: datetime.date = AS_OF,
) -> Iterator[dict]:
    """``n`` policy-sheet rows, issued over the 18 months before ``as_of``.

    Policy numbers are unique within one call; VINs, IDs and phones repeat now and then,
    as they do in life (a renewal, a second car).
    """
    if not branch_codes:
        raise ValueError("policy_rows needs at least one branch code")
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    pools = _Pools(rng)
    services_texts = _contract_services_texts(rng)
    vehicles, channels = _expand(_VEHICLES), _expand(_CHANNELS)
    agents = {code: [f"A{code}{k:04d}" for k in range(1, 41)] for code in branch_codes}
    last_issue = as_of.toordinal()
    issue_dates = [datetime.date.fromordinal(last_issue - days) for days in range(548, -1, -1)]
    ends: dict[datetime.date, datetime.date] = {}
    # Guangdong CTPL: 950 up to 6 seats, 1100 above, times the no-claims factor.
    factors = ("0.7", "0.8", "0.9", "1.0", "1.1")
    ctpl_premiums = {
        small: [(Decimal(base) * Decimal(factor)).quantize(_CENT) for factor in factors]
        for small, base in ((True, 950), (False, 1100))
    }
    # rng.random() is a C call; randrange() is Python and four times slower per row.
    r = rng.random
    n_branches, n_issue, n_vehicles, n_channels = (
        len(branch_codes),
        len(issue_dates),
        len(vehicles),
        len(channels),
    )
    n_prefixes, n_texts = len(_MOBILE_PREFIXES), len(services_texts)
    plate_letters, n_letters = _PLATE_LETTERS, len(_PLATE_LETTERS)

    for index in range(n):
        branch = branch_codes[int(r() * n_branches)]
        is_ctpl = r() < 0.45
        issue = issue_dates[int(r() * n_issue)]
        start = issue + datetime.timedelta(days=int(r() * 31) if r() < 0.6 else 1)
        end = ends.get(start) or ends.setdefault(start, _one_year_from(start))
        vehicle_type, usage, seats = vehicles[int(r() * n_vehicles)]
        is_new = r() < 0.15
        if is_new:  # insured first, registered in the days after
            first_registration = issue + datetime.timedelta(days=int(r() * 15))
        else:
            first_registration = issue - datetime.timedelta(days=365 + int(r() * 365 * 11))
        if is_ctpl:
            premium = ctpl_premiums[seats <= 6][int(r() * 5)]
        else:
            premium = Decimal(120000 + int(r() * 830000)).scaleb(-2)
        channel = channels[int(r() * n_channels)]
        if r() < 0.03:
            status = STATUS_CANCELLED
        elif end < as_of:
            status = STATUS_EXPIRED
        else:
            status = STATUS_IN_FORCE

        slot = int(r() * _POOL_SIZE)
        serials = pools.vin_serials[pools.vin_classes[slot]]
        vin = pools.vins[slot][:11] + serials[int(r() * len(serials))]
        slot = int(r() * _POOL_SIZE)
        resident_id = pools.ids[slot]
        sequences = pools.id_sequences[pools.id_classes[slot]]
        resident_id = resident_id[:14] + sequences[int(r() * len(sequences))] + resident_id[17]

        roll = r()
        if roll < 0.12:  # small new-energy: type letter, letter or digit, 4 digits
            second = plate_letters[int(r() * n_letters)] if r() < 0.3 else str(int(r() * 10))
            plate = f"粤B{'D' if r() < 0.8 else 'F'}{second}{int(r() * 10**4):04d}"
        elif roll < 0.14:  # large new-energy: 5 digits, then D or F
            plate = f"粤B{int(r() * 10**5):05d}{'D' if r() < 0.5 else 'F'}"
        else:  # ordinary: 5 characters, at most two of them letters
            plate = f"{int(r() * 10**5):05d}"
            for _ in range(int(r() * 3)):
                position = int(r() * 5)
                letter = plate_letters[int(r() * n_letters)]
                plate = plate[:position] + letter + plate[position + 1 :]
            plate = "粤B" + plate

        # The clause rides on commercial cover only.
        services = "" if is_ctpl or r() < 0.45 else services_texts[int(r() * n_texts)]

        yield {
            "保单号": f"{'PDZA' if is_ctpl else 'PDAA'}{issue.year}{branch}{index + 1:08d}",
            "险种": PRODUCT_CTPL if is_ctpl else PRODUCT_COMMERCIAL,
            "被保险人": pools.names[int(r() * _POOL_SIZE)],
            "证件号码": resident_id,
            "手机号": f"{_MOBILE_PREFIXES[int(r() * n_prefixes)]}{int(r() * 10**8):08d}",
            "车牌号": plate,
            "车架号": vin,
            "车辆类型": vehicle_type,
            "使用性质": usage,
            "座位数": seats,
            "初次登记日期": first_registration,
            "新车": YES if is_new else NO,
            "保费": premium,
            "渠道": channel,
            "代理人代码": "" if channel in ("电销", "网销") else agents[branch][int(r() * 40)],
            "机构代码": branch,
            "签单日期": issue,
            "起保日期": start,
            "终保日期": end,
            "保单状态": status,
            "续保": YES if not is_new and r() < 0.62 else NO,
            "增值服务": services,
        }


def gift_rows(
    n: int,
    seed: int = 2026,
    provider_codes: Sequence[str] | Mapping[str, Sequence[str]] = ("S001",),
    category_codes: Sequence[str] | Mapping[str, Sequence[str]] = ("C01",),
    *,
    branch_codes: Sequence[str] = (),
) -> Iterator[dict]:
    """``n`` gift-sheet rows: the catalog in order (all enabled), then variants of it.

    ``provider_codes`` and ``category_codes`` are either one list of codes for every
    gift, or a mapping whose keys are a gift's name, its catalog category (车品, 养护,
    服务, 增值服务) or its type (实物, 服务, 增值服务): the first key present wins.
    With ``branch_codes``, about one gift in five belongs to one of those branches.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets

    def pick(codes, *keys: str) -> str:
        if isinstance(codes, Mapping):
            codes = next(codes[key] for key in keys if key in codes)
        return rng.choice(codes)

    for index in range(n):
        if index < len(GIFT_CATALOG):
            name, gift_type, service, category, face, cost = GIFT_CATALOG[index]
            variant = ""
        else:
            name, gift_type, service, category, face, cost = rng.choice(GIFT_CATALOG)
            variant = rng.choice(_GIFT_VARIANTS)
        physical = gift_type == GIFT_PHYSICAL
        yield {
            "礼品编码": f"G{index + 1:05d}",
            "礼品名称": name + variant,
            "类型": gift_type,
            "增值服务项目": service,
            "类别编码": pick(category_codes, name, category, gift_type),
            "供应商编码": pick(provider_codes, name, category, gift_type),
            "面值": Decimal(face),
            "单位成本": Decimal(cost),
            "低库存预警": rng.choice((10, 20, 30, 50)) if physical else 0,
            "有效期起": datetime.date(2026, rng.choice((1, 1, 1, 4, 7)), 1),
            "有效期止": datetime.date(2027, 12, 31) if rng.random() < 0.3 else None,
            "所属机构": rng.choice(branch_codes) if branch_codes and rng.random() < 0.2 else "",
            "启用": YES if not variant or rng.random() < 0.95 else NO,
        }
