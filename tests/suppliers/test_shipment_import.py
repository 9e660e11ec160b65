"""Shipment sheets: an error for every bad row, all-or-nothing, by service and portal."""

import io
import os
import time

import openpyxl
import pytest
from django.urls import reverse

from distribution.models import ItemStatus, Shipment, ShipmentLine
from distribution.services.shipments import shipment_import
from distribution.shipment_import import check_sheet
from giftplatform.sheets.writer import write_workbook
from suppliers.portal.import_views import TOKEN_MAX_AGE
from tests.suppliers.shipment_support import build_supply

pytestmark = pytest.mark.django_db
HEADERS = ["保单号", "礼品编码", "礼品名称", "数量", "快递公司", "快递单号"]


@pytest.fixture
def supply(futian):
    return build_supply(futian)


def sheet(tmp_path, rows, headers=HEADERS, name="ship.xlsx"):
    path = tmp_path / name
    write_workbook(str(path), headers, rows)
    return path


def test_a_good_sheet_ships_everything(supply, tmp_path):
    policy = supply.policy()
    first = supply.due(policy, supply.gifts["G001"], 2)
    second = supply.due(policy, supply.gifts["G002"])
    other = supply.due(supply.policy(), supply.gifts["G001"])
    path = sheet(
        tmp_path,
        [
            [policy.policy_no, "G001", "", 2, "顺丰", "SF1234567890123"],
            [policy.policy_no, "", "行车记录仪", 1, "顺丰速运", "sf1234567890123"],
            [other.distribution.policy.policy_no, "g001", "", 1, "中通", "78123456789012"],
        ],
    )
    check = shipment_import(actor=supply.user1, provider=supply.s1, path=path, file_name="s.xlsx")
    assert check.errors == []
    assert check.parcels == 2
    assert Shipment.objects.count() == 2
    assert ShipmentLine.objects.count() == 3
    for item in (first, second, other):
        item.refresh_from_db()
        assert item.status == ItemStatus.SHIPPED
    parcel = Shipment.objects.get(tracking_no="SF1234567890123")
    assert parcel.history.get().history_user == supply.user1


def test_every_bad_row_has_its_error_and_nothing_is_written(supply, tmp_path):
    policy = supply.policy()
    mine = supply.due(policy, supply.gifts["G001"])
    foreign = supply.due(supply.policy(), supply.gifts["G003"])  # S002's
    other_policy = supply.due(supply.policy(), supply.gifts["G002"])
    path = sheet(
        tmp_path,
        [
            [policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"],  # row 2: fine
            [foreign.distribution.policy.policy_no, "G003", "", 1, "顺丰", "SF1234567890124"],
            [policy.policy_no, "G001", "", 5, "顺丰", "SF1234567890125"],  # too many
            [other_policy.distribution.policy.policy_no, "G002", "", 1, "顺丰", "SF1234567890123"],
            [policy.policy_no, "G001", "", 1, "飞鸽", "SF1234567890126"],  # courier
            [policy.policy_no, "G001", "", 1, "圆通", "SF1234567890127"],  # format
            [policy.policy_no, "", "", 1, "顺丰", "SF1234567890128"],  # no gift
            [policy.policy_no, "G001", "", "两", "顺丰", "SF1234567890129"],  # quantity
        ],
    )
    check = shipment_import(actor=supply.user1, provider=supply.s1, path=path, file_name="s.xlsx")
    by_row = {}
    for error in check.errors:
        by_row.setdefault(error.row, []).append(error)
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9]
    # The messages in the default language, zh-hans.
    assert "没有属于您的待发货礼品" in by_row[3][0].message
    assert "超过待发数量" in by_row[4][0].message
    assert "已用于其他保单" in by_row[5][0].message and by_row[5][0].column == "快递单号"
    assert by_row[6][0].column == "快递公司"
    assert "快递单号" in by_row[7][0].message
    assert "礼品编码或礼品名称" in by_row[8][0].message
    assert by_row[9][0].column == "数量"
    assert not Shipment.objects.exists()
    mine.refresh_from_db()
    assert mine.status == ItemStatus.TO_SHIP


