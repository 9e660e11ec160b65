"""A provider's settlement statements in the portal: its own only, each as a sheet."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from suppliers.models import ProviderKind, Settlement, SettlementStatus
from tests.factories import ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def statements():
    mine = ProviderFactory(code="S001", kind=ProviderKind.GOODS, name="深圳好礼贸易")
    theirs = ProviderFactory(code="S002", kind=ProviderKind.GOODS)
    own = [
        Settlement.objects.create(
            provider=mine,
            period_start=f"2026-{month:02d}-01",
            period_end=f"2026-{month:02d}-28",
            physical_units=3,
            physical_amount=Decimal("120.50"),
            total_amount=Decimal("120.50"),
            status=SettlementStatus.SETTLED if month == 9 else SettlementStatus.OPEN,
            settled_at=timezone.now() if month == 9 else None,
        )
        for month in (9, 10)
    ]
    other = Settlement.objects.create(
        provider=theirs, period_start="2026-10-01", period_end="2026-10-31"
    )
    user = UserFactory(username="s001_user", provider=mine, is_staff=False)
    return user, own, other


def test_the_list_shows_only_the_own_provider_in_constant_queries(
    client, statements, django_assert_max_num_queries
):
    user, own, other = statements
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:settlements"))
    assert response.status_code == 200
    listed = [s.pk for s, _capitals in response.context["rows"]]
    assert listed == [own[1].pk, own[0].pk]  # newest period first
    html = response.content.decode()
    assert "壹佰贰拾元伍角" in html  # the total in Chinese capitals
    assert reverse("portal:settlement_download", args=[other.pk]) not in html


def test_the_own_statement_downloads_as_a_sheet(client, statements):
    user, own, _other = statements
    client.force_login(user)
    response = client.get(reverse("portal:settlement_download", args=[own[0].pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    top = [row[0] for row in sheet.iter_rows(max_row=8, values_only=True)]
    assert any("深圳好礼贸易" in str(cell) for cell in top)
    assert any("120.50" in str(cell) for cell in top)  # a settled period keeps its totals


def test_another_providers_statement_is_the_not_found_page(client, statements):
    user, _own, other = statements
    client.force_login(user)
    response = client.get(reverse("portal:settlement_download", args=[other.pk]))
    assert response.status_code == 404
    assert "portal/not_found.html" in [t.name for t in response.templates]
    missing = client.get(reverse("portal:settlement_download", args=[other.pk + 1000]))
    assert missing.status_code == 404
