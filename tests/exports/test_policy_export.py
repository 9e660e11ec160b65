"""Policy list export: exactly the rows of the changelist, masked as on screen, formula-safe,
in a number of queries that does not grow with the rows."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.models import PolicyStatus
from tests.exports.conftest import changelist_url, export_url, read_sheet
from tests.factories import PolicyFactory

POLICY = "policies.policy"
ID_NUMBER = "440304199001011234"


@pytest.fixture
def policies(futian, nanshan):
    """Five 福田 policies (one cancelled) and two of 南山 next door."""
    own = [
        PolicyFactory(branch=futian, id_number=ID_NUMBER, issue_date=datetime.date(2026, 10, n))
        for n in range(1, 6)
    ]
    own[0].status = PolicyStatus.CANCELLED
    own[0].save()
    sibling = [PolicyFactory(branch=nanshan) for _ in range(2)]
    return own, sibling


def changelist_numbers(client, query=""):
    response = client.get(changelist_url(POLICY, query))
    assert response.status_code == 200
    return [policy.policy_no for policy in response.context["cl"].result_list]


@pytest.mark.parametrize(
    "query",
    ["", "status__exact=cancelled", "status__exact=in_force&o=1", "q=PLACEHOLDER", "o=-2.1"],
)
def test_rows_are_the_changelists_rows_in_its_order(client, auditor_futian, policies, query):
    own, sibling = policies
    query = query.replace("PLACEHOLDER", own[2].plate)
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(POLICY, query)))

    exported = sheet.column("保单号")
    assert exported == changelist_numbers(client, query)
    assert exported  # every case lists something
    assert not {p.policy_no for p in sibling} & set(exported)


def test_a_sibling_branch_filter_in_the_query_string_exports_none_of_its_rows(
    client, auditor_futian, policies, nanshan
):
    _own, sibling = policies
    client.force_login(auditor_futian)
    query = f"branch__id__exact={nanshan.pk}"

    sheet = read_sheet(client.get(export_url(POLICY, query)))

    # Django drops a filter with a single choice, as the list itself does: 福田's rows.
    assert sheet.column("保单号") == changelist_numbers(client, query)
    assert not {p.policy_no for p in sibling} & set(sheet.column("保单号"))


def test_all_pages_are_exported_not_only_the_current_one(client, auditor_futian, futian):
    PolicyFactory.create_batch(105, branch=futian)  # list_per_page is 100
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(POLICY, "p=2")))

    assert len(sheet.rows) == 105


def test_without_view_pii_id_numbers_and_mobiles_are_masked(client, auditor_futian, policies):
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(POLICY)))

    assert set(sheet.column("证件号码")) == {"440304********1234"}
    assert set(sheet.column("手机号")) == {"138****8000"}
    assert any("证件号码" in note and "手机号" in note for note in sheet.notes)


def test_with_view_pii_they_are_in_full(client, counter_futian, policies):
    client.force_login(counter_futian)

    sheet = read_sheet(client.get(export_url(POLICY)))

    assert set(sheet.column("证件号码")) == {ID_NUMBER}
    assert set(sheet.column("手机号")) == {"13800138000"}


def test_chinese_headers_numbers_dates_and_the_header_notes(client, auditor_futian, policies):
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(POLICY, "status__exact=in_force")))

    assert sheet.header[:5] == ["保单号", "险种", "被保险人", "证件号码", "手机号"]
    premium = sheet.cells[0][sheet.header.index("保费")]
    assert (premium.value, premium.data_type) == (3200, "n")
    issued = sheet.cells[0][sheet.header.index("签单日期")]
    assert issued.is_date and issued.value == datetime.datetime(2026, 10, 5)
    assert set(sheet.column("状态")) == {"有效"}
    assert set(sheet.column("机构")) == {"福田支公司"}
    who, when, filters = sheet.notes[:3]
    assert "auditor_ft" in who and "审计福田" in who
    assert "Asia/Shanghai" in when
    assert "有效" in filters


def test_formula_text_is_exported_as_text(client, auditor_futian, futian):
    PolicyFactory(branch=futian, insured_name='=HYPERLINK("http://evil.example","点我")')
    PolicyFactory(branch=futian, insured_name="@SUM(1+1)*cmd|' /C calc'!A0")
    client.force_login(auditor_futian)

    sheet = read_sheet(client.get(export_url(POLICY)))

    position = sheet.header.index("被保险人")
    names = sorted(row[position].value for row in sheet.cells)
    assert names == ['\'=HYPERLINK("http://evil.example","点我")', "'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert all(row[position].data_type == "s" for row in sheet.cells)


def _export_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        sheet = read_sheet(client.get(url))
    return len(queries), len(sheet.rows)


@pytest.mark.parametrize("who", ["auditor_futian", "superuser"])
def test_query_count_does_not_grow_with_rows(
    client, request, futian, who, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(who))
    PolicyFactory.create_batch(10, branch=futian, premium=Decimal("1.00"))
    url = export_url(POLICY, "status__exact=in_force")
    client.get(url)  # warm the session and content-type caches

    few, rows = _export_queries(client, url)
    assert rows == 10
    PolicyFactory.create_batch(190, branch=futian)

    with django_assert_num_queries(few):
        sheet = read_sheet(client.get(url))
    assert len(sheet.rows) == 200


def test_the_changelist_offers_the_export_with_its_filters(client, auditor_futian, policies):
    client.force_login(auditor_futian)

    page = client.get(changelist_url(POLICY, "status__exact=in_force&p=1"))

    assert page.status_code == 200
    assert page.context["export_url"] == export_url(POLICY, "status__exact=in_force")
    assert 'id="export-link"' in page.content.decode()
