"""Gift sheet through the admin: upload, preview, confirm, via Django's test client.

Ours (the platform's import pages) against django-import-export's default admin import
(ImportExportModelAdmin with a plain ModelResource) of the same sheet, in the same run,
each into an empty gift table of a throwaway test database.

    make bench BENCH_ARGS=gift_admin          # 10,000 rows (the baseline takes minutes)
    BENCH_GIFT_ROWS=2000 make bench BENCH_ARGS=gift_admin
"""

import io
import os
import time

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import (
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse
from import_export.formats.base_formats import XLSX

from bench.sheets import gift_sheet
from giftplatform.models import User
from gifts.models import Gift, ImportJob, ImportStatus

PROVIDERS = {"实物": ["S001", "S002", "S003"], "服务": ["P001", "P002"], "增值服务": ["P003"]}
CATEGORIES = ["C01", "C02", "C03"]


def _ours(client, path) -> float:
    started = time.perf_counter()
    with open(path, "rb") as handle:
        response = client.post(reverse("admin:gifts_gift_import"), {"file": handle, "sheet": ""})
    job = ImportJob.objects.latest("pk")
    assert job.status == ImportStatus.PREVIEWED, job.errors[:5]
    client.get(response["Location"])
    client.post(reverse("admin:gifts_gift_import_commit", args=[job.pk]))
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED, job.errors[:5]
    return elapsed


def _baseline(client, path) -> float:
    from import_export.admin import ImportExportModelAdmin

    formats = ImportExportModelAdmin(Gift, None).get_import_formats()
    xlsx = next(i for i, f in enumerate(formats) if f is XLSX)
    started = time.perf_counter()
    with open(path, "rb") as handle:
        response = client.post(
            "/baseline/gifts/gift/import/", {"import_file": handle, "format": xlsx, "resource": 0}
        )
    confirm = response.context["confirm_form"]
    assert confirm is not None, "baseline preview found errors"
    client.post("/baseline/gifts/gift/process_import/", confirm.initial)
    return time.perf_counter() - started


def main() -> str:
    rows = int(os.environ.get("BENCH_GIFT_ROWS", "10000"))
    old_name = connection.settings_dict["NAME"]
    setup_test_environment()  # lets the client see the baseline's template context
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("seed_demo", "--minimal", verbosity=0, stdout=io.StringIO())
        path = gift_sheet(rows, PROVIDERS, CATEGORIES)
        client = Client()
        client.force_login(User.objects.get(username="admin"))
        with override_settings(ROOT_URLCONF="bench.baseline_admin", DEBUG=False):
            ours = _ours(client, path)
            created = Gift.objects.count()
            Gift.objects.all().delete()
            baseline = _baseline(client, path)
            assert Gift.objects.count() == created == rows, (Gift.objects.count(), created)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return (
        f"gift sheet via admin, {rows:,} rows on {connection.vendor} ({test_db}):\n"
        f"  ours (preview + confirm)          {ours:8.2f} s  {rows / ours:10,.0f} rows/s\n"
        f"  django-import-export default      {baseline:8.2f} s  {rows / baseline:10,.0f} rows/s\n"
        f"  ratio ours / baseline             {baseline / ours:8.1f}x  (target >= 10x)"
    )
