"""The admin import pages through Django's test client: upload, preview, confirm, errors."""

import io

import openpyxl
import pytest
from django.urls import reverse

from giftplatform.sheets.writer import write_workbook
from gifts.models import Gift, ImportJob, ImportStatus
from tests.factories import CategoryFactory, ProviderFactory, UserFactory

HEADERS = ["礼品编码", "礼品名称", "类型", "类别", "供应商编码", "面值", "单位成本", "所属机构"]


@pytest.fixture
def reference_data(shenzhen):
    CategoryFactory(code="C01", name="车品")
    ProviderFactory(code="S001")


def sheet(rows, tmp_path, name="gifts.xlsx"):
    path = tmp_path / name
    write_workbook(str(path), HEADERS, rows)
    return path


def upload(client, path, **extra):
    with open(path, "rb") as handle:
        return client.post(
            reverse("admin:gifts_gift_import"), {"file": handle, "sheet": ""}, **extra
        )


@pytest.fixture
def admin_client_root(client, superuser):
    client.force_login(superuser)
    return client


def test_preview_then_confirm_creates_gifts(admin_client_root, reference_data, tmp_path):
    path = sheet(
        [
            ["G1", "车载吸尘器", "实物", "C01", "S001", "¥128.00", "88元", "4403"],
            ["G2", "洗车套装", "实物", "车品", "S001", "1,280", "900", ""],
        ],
        tmp_path,
    )
    response = upload(admin_client_root, path)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEWED
    assert Gift.objects.count() == 0  # a preview writes nothing

    page = admin_client_root.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert 'id="count-created">2<' in content
    assert "车载吸尘器" in content  # the sample rows are shown
    assert 'id="confirm-import"' in content

    commit = admin_client_root.post(reverse("admin:gifts_gift_import_commit", args=[job.pk]))
    assert commit.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED
    assert job.created_count == 2
    assert set(Gift.objects.values_list("code", flat=True)) == {"G1", "G2"}

    # Confirming twice does nothing more.
    admin_client_root.post(reverse("admin:gifts_gift_import_commit", args=[job.pk]))
    assert Gift.objects.count() == 2


def test_bad_sheet_lists_errors_and_offers_error_sheet(admin_client_root, reference_data, tmp_path):
    path = sheet(
        [
            ["G1", "车载吸尘器", "实物", "C01", "S001", "128", "88", "4403"],
            ["G2", "洗车套装", "实物", "C99", "S001", -5, "900", "4403"],
            ["G3", "洗车套装", "实物", "C99", "S001", "5", "900", "4403"],
        ],
        tmp_path,
    )
    response = upload(admin_client_root, path)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED
    page = admin_client_root.get(response["Location"]).content.decode()
    assert "confirm-import" not in page
    assert "C99" not in page or "类别" in page
    assert Gift.objects.count() == 0

    download = admin_client_root.get(reverse("admin:gifts_gift_import_errors", args=[job.pk]))
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][1:9] == tuple(HEADERS)
    by_row = {row[0]: row[-1] for row in rows[1:]}
    assert by_row[2] in (None, "")  # the good row has no error
    assert "面值" in by_row[3]
    assert "类别" in by_row[4]


def test_template_download_has_headers_and_example(admin_client_root, reference_data):
    response = admin_client_root.get(reverse("admin:gifts_gift_import_template"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    header, example = list(workbook.active.iter_rows(values_only=True))[:2]
    assert header[0] == "礼品编码*"
    assert example[0] == "G1001"


def test_wrong_file_type_is_refused_by_the_form(admin_client_root, reference_data, tmp_path):
    path = tmp_path / "gifts.pdf"
    path.write_bytes(b"%PDF-1.4")
    response = upload(admin_client_root, path)
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0


def test_someone_elses_job_is_not_found(
    client, admin_client_root, reference_data, tmp_path, manager_futian
):
    upload(admin_client_root, sheet([["G1", "a", "实物", "C01", "S001", "1", "1", ""]], tmp_path))
    job = ImportJob.objects.get()
    client.force_login(manager_futian)
    for name in ("import_job", "import_errors"):
        response = client.get(reverse(f"admin:gifts_gift_{name}", args=[job.pk]))
        assert response.status_code == 404
    response = client.post(reverse("admin:gifts_gift_import_commit", args=[job.pk]))
    assert response.status_code == 404
    assert Gift.objects.count() == 0


def test_import_needs_the_model_permissions(client, futian):
    clerk = UserFactory(username="clerk", branch=futian)
    client.force_login(clerk)
    assert client.get(reverse("admin:gifts_gift_import")).status_code == 403
    assert client.get(reverse("admin:gifts_gift_import_template")).status_code == 403
