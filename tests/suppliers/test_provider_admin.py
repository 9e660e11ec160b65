"""Provider admin pages through Django's client: the two sections, expiry flags, who may
edit (providers are reference data: seen by all staff, changed at a top-level branch),
documents uploaded by content and downloaded only through the scoped view."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from suppliers.models import Provider, ProviderDocument, ProviderKind
from tests.factories import ProviderFactory, UserFactory
from tests.suppliers.conftest import staff
from tests.suppliers.test_provider_validation import EXE, PDF, PNG, VALID_USCC

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        yield tmp_path


def _form(provider, **changes):
    data = {
        "code": provider.code,
        "name": provider.name,
        "credit_code": provider.credit_code or "",
        "status": provider.status,
        "contact_name": "",
        "phone": "",
        "email": "",
        "address": "",
        "contract_start": "",
        "contract_end": "",
        "settlement_cycle": provider.settlement_cycle,
        "bank_name": "",
        "bank_account_name": "",
        "bank_account_no": "",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def _change_url(provider, section="supplier"):
    return reverse(f"admin:suppliers_{section}_change", args=[provider.pk])


def test_suppliers_and_service_providers_are_separate_sections(
    client, gift_manager_shenzhen, supplier, service_provider
):
    client.force_login(gift_manager_shenzhen)
    suppliers = client.get(reverse("admin:suppliers_supplier_changelist"))
    services = client.get(reverse("admin:suppliers_serviceprovider_changelist"))
    assert [p.code for p in suppliers.context["cl"].result_list] == ["S001"]
    assert [p.code for p in services.context["cl"].result_list] == ["P001"]
    # The other kind's row is not found in a section, like a missing one.
    assert client.get(_change_url(service_provider, "supplier")).status_code == 404
    # Both sections offer the sheet import and the export.
    for response in (suppliers, services):
        assert response.context["import_url"]
        assert response.context["export_url"]


def test_expiring_and_expired_contracts_are_flagged_in_the_list_and_on_the_page(
    client, gift_manager_futian
):
    today = timezone.localdate()
    ProviderFactory(code="S101", contract_end=today + datetime.timedelta(days=10))
    ProviderFactory(code="S102", contract_end=today - datetime.timedelta(days=1))
    ProviderFactory(code="S103", contract_end=today + datetime.timedelta(days=90))
    client.force_login(gift_manager_futian)
    url = reverse("admin:suppliers_supplier_changelist")
    page = client.get(url).content.decode()
    assert page.count('class="contract-expiring"') == 1
    assert page.count('class="contract-expired"') == 1
    assert "color:#ba2121" in page  # expired in red
    expiring = client.get(url, {"contract": "expiring"}).context["cl"].result_list
    expired = client.get(url, {"contract": "expired"}).context["cl"].result_list
    assert [p.code for p in expiring] == ["S101"]
    assert [p.code for p in expired] == ["S102"]
    messages = [
        str(m)
        for m in client.get(_change_url(Provider.objects.get(code="S102"))).context["messages"]
    ]
    assert any("ended" in m or "终止" in m or "到期" in m or "结束" in m for m in messages)


@override_settings(PROVIDER_CONTRACT_WARNING_DAYS=5)
def test_the_warning_window_is_a_setting(client, gift_manager_futian):
    ProviderFactory(code="S101", contract_end=timezone.localdate() + datetime.timedelta(days=10))
    client.force_login(gift_manager_futian)
    page = client.get(reverse("admin:suppliers_supplier_changelist")).content.decode()
    assert 'class="contract-expiring"' not in page


def test_the_list_costs_the_same_queries_for_3_or_30_providers(client, gift_manager_shenzhen):
    client.force_login(gift_manager_shenzhen)
    url = reverse("admin:suppliers_supplier_changelist")
    for n in range(3):
        ProviderFactory(code=f"S2{n:02d}", contract_end=timezone.localdate())
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3, 30):
        ProviderFactory(code=f"S2{n:02d}", contract_end=timezone.localdate())
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_a_futian_gift_manager_reads_providers_but_may_not_edit_add_or_import(
    client, gift_manager_futian, supplier
):
    client.force_login(gift_manager_futian)
    page = client.get(_change_url(supplier))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    # A POST reads the row in the scope one may change: outside it, the row is not found.
    response = client.post(_change_url(supplier), _form(supplier, name="改名"))
    assert response.status_code == 404
    supplier.refresh_from_db()
    assert supplier.name == "好礼供货"
    assert client.get(reverse("admin:suppliers_supplier_add")).status_code == 403
    assert client.get(reverse("admin:suppliers_supplier_import")).status_code == 403
    assert client.get(reverse("admin:suppliers_serviceprovider_import")).status_code == 403


def test_a_shenzhen_gift_manager_edits_bank_details_in_canonical_form(
    client, gift_manager_shenzhen, supplier
):
    client.force_login(gift_manager_shenzhen)
    response = client.post(
        _change_url(supplier),
        _form(
            supplier,
            credit_code=" 9144 0300 7152 6726 30 ",
            bank_name="招商银行深圳分行",
            bank_account_name="好礼供货有限公司",
            bank_account_no="7559 1234 5678 901",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    supplier.refresh_from_db()
    assert (supplier.credit_code, supplier.bank_account_no) == (VALID_USCC, "755912345678901")
    assert supplier.history.latest().history_user == gift_manager_shenzhen
    assert client.get(reverse("admin:suppliers_supplier_import")).status_code == 200


def test_bad_identifiers_are_shown_as_field_errors(client, gift_manager_shenzhen, supplier):
    client.force_login(gift_manager_shenzhen)
    response = client.post(
        _change_url(supplier),
        _form(supplier, credit_code="914403007152672631", bank_account_no="12-34"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"credit_code", "bank_account_no"}


def _upload(client, provider, name, content, doc_type="contract"):
    data = _form(
        provider,
        **{
            "documents-TOTAL_FORMS": "1",
            "documents-0-doc_type": doc_type,
            "documents-0-upload": SimpleUploadedFile(name, content),
        },
    )
    return client.post(_change_url(provider), data)


def test_a_document_is_stored_under_the_providers_folder_with_a_random_name(
    client, gift_manager_shenzhen, supplier, media
):
    client.force_login(gift_manager_shenzhen)
    response = _upload(client, supplier, "../../合同.pdf", PDF)
    assert response.status_code == 302
    document = ProviderDocument.objects.get()
    stored = Path(document.file.path)
    assert stored.parent == media / "providers" / "S001"
    assert stored.suffix == ".pdf" and "合同" not in stored.name and len(stored.stem) == 32
    assert stored.read_bytes() == PDF
    assert (document.uploaded_by, document.content_type, document.size) == (
        gift_manager_shenzhen,
        "application/pdf",
        len(PDF),
    )
    assert document.history.count() == 1


def test_a_renamed_executable_is_refused_and_nothing_is_stored(
    client, gift_manager_shenzhen, supplier, media
):
    client.force_login(gift_manager_shenzhen)
    response = _upload(client, supplier, "contract.pdf", EXE)
    assert response.status_code == 200
    assert "upload" in response.context["inline_admin_formsets"][0].formset.forms[0].errors
    assert not ProviderDocument.objects.exists()
    assert not (media / "providers").exists()


@override_settings(PROVIDER_DOCUMENT_MAX_BYTES=len(PNG) - 1)
def test_an_oversized_document_is_refused(client, gift_manager_shenzhen, supplier):
    client.force_login(gift_manager_shenzhen)
    assert _upload(client, supplier, "licence.png", PNG, "licence").status_code == 200
    assert not ProviderDocument.objects.exists()


def test_documents_download_only_through_the_scoped_view(
    client, gift_manager_shenzhen, gift_manager_futian, roles, futian, supplier
):
    client.force_login(gift_manager_shenzhen)
    _upload(client, supplier, "licence.png", PNG, "licence")
    document = ProviderDocument.objects.get()
    url = reverse("admin:suppliers_provider_document", args=[document.pk])
    # Staff who read providers get the file as an attachment, under its original name.
    client.force_login(gift_manager_futian)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    # No public media URL serves it.
    assert client.get(f"/media/{document.file.name}").status_code == 404
    # A role without provider access: 403; a missing document: 404.
    client.force_login(staff(roles, "counter_staff", futian))
    assert client.get(url).status_code == 403
    client.force_login(gift_manager_futian)
    missing = reverse("admin:suppliers_provider_document", args=[document.pk + 1])
    assert client.get(missing).status_code == 404


def test_a_portal_user_never_reaches_the_provider_admin(client, supplier):
    portal = UserFactory(username="s001_user", provider=supplier, is_staff=False)
    client.force_login(portal)
    for url in (
        reverse("admin:suppliers_supplier_changelist"),
        _change_url(supplier),
        reverse("admin:suppliers_provider_portal_users", args=[supplier.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_a_new_supplier_gets_its_kind_from_the_section(client, gift_manager_shenzhen):
    client.force_login(gift_manager_shenzhen)
    provider = Provider(code="S300", name="新供货商", settlement_cycle="monthly", status="active")
    response = client.post(reverse("admin:suppliers_supplier_add"), _form(provider))
    assert response.status_code == 302
    assert Provider.objects.get(code="S300").kind == ProviderKind.GOODS
