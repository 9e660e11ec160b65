"""Imports under concurrency (PostgreSQL): a sheet confirmed twice at once is still idempotent."""

import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from gifts.imports import run_import
from gifts.models import Gift, ImportStatus, StockMovement
from policies.models import Policy
from tests.imports.sheets import (
    POLICY_HEADERS,
    STOCK_HEADERS,
    policy_rows,
    stock_row,
    table,
    write_xlsx,
)

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def run_at_once(actor, kind, paths):
    """Import each path in its own thread, all released together; the jobs (or exceptions)."""
    barrier = threading.Barrier(len(paths))
    results: list = [None] * len(paths)

    def work(index, path):
        try:
            barrier.wait(timeout=60)  # a thread that failed early must not hang the rest
            results[index] = run_import(actor=actor, kind=kind, path=path, file_name=path.name)
        except Exception as exc:  # reported by the caller
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, p)) for i, p in enumerate(paths)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_same_stock_sheet_imported_twice_at_once_books_once(tmp_path, catalog, superuser):
    attempts = 5
    for attempt in range(attempts):
        rows = [stock_row("G9001", 10, f"PO-RACE-{attempt}")]
        paths = [
            write_xlsx(tmp_path / f"s{attempt}-{n}.xlsx", table(STOCK_HEADERS, rows))
            for n in range(2)
        ]
        run_at_once(superuser, "stock", paths)

    gift = Gift.objects.get(code="G9001")
    assert StockMovement.objects.aggregate(total=Sum("quantity"))["total"] == gift.stock
    assert StockMovement.objects.filter(gift=gift).count() == attempts
    assert gift.stock == 10 * attempts


def test_same_policy_sheet_imported_twice_at_once(tmp_path, catalog, superuser):
    """The COPY upsert resolves the conflict: both jobs succeed, every policy once."""
    rows = table(POLICY_HEADERS, policy_rows(50))
    paths = [write_xlsx(tmp_path / f"p{n}.xlsx", rows) for n in range(2)]

    results = run_at_once(superuser, "policies", paths)

    assert all(not isinstance(r, Exception) for r in results), results
    assert all(job.status == ImportStatus.COMMITTED for job in results)
    assert sorted(job.created_count for job in results) == [0, 50]
    assert Policy.objects.count() == 50


def test_a_bad_sheet_next_to_a_good_one_writes_nothing(tmp_path, catalog, superuser):
    good = policy_rows(20)
    bad = policy_rows(20, start=100)
    bad[-1]["保费"] = "-1"
    paths = [
        write_xlsx(tmp_path / "good.xlsx", table(POLICY_HEADERS, good)),
        write_xlsx(tmp_path / "bad.xlsx", table(POLICY_HEADERS, bad)),
    ]

    good_job, bad_job = run_at_once(superuser, "policies", paths)

    assert good_job.status == ImportStatus.COMMITTED
    assert bad_job.status == ImportStatus.REJECTED
    assert Policy.objects.count() == 20
