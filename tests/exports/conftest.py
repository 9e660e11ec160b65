"""Fixtures of the export tests: staff holding the real role groups, and a sheet reader."""

from io import BytesIO

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import UserFactory


def with_role(username, branch, *roles, **fields):
    user = UserFactory(username=username, branch=branch, **fields)
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


@pytest.fixture
def auditor_futian(futian):
    """Views everything of 福田, no personal data in full, no voucher codes in full."""
    return with_role("auditor_ft", futian, "auditor", full_name="审计福田")


@pytest.fixture
def auditor_nanshan(nanshan):
    return with_role("auditor_ns", nanshan, "auditor")


@pytest.fixture
def counter_futian(futian):
    """Counter staff: policies and distributions, personal data in full (view_pii)."""
    return with_role("counter_ft", futian, "counter_staff")


@pytest.fixture
def gift_manager_futian(futian):
    """Manages gifts and voucher codes (full codes); no personal data in full."""
    return with_role("giftmgr_ft", futian, "gift_manager")


def export_url(label: str, query: str = "") -> str:
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_export")
    return f"{url}?{query}" if query else url


def changelist_url(label: str, query: str = "") -> str:
    app_label, model_name = label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{query}" if query else url


class Sheet:
    """An exported workbook read back: the notes above the header, the header, the rows."""

    def __init__(self, content: bytes):
        workbook = openpyxl.load_workbook(BytesIO(content))
        self.worksheet = workbook.worksheets[0]
        cells = list(self.worksheet.iter_rows())
        # Notes are one-cell rows; the header is the first row with several cells.
        header_at = next(
            i for i, row in enumerate(cells) if sum(c.value is not None for c in row) > 1
        )
        self.notes = [row[0].value for row in cells[:header_at]]
        self.header = [c.value for c in cells[header_at]]
        self.cells = [list(row) for row in cells[header_at + 1 :]]
        self.rows = [[c.value for c in row] for row in self.cells]

    def column(self, header: str) -> list:
        position = self.header.index(header)
        return [row[position] for row in self.rows]


def read_sheet(response) -> Sheet:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return Sheet(b"".join(response.streaming_content))
