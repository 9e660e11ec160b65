"""Reference data the import sheets point at, and a short way to run an import."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from gifts.imports import run_import
from gifts.models import Gift, GiftKind, ImportJob, StockMovement, VoucherCode
from policies.models import Policy
from suppliers.models import Provider, ProviderKind, ProviderStatus
from tests.factories import CategoryFactory, GiftFactory, ProviderFactory

TABLES = (Provider, Gift, StockMovement, VoucherCode, Policy)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; the Chinese catalogue may change its wording."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def fast_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The users made here never log in; a slow password hash would only slow every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalog(shenzhen, futian, nanshan):
    """Providers, categories and a few gifts, as a branch would have them."""
    supplier = ProviderFactory(code="S001", name="车享用品", kind=ProviderKind.GOODS)
    service = ProviderFactory(code="P001", name="洗车服务", kind=ProviderKind.SERVICE)
    ProviderFactory(
        code="S009", name="已终止", kind=ProviderKind.GOODS, status=ProviderStatus.TERMINATED
    )
    cars = CategoryFactory(code="C01", name="车品")
    services = CategoryFactory(code="C02", name="服务")
    CategoryFactory(code="CASH", name="加油卡", is_cash_equivalent=True)
    CategoryFactory(
        code="CASHOK", name="购物卡", is_cash_equivalent=True, cash_equivalent_enabled=True
    )
    return {
        "supplier": supplier,
        "service": service,
        "physical": GiftFactory(
            code="G9001", kind=GiftKind.PHYSICAL, category=cars, provider=supplier
        ),
        "voucher_gift": GiftFactory(
            code="G9002", kind=GiftKind.SERVICE, category=services, provider=service
        ),
        "other_voucher_gift": GiftFactory(
            code="G9003", kind=GiftKind.SERVICE, category=services, provider=service
        ),
        "nanshan_gift": GiftFactory(
            code="G9004",
            kind=GiftKind.PHYSICAL,
            category=cars,
            provider=supplier,
            branch=nanshan,
            unit_cost=Decimal("50.00"),
        ),
    }


@pytest.fixture
def run(superuser):
    """``run(kind, path, **options)``: run_import as the superuser unless ``actor`` is given."""

    def _run(kind, path, *, actor=None, file_name=None, sheet=None, dry_run=False):
        path = Path(path)
        return run_import(
            actor=actor or superuser,
            kind=kind,
            path=path,
            file_name=file_name or path.name,
            sheet=sheet,
            dry_run=dry_run,
        )

    return _run


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def messages(job: ImportJob) -> list[str]:
    return [error["message"] for error in job.errors]


def errors_by_row(job: ImportJob) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in job.errors:
        found.setdefault(error["row"], []).append((error["column"], error["message"]))
    return found
