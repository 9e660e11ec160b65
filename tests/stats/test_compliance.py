"""The compliance views (/stats/compliance/): every figure against a brute-force Python
computation over the same rows, for a 福田 and a 深圳 analyst; months cut in Shanghai
time; masking on the page and in the export read back; scope (404), permission (403);
query counts flat as rows grow."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    ItemStatus,
    TaxTreatment,
    policy_snapshot,
)
from distribution.quota_math import premium_ratio_limit
from distribution.services import handouts_move
from giftplatform.models import ExportLog
from policies.masking import mask_id_number, mask_phone
from policies.models import Product
from stats.compliance import (
    WORST_LIMIT,
    ComplianceQuery,
    cash_equivalents,
    casual_income,
    contract_uses,
    premium_ratios,
)
from tests.factories import PolicyFactory, gift_line
from tests.stats.sheet_support import sheet_rows
from tests.stats.world import (
    MONTH_END_EDGE,
    SHANGHAI,
    add_compliance_distributions,
    analyst,
    build_compliance,
)

WHOLE = {"date_from": "2024-01-01", "date_to": "2028-12-31"}
# Ends on the Shanghai month end: hand-outs at 23:55 on 31 January count, 00:01 on
# 1 February do not (and their lines up to the end count towards the ratio).
JANUARY = {"date_from": "2026-01-01", "date_to": "2026-01-31"}
FULL_ID = "440304199001011234"


@pytest.fixture
def extra(world):
    built = build_compliance(world)
    add_compliance_distributions(world, built, 90)
    return built


def _query(params, branch=None, product="") -> ComplianceQuery:
    return ComplianceQuery(
        date_from=date.fromisoformat(params["date_from"]),
        date_to=date.fromisoformat(params["date_to"]),
        branch=branch,
        product=product,
    )


# ------------------------------------------------------------------ brute force


@dataclass
class Line:
    item: DistributionItem

    @property
    def d(self):
        return self.item.distribution

    @property
    def day(self) -> date:
        return self.d.created_at.astimezone(SHANGHAI).date()

    @property
    def value(self) -> Decimal:
        return self.item.quantity * self.item.unit_value


def _lines(user, query: ComplianceQuery, product: str = "") -> list[Line]:
    """Live lines in the user's subtree, branch and product filter, up to the period end."""
    root = user.branch.path
    product = product or query.product
    found = []
    for item in DistributionItem.objects.select_related(
        "distribution__policy__branch", "distribution__branch", "gift__category"
    ):
        line = Line(item)
        d = line.d
        if d.status not in LIVE_STATUSES or not d.branch.path.startswith(root):
            continue
        if query.branch is not None and not d.branch.path.startswith(query.branch.path):
            continue
        if product and d.policy.product != product:
            continue
        if line.day > query.date_to:
            continue
        found.append(line)
    return found


def _in_period(line: Line, query: ComplianceQuery) -> bool:
    return query.date_from <= line.day <= query.date_to


def _visible_quotas(user, extra, branch=None) -> list:
    """Premium-ratio quotas in effect whose branch scope reaches the user's subtree, or the
    branch filtered (none, an ancestor, the subtree's root or a branch in it), whoever
    owns them."""

    def reaches(q) -> bool:
        if q.scope_branch is None:
            return True
        scope, own = q.scope_branch.path, (branch or user.branch).path
        return own.startswith(scope) or scope.startswith(own)

    return sorted(
        (
            q
            for key, q in extra.quotas.items()
            if key in ("com", "ctpl_ft", "rule_gift", "nanshan") and reaches(q)
        ),
        key=lambda q: q.code,
    )


