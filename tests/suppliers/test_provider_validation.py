"""Provider data checks: the credit code (python-stdnum cn.uscc), bank account numbers,
document type by content and size, contract expiry flags."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import translation

from giftplatform import validators
from suppliers.models import ContractState, Provider, ProviderKind, contract_state
from suppliers.validators import normalize_bank_account_no, sniff_document

VALID_USCC = "914403007152672630"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def test_the_uscc_validator_is_python_stdnums():
    assert validators.uscc.__name__ == "stdnum.cn.uscc"
    assert validators.normalize_uscc("９１４４０３００７１５２６７２６３０") == VALID_USCC


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("914403007152672631", "check digit"),
        ("91440300715267263", "18 characters"),
        ("91440300715267263I", "not allowed"),
    ],
)
def test_a_bad_credit_code_is_refused_with_its_reason(code, reason):
    with pytest.raises(ValidationError, match=reason):
        validators.validate_uscc(code)


@pytest.mark.django_db
def test_the_model_validates_credit_code_and_bank_account():
    provider = Provider(
        code="S009",
        name="好礼",
        kind=ProviderKind.GOODS,
        credit_code="914403007152672631",
        bank_account_no="6222-abc",
    )
    with pytest.raises(ValidationError) as caught:
        provider.full_clean()
    assert set(caught.value.message_dict) == {"credit_code", "bank_account_no"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6222 0212 3456 7890 123", "6222021234567890123"),
        ("４４２０１５０１０４００５２５２５２５２", "44201501040052525252"),
        ("12345678", "12345678"),
    ],
)
def test_bank_account_numbers_are_kept_as_digits(value, expected):
    assert normalize_bank_account_no(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1234567", "8 to 30 digits"),
        ("1" * 31, "8 to 30 digits"),
        ("6222O21234567890", "digits only"),
    ],
)
def test_bad_bank_account_numbers_are_refused(value, reason):
    with pytest.raises(ValidationError, match=reason):
        normalize_bank_account_no(value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("contract.pdf", PDF, ("pdf", "application/pdf")),
        ("licence.PNG", PNG, ("png", "image/png")),
        # The name does not decide: a JPEG named .pdf is stored as the JPEG it is.
        ("scan.pdf", JPEG, ("jpg", "image/jpeg")),
    ],
)
def test_documents_are_recognised_by_content(name, content, expected):
    assert sniff_document(SimpleUploadedFile(name, content)) == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("contract.pdf", EXE),  # an executable renamed .pdf
        ("licence.png", b"<html><script>alert(1)</script></html>"),
        ("contract.docx", b"PK\x03\x04" + b"\x00" * 40),
    ],
)
def test_other_content_is_refused_whatever_its_name(name, content):
    with pytest.raises(ValidationError, match="PDF, JPEG and PNG"):
        sniff_document(SimpleUploadedFile(name, content))


def test_the_size_limit_is_a_setting_of_ten_megabytes_by_default():
    ten_mb = SimpleUploadedFile("big.pdf", PDF + b"\x00" * (10 * 1024 * 1024 - len(PDF)))
    assert sniff_document(ten_mb)[0] == "pdf"
    over = SimpleUploadedFile("big.pdf", PDF + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="at most 10"):
        sniff_document(over)
    with (
        override_settings(PROVIDER_DOCUMENT_MAX_BYTES=len(PDF) - 1),
        pytest.raises(ValidationError, match="at most"),
    ):
        sniff_document(SimpleUploadedFile("small.pdf", PDF))


TODAY = datetime.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (None, ""),
        (TODAY - datetime.timedelta(days=1), ContractState.EXPIRED),
        (TODAY, ContractState.EXPIRING),
        (TODAY + datetime.timedelta(days=30), ContractState.EXPIRING),
        (TODAY + datetime.timedelta(days=31), ""),
    ],
)
def test_contract_flags(end, expected):
    assert contract_state(end, TODAY, 30) == expected
