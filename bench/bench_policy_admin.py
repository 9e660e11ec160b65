"""Policy changelist and look-ups at scale, on PostgreSQL.

The admin changelist and a search by policy no., plate, VIN, mobile and ID number are
timed (median of 7 requests through Django's test client) with 1,000 policies, then
again after the table grows to 1,000,000; each figure is printed as a ratio (target:
within 3x), with the plan PostgreSQL chooses for each look-up.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres make bench BENCH_ARGS=policy_admin
    BENCH_ADMIN_ROWS=200000 ...   # a smaller large table
"""

import csv
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import (
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse

from bench.sheets import SUB_BRANCHES
from giftplatform.demo.generators import policy_rows
from giftplatform.models import User
from gifts.imports import run_import
from gifts.imports.command import CommandLineActor
from gifts.models import ImportStatus
from policies.models import Policy
from policies.selectors import policy_lookup

SMALL = 1_000
PROBE_ROW = 500  # present in both sizes: the generator's first rows never change
REPEATS = 7


def _load(first: int, count: int, seed: int = 11) -> float:
    """Import rows [first, first+count) of the generated policies through the pipeline."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policies.csv"
        rows = policy_rows(first + count, seed=seed, branch_codes=SUB_BRANCHES)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = None
            for index, row in enumerate(rows):
                if writer is None:
                    writer = csv.DictWriter(handle, fieldnames=list(row))
                    writer.writeheader()
                if index >= first:
                    writer.writerow(row)
        started = time.perf_counter()
        with override_settings(IMPORT_MAX_UPLOAD_BYTES=2**40):  # the bench's own big file
            job = run_import(
                actor=CommandLineActor(), kind="policies", path=path, file_name=path.name
            )
        assert job.status == ImportStatus.COMMITTED, job.errors[:3]
        return time.perf_counter() - started


def _median_ms(client, url) -> float:
    client.get(url)  # warm
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(timings)


def _probes(probe: Policy) -> dict[str, str]:
    return {
        "changelist": "",
        "policy no.": probe.policy_no,
        "plate": probe.plate,
        "VIN": probe.vin,
        "mobile": probe.phone,
        "ID number": probe.id_number,
    }


def _measure(client, probes) -> dict[str, float]:
    url = reverse("admin:policies_policy_changelist")
    return {
        name: _median_ms(client, f"{url}?q={value}" if value else url)
        for name, value in probes.items()
    }


def main() -> str:
    if connection.vendor != "postgresql":
        return "skipped: needs PostgreSQL (set DATABASE_URL=postgres://...)"
    large = int(os.environ.get("BENCH_ADMIN_ROWS", "1000000"))
    old_name = connection.settings_dict["NAME"]
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("seed_demo", "--minimal", verbosity=0, stdout=io.StringIO())
        user = User.objects.get(username="admin")
        client = Client()
        client.force_login(user)
        _load(0, SMALL)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE policies_policy")
        probe = Policy.objects.order_by("id")[PROBE_ROW]
        probes = _probes(probe)
        small = _measure(client, probes)
        load_seconds = _load(SMALL, large - SMALL)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE policies_policy")
        big = _measure(client, probes)
        plans = {
            name: policy_lookup(user=user, text=value).explain()
            for name, value in probes.items()
            if value
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    lines = [
        f"policy admin at scale: {SMALL:,} vs {large:,} policies "
        f"(loading {large - SMALL:,} rows through the import took {load_seconds:.1f} s, "
        f"{(large - SMALL) / load_seconds:,.0f} rows/s from CSV)",
        f"  {'page':12s} {SMALL:>10,} {large:>12,}   ratio (target <= 3x)",
    ]
    for name in probes:
        ratio = big[name] / small[name]
        lines.append(f"  {name:12s} {small[name]:8.1f} ms {big[name]:10.1f} ms   {ratio:5.2f}x")
    lines.append("  plans at the large size:")
    for name, plan in plans.items():
        lines.append(f"    {name}:")
        lines.extend(f"      {line}" for line in plan.splitlines())
    return "\n".join(lines)