def brute_ratios(user, extra, query: ComplianceQuery, product: str, top: int) -> dict:
    lines = _lines(user, query, product)
    reached = {x.d.policy_id for x in lines if _in_period(x, query)}
    per_policy = defaultdict(list)
    for line in lines:
        if line.d.policy_id in reached:
            per_policy[line.d.policy_id].append(line)
    quotas = [
        q for q in _visible_quotas(user, extra, query.branch) if q.scope_product in ("", product)
    ]
    result = {
        "policies": len(per_policy),
        "value": Decimal("0.00"),
        "premium": Decimal("0.00"),
        "at_warning": 0,
        "above_hard": 0,
        "buckets": defaultdict(int),
        "quotas": {q.code: [0, 0, 0] for q in quotas},
        "ratios": [],
    }
    for policy_id, found in per_policy.items():
        policy = found[0].d.policy
        value = sum((x.value for x in found), Decimal("0.00"))
        result["value"] += value
        result["premium"] += policy.premium
        zone = 0
        for q in quotas:
            inside = q.scope_branch is None or policy.branch.path.startswith(q.scope_branch.path)
            counted = sum(
                (
                    x.value
                    for x in found
                    if (not q.scope_rule_code or x.d.rule_code == q.scope_rule_code)
                    and (q.scope_gift_id is None or x.item.gift_id == q.scope_gift_id)
                ),
                Decimal(0),
            )
            ceiling = premium_ratio_limit(policy.premium, q.limit)
            warn = inside and counted > 0 and counted * 100 >= q.warn_percent * ceiling
            hard = inside and counted > 0 and counted > ceiling
            figures = result["quotas"][q.code]
            figures[0] += inside
            figures[1] += warn
            figures[2] += hard
            zone = max(zone, 2 if hard else 1 if warn else 0)
        result["at_warning"] += zone >= 1
        result["above_hard"] += zone == 2
        bucket = -1 if policy.premium <= 0 else min(int(value * 100 // policy.premium), top)
        result["buckets"][(bucket, zone)] += 1
        ratio = value / policy.premium if policy.premium > 0 else None
        result["ratios"].append((ratio is not None, -(ratio or 0), policy_id))
    result["worst"] = [ref for _z, _r, ref in sorted(result["ratios"])[:WORST_LIMIT]]
    return result


def brute_cash(user, query: ComplianceQuery) -> dict:
    lines = [
        x
        for x in _lines(user, query)
        if _in_period(x, query) and x.item.gift.category.is_cash_equivalent
    ]
    return {
        "lines": len(lines),
        "distributions": len({x.d.pk for x in lines}),
        "value": sum((x.value for x in lines), Decimal("0.00")),
        "numbers": sorted(x.d.number for x in lines),
    }


def brute_contract(user, query: ComplianceQuery) -> tuple[dict, set]:
    pairs = defaultdict(lambda: {"handed": 0, "period": 0, "redeemed": 0})
    policies = {}
    for line in _lines(user, query):
        service = line.item.contract_service
        if not service:
            continue
        figures = pairs[(line.d.policy_id, service)]
        policies[line.d.policy_id] = line.d.policy
        figures["handed"] += line.item.quantity
        figures["period"] += line.item.quantity if _in_period(line, query) else 0
        figures["redeemed"] += line.item.quantity if line.item.status == ItemStatus.REDEEMED else 0
    services = defaultdict(lambda: [0] * 6)
    overuse = set()
    for (policy_id, service), figures in pairs.items():
        if not figures["period"]:
            continue
        entitled = int(policies[policy_id].contract_services.get(service, 0))
        over = figures["handed"] > entitled
        for position, value in enumerate(
            (1, entitled, figures["handed"], figures["period"], figures["redeemed"], over)
        ):
            services[service][position] += value
        if over:
            overuse.add((policy_id, service))
    return dict(services), overuse


def brute_tax(user, query: ComplianceQuery) -> dict:
    rows = defaultdict(lambda: [0, Decimal("0.00"), Decimal("0.00")])
    for d in Distribution.objects.select_related("policy", "branch"):
        day = d.created_at.astimezone(SHANGHAI).date()
        if (
            d.status not in LIVE_STATUSES
            or d.tax_treatment != TaxTreatment.CASUAL
            or not d.branch.path.startswith(user.branch.path)
            or (query.branch is not None and not d.branch.path.startswith(query.branch.path))
            or not query.date_from <= day <= query.date_to
            or (query.product and d.policy.product != query.product)
        ):
            continue
        id_number = d.policy.id_number if d.recipient_name == d.policy.insured_name else ""
        key = (day.replace(day=1), d.recipient_name, d.recipient_phone, id_number)
        rows[key][0] += 1
        rows[key][1] += d.total_value
        rows[key][2] += d.withholding
    return dict(rows)


def _due(value: Decimal) -> Decimal:
    return (value * Decimal("0.20")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------ the figures


@pytest.fixture(params=["futian", "shenzhen"])
def scoped(request, world, extra):
    return analyst(f"analyst_{request.param}", world.branches[request.param])


@pytest.mark.parametrize("params", [WHOLE, JANUARY])
def test_premium_ratios_equal_brute_force(world, extra, scoped, params):
    query = _query(params)
    results = premium_ratios(user=scoped, query=query)
    assert [r.product for r in results] == list(Product.values)
    for result in results:
        expected = brute_ratios(scoped, extra, query, result.product, result.top)
        assert result.policies == expected["policies"]
        assert result.value == expected["value"]
        assert result.premium == expected["premium"]
        assert result.at_warning == expected["at_warning"]
        assert result.above_hard == expected["above_hard"]
        assert result.buckets == dict(expected["buckets"])
        assert {
            q.quota.code: [q.policies, q.at_warning, q.above_hard] for q in result.quotas
        } == expected["quotas"]
        assert [w.policy.pk for w in result.worst] == expected["worst"]
        assert result.top >= 10
        assert all(result.top > q.quota.limit for q in result.quotas)
    assert sum(r.policies for r in results) > 0


def test_scope_decides_which_quotas_and_policies_count(world, extra):
    futian = analyst("a_ft", world.branches["futian"])
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    query = _query(WHOLE)
    codes = {
        user.username: {
            q.quota.code for r in premium_ratios(user=user, query=query) for q in r.quotas
        }
        for user in (futian, shenzhen)
    }
    # 深圳's PR-RULE applies to every branch, so it caps 福田's policies and shows there;
    # PR-NS applies to 南山 only, so 福田 never sees it.
    assert codes == {
        "a_ft": {"PR-COM", "PR-CTPL-FT", "PR-RULE"},
        "a_sz": {"PR-COM", "PR-CTPL-FT", "PR-NS", "PR-RULE"},
    }
    for result in premium_ratios(user=futian, query=query):
        assert all(
            w.policy.branch.path.startswith(world.branches["futian"].path) for w in result.worst
        )


def test_the_boundaries_of_the_levels_are_the_engines(world, extra):
    """100.00 of gifts: on 1000.00 and on 999.99 (ceiling 100.00, half up) at the hard
    level, not above; on 999.94 (ceiling 99.99) above it. Warning at 80 % of the ceiling."""
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    policies = {
        premium: PolicyFactory(
            branch=world.branches["nanshan"], product=Product.COMMERCIAL, premium=Decimal(premium)
        )
        for premium in ("1000.00", "999.99", "999.94")
    }
    gift = extra.service_gifts["road_rescue"]  # 80.00
    for number, policy in enumerate(policies.values()):
        _casual(policy, "2027-06-01", gift=world.gifts[1], quantity=2, number=f"B{number}")
    query = ComplianceQuery(date_from=date(2027, 6, 1), date_to=date(2027, 6, 1))
    (result,) = premium_ratios(
        user=shenzhen, query=ComplianceQuery(query.date_from, query.date_to, product="commercial")
    )
    zones = {w.policy.premium: w.zone for w in result.worst}
    assert zones == {Decimal("1000.00"): 1, Decimal("999.99"): 1, Decimal("999.94"): 2}
    assert gift.face_value == Decimal("80.00")


def _casual(policy, day, *, gift, quantity=1, number, recipient=None, moment=None):
    value = gift.face_value * quantity
    d = Distribution.objects.create(
        number=number,
        policy=policy,
        rule=Distribution.objects.first().rule,
        rule_code="R-EDGE",
        slot=Distribution.objects.filter(policy=policy, rule_code="R-EDGE").count() + 1,
        slot_limit=9,
        branch=policy.branch,
        **policy_snapshot(policy),
        status="completed",
        tax_treatment=TaxTreatment.CASUAL,
        total_value=value,
        total_cost=value,
        withholding=(value * Decimal("0.2")).quantize(Decimal("0.01")),
        recipient_name=recipient or policy.insured_name,
        recipient_phone=policy.phone,
        idempotency_key=f"edge-{number}",
    )
    moment = moment or MONTH_END_EDGE.replace(
        year=int(day[:4]), month=int(day[5:7]), day=int(day[8:]), hour=12
    )
    gift_line(
        d, gift, quantity=quantity, contract_service=gift.contract_service, status="issued"
    ).save()
    handouts_move({d.pk: moment})
    return d


@pytest.mark.parametrize("params", [WHOLE, JANUARY])
def test_cash_equivalents_equal_brute_force(world, extra, scoped, params):
    query = _query(params)
    found = cash_equivalents(user=scoped, query=query)
    expected = brute_cash(scoped, query)
    assert (found.lines, found.distributions, found.value) == (
        expected["lines"],
        expected["distributions"],
        expected["value"],
    )
    assert sorted(row["distribution__number"] for row in found.listed) == expected["numbers"]


def test_no_cash_equivalent_says_so_plainly(client, world):
    """The base world has no cash-equivalent gift: the section says none."""
    user = analyst("a_sz", world.branches["shenzhen"])
    client.force_login(user)
    page = client.get(reverse("stats:compliance"), WHOLE)
    assert page.context["cash"].lines == 0
    assert page.context["cash"].listed == []
    assert 'data-figure="cash-lines"' in page.content.decode()
    assert "flag-ok" in page.content.decode()


def test_cash_equivalents_are_listed_on_the_page(client, world, extra):
    user = analyst("a_sz", world.branches["shenzhen"])
    client.force_login(user)
    page = client.get(reverse("stats:compliance"), WHOLE)
    cash = page.context["cash"]
    assert cash.lines > 0
    body = page.content.decode()
    for row in cash.listed:
        assert row["distribution__number"] in body


@pytest.mark.parametrize("params", [WHOLE, JANUARY])
def test_contract_services_equal_brute_force(world, extra, scoped, params):
    query = _query(params)
    found = contract_uses(user=scoped, query=query)
    expected, overuse = brute_contract(scoped, query)
    figures = {
        s.service: [s.policies, s.entitled, s.handed_out, s.in_period, s.redeemed, s.overused]
        for s in found.services
        if s.policies
    }
    assert figures == expected
    assert {(o["policy"].pk, o["service"]) for o in found.overuse} == overuse


def test_overuse_is_detected_and_listed(client, world, extra):
    """A policy holding one road rescue handed out two: listed; one holding two: not."""
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    gift = extra.service_gifts["road_rescue"]
    over = PolicyFactory(branch=world.branches["desk"], contract_services={"road_rescue": 1})
    fine = PolicyFactory(branch=world.branches["desk"], contract_services={"road_rescue": 2})
    _casual(over, "2027-03-01", gift=gift, quantity=2, number="O1")
    _casual(fine, "2027-03-01", gift=gift, quantity=2, number="O2")
    client.force_login(shenzhen)
    page = client.get(
        reverse("stats:compliance"), {"date_from": "2027-03-01", "date_to": "2027-03-01"}
    )
    contract = page.context["contract"]
    assert [(o["policy"].pk, o["entitled"], o["handed_out"]) for o in contract.overuse] == [
        (over.pk, 1, 2)
    ]
    (rescue,) = [s for s in contract.services if s.service == "road_rescue"]
    assert (rescue.policies, rescue.entitled, rescue.handed_out, rescue.overused) == (2, 3, 4, 1)
    assert over.policy_no in page.content.decode()
    assert 'id="overuse"' in page.content.decode()


@pytest.mark.parametrize("params", [WHOLE, JANUARY])
def test_casual_income_equals_brute_force(world, extra, scoped, params):
    query = _query(params)
    rows, totals = casual_income(user=scoped, query=query)
    expected = brute_tax(scoped, query)
    assert {
        (r.month, r.recipient_name, r.phone, r.id_number): [r.count, r.value, r.withheld]
        for r in rows
    } == expected
    for row in rows:
        assert row.due == _due(row.value)
        assert row.difference == row.due - row.withheld
    assert totals["count"] == sum(v[0] for v in expected.values())
    assert totals["value"] == sum((v[1] for v in expected.values()), Decimal("0.00"))
    assert totals["withheld"] == sum((v[2] for v in expected.values()), Decimal("0.00"))
    assert totals["due"] == sum((_due(v[1]) for v in expected.values()), Decimal("0.00"))


def test_months_are_cut_in_shanghai_time(world, extra):
    """23:30 on 31 January in Shanghai (15:30 UTC) is January; 00:30 on 1 February
    (16:30 UTC on 31 January) is February."""
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    policy = PolicyFactory(branch=world.branches["nanshan"], insured_name="孙七")
    _casual(policy, "", gift=world.gifts[1], number="M1", moment=MONTH_END_EDGE)
    _casual(
        policy,
        "",
        gift=world.gifts[1],
        number="M2",
        moment=MONTH_END_EDGE.replace(day=1, month=2, hour=0),
    )
    rows, _totals = casual_income(user=shenzhen, query=_query(WHOLE))
    months = sorted(r.month for r in rows if r.recipient_name == "孙七")
    assert months == [date(2026, 1, 1), date(2026, 2, 1)]


# ------------------------------------------------------------------ pages, masking, access


def _insured_with_id(world, extra):
    policy = PolicyFactory(
        branch=world.branches["desk"], insured_name="周八", id_number=FULL_ID, phone="13612345678"
    )
    _casual(policy, "2027-05-01", gift=world.gifts[1], number="P1")
    return policy


def test_without_view_pii_the_id_is_masked_on_the_page_and_in_the_export(client, world, extra):
    _insured_with_id(world, extra)
    auditor = analyst("a_ft", world.branches["futian"])  # auditor: no view_pii
    assert not auditor.has_perm("policies.view_pii")
    client.force_login(auditor)
    params = {"date_from": "2027-05-01", "date_to": "2027-05-01"}
    page = client.get(reverse("stats:compliance_tax"), params).content.decode()
    assert FULL_ID not in page and "13612345678" not in page
    assert mask_id_number(FULL_ID) in page and mask_phone("13612345678") in page
    sheet = sheet_rows(client.get(reverse("stats:compliance_tax_export"), params))
    notes, header, data = sheet[:2], sheet[2], sheet[3:]
    assert "2027-05-01" in notes[1][0]
    assert len(header) == 9
    (row, total) = data
    assert row[1:4] == ("周八", mask_id_number(FULL_ID), mask_phone("13612345678"))
    assert row[4:7] == (1, 50.0, 10.0)
    assert total[4:7] == (1, 50.0, 10.0)
    log = ExportLog.objects.get(model_label="stats.casual_income")
    assert (log.user, log.full_personal_data, log.row_count) == (auditor, False, 2)


def test_with_view_pii_the_export_is_in_full_and_logged_so(client, world, extra):
    _insured_with_id(world, extra)
    admin = analyst("ba_ft", world.branches["futian"], role="branch_admin")
    assert admin.has_perm("policies.view_pii") and admin.has_perm("stats.view_statistics")
    client.force_login(admin)
    params = {"date_from": "2027-05-01", "date_to": "2027-05-01"}
    page = client.get(reverse("stats:compliance_tax"), params).content.decode()
    assert FULL_ID not in page  # the page masks for everyone; a reveal asks for a reason
    sheet = sheet_rows(client.get(reverse("stats:compliance_tax_export"), params))
    assert sheet[3][2] == FULL_ID and sheet[3][3] == "13612345678"
    assert ExportLog.objects.get(model_label="stats.casual_income").full_personal_data


def test_a_futian_analyst_never_sees_nanshan(client, world, extra):
    futian = analyst("a_ft", world.branches["futian"])
    client.force_login(futian)
    for name in ("stats:compliance", "stats:compliance_tax"):
        page = client.get(reverse(name), WHOLE)
        assert page.status_code == 200
        assert "南山" not in page.content.decode()
    sheet = sheet_rows(client.get(reverse("stats:compliance_tax_export"), WHOLE))
    numbers = brute_tax(futian, _query(WHOLE))
    assert len(sheet) == 3 + len(numbers) + 1


@pytest.mark.parametrize(
    "name", ["stats:compliance", "stats:compliance_tax", "stats:compliance_tax_export"]
)
def test_a_branch_outside_scope_is_404_and_no_permission_is_403(client, world, name):
    futian = analyst("a_ft", world.branches["futian"])
    client.force_login(futian)
    assert client.get(reverse(name), {"branch": world.branches["nanshan"].pk}).status_code == 404
    assert client.get(reverse(name), {"branch": 999999}).status_code == 404
    assert client.get(reverse(name), {"branch": world.branches["desk"].pk}).status_code == 200
    clerk = analyst("clerk_ft", world.branches["futian"], role="counter_staff")
    client.force_login(clerk)
    assert client.get(reverse(name)).status_code == 403
    client.logout()
    assert client.get(reverse(name)).status_code == 302


def test_the_filters_narrow_to_a_branch_and_a_product(world, extra):
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    futian = world.branches["futian"]
    query = _query(WHOLE, branch=futian, product=Product.CTPL)
    (result,) = premium_ratios(user=shenzhen, query=query)
    expected = brute_ratios(shenzhen, extra, query, Product.CTPL, result.top)
    # Only the quotas that reach 福田: not 南山's, not the commercial one.
    assert {q.quota.code for q in result.quotas} == {"PR-CTPL-FT", "PR-RULE"}
    assert (result.policies, result.at_warning, result.above_hard) == (
        expected["policies"],
        expected["at_warning"],
        expected["above_hard"],
    )
    rows, _totals = casual_income(user=shenzhen, query=query)
    assert {(r.month, r.recipient_name, r.phone, r.id_number) for r in rows} == set(
        brute_tax(shenzhen, query)
    )
    services, overuse = brute_contract(shenzhen, query)
    found = contract_uses(user=shenzhen, query=query)
    assert {s.service: s.handed_out for s in found.services if s.policies} == {
        k: v[2] for k, v in services.items()
    }
    assert {(o["policy"].pk, o["service"]) for o in found.overuse} == overuse


def test_the_page_shows_the_sections(client, world, extra):
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    client.force_login(shenzhen)
    page = client.get(reverse("stats:compliance"), WHOLE)
    body = page.content.decode()
    for anchor in ('id="premium-ratio"', 'id="cash-equivalents"', 'id="contract-services"'):
        assert anchor in body
    assert 'data-chart="chart-ratio-ctpl"' in body and 'data-chart="chart-ratio-commercial"' in body
    for item in page.context["ratios"]:
        chart = item["chart"]
        assert sum(sum(s["data"]) for s in chart["series"]) == item["result"].policies
    assert reverse("stats:compliance") in client.get(reverse("stats:overview")).content.decode()
    assert "legal" not in body.lower() and "合法" not in body


def _count(client, user, name, params) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name), params)
        assert response.status_code == 200
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize(
    "name", ["stats:compliance", "stats:compliance_tax", "stats:compliance_tax_export"]
)
def test_query_counts_stay_flat_as_rows_grow(client, world, extra, name, django_assert_num_queries):
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    before = _count(client, shenzhen, name, WHOLE)
    add_compliance_distributions(world, extra, 120, seed=29)
    client.force_login(shenzhen)
    with django_assert_num_queries(before):
        response = client.get(reverse(name), WHOLE)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)


def test_a_zero_premium_policy_is_its_own_bucket_and_first_of_the_worst(world, extra):
    """No premium: no ratio, a zero ceiling (as the engine's), so any gift is above it."""
    shenzhen = analyst("a_sz", world.branches["shenzhen"])
    policy = PolicyFactory(
        branch=world.branches["nanshan"], product=Product.COMMERCIAL, premium=Decimal("0.00")
    )
    _casual(policy, "2027-07-01", gift=world.gifts[1], number="Z1")
    query = ComplianceQuery(date(2027, 7, 1), date(2027, 7, 1), product=Product.COMMERCIAL)
    (result,) = premium_ratios(user=shenzhen, query=query)
    assert result.buckets == {(-1, 2): 1}
    assert result.histogram()[-1] == (-1, 0, 0, 1)
    (worst,) = result.worst
    assert (worst.policy, worst.ratio, worst.zone) == (policy, None, 2)
    assert (result.at_warning, result.above_hard, result.ratio) == (1, 1, None)