def test_rows_together_may_not_exceed_what_is_outstanding(supply, tmp_path):
    policy = supply.policy()
    supply.due(policy, supply.gifts["G001"], 2)
    path = sheet(
        tmp_path,
        [
            [policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"],
            [policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890124"],
            [policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890125"],
        ],
    )
    check = check_sheet(provider=supply.s1, path=path, file_name="s.xlsx")
    assert [error.row for error in check.errors] == [4]


def test_two_distributions_of_one_gift_are_filled_oldest_first(supply, tmp_path):
    from tests.suppliers.shipment_support import days_ago

    policy = supply.policy()
    old = supply.due(policy, supply.gifts["G001"], at=days_ago(5))
    new = supply.due(policy, supply.gifts["G001"])
    path = sheet(tmp_path, [[policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"]])
    assert (
        shipment_import(
            actor=supply.user1, provider=supply.s1, path=path, file_name="s.xlsx"
        ).errors
        == []
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (ItemStatus.SHIPPED, ItemStatus.TO_SHIP)


def test_a_file_that_is_not_a_sheet_is_one_error(supply, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    check = check_sheet(provider=supply.s1, path=path, file_name="x.xlsx")
    assert len(check.errors) == 1 and check.errors[0].row == 0


def test_english_headers_and_csv(supply, tmp_path):
    policy = supply.policy()
    supply.due(policy, supply.gifts["G001"])
    path = tmp_path / "s.csv"
    header = "policy no,gift code,quantity,courier,tracking no"
    path.write_text(f"{header}\n{policy.policy_no},G001,1,SF,SF1234567890123\n", encoding="utf-8")
    check = shipment_import(actor=supply.user1, provider=supply.s1, path=path, file_name="s.csv")
    assert check.errors == [] and check.parcels == 1


# --- through the portal ---------------------------------------------------------------------


def _upload(client, path):
    with open(path, "rb") as handle:
        return client.post(reverse("portal:shipment_import"), {"sheet": handle})


def test_portal_preview_shows_row_errors_then_a_fixed_sheet_commits(
    client, supply, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client.force_login(supply.user1)
    policy = supply.policy()
    supply.due(policy, supply.gifts["G001"])
    foreign = supply.due(supply.policy(), supply.gifts["G003"])
    bad = sheet(
        tmp_path,
        [
            [policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"],
            [foreign.distribution.policy.policy_no, "G003", "", 1, "顺丰", "SF1234567890124"],
        ],
        name="bad.xlsx",
    )
    response = _upload(client, bad)
    assert response.status_code == 200
    assert response.context["token"] == ""
    assert [error.row for error in response.context["check"].errors] == [3]
    assert not Shipment.objects.exists()
    good = sheet(tmp_path, [[policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"]])
    response = _upload(client, good)
    token = response.context["token"]
    assert token and not Shipment.objects.exists()  # a preview writes nothing
    response = client.post(reverse("portal:shipment_import_commit"), {"token": token})
    assert response.status_code == 302
    assert Shipment.objects.filter(tracking_no="SF1234567890123").exists()
    # The token is spent with its file.
    again = client.post(reverse("portal:shipment_import_commit"), {"token": token})
    assert again.status_code == 302 and Shipment.objects.count() == 1


def test_another_users_token_is_refused(client, supply, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    policy = supply.policy()
    supply.due(policy, supply.gifts["G001"])
    client.force_login(supply.user1)
    response = _upload(
        client, sheet(tmp_path, [[policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"]])
    )
    token = response.context["token"]
    client.force_login(supply.user2)
    client.post(reverse("portal:shipment_import_commit"), {"token": token})
    assert not Shipment.objects.exists()


def test_an_upload_deletes_the_previews_that_can_no_longer_be_committed(
    client, supply, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    folder = tmp_path / "media" / "portal_shipments"
    folder.mkdir(parents=True)
    expired, recent = folder / "expired.xlsx", folder / "recent.xlsx"
    for path in (expired, recent):
        path.write_bytes(b"PK")
    past = time.time() - TOKEN_MAX_AGE - 60
    os.utime(expired, (past, past))
    policy = supply.policy()
    supply.due(policy, supply.gifts["G001"])
    client.force_login(supply.user1)

    response = _upload(
        client, sheet(tmp_path, [[policy.policy_no, "G001", "", 1, "顺丰", "SF1234567890123"]])
    )

    assert response.context["token"]
    assert not expired.exists()
    assert recent.exists()  # its token may still commit it
    assert len(list(folder.iterdir())) == 2  # the recent one and the new preview


def test_template_download_has_the_columns(client, supply):
    client.force_login(supply.user1)
    response = client.get(reverse("portal:shipment_import_template"))
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert any(row[:6] == tuple(HEADERS) for row in rows)
