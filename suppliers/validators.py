"""Checks of provider data: bank account numbers and uploaded documents.

Uploaded documents are recognised by their first bytes, never by the name the browser
sent: a renamed executable is refused whatever its extension says.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from giftplatform.validators import fold_width

# Mainland bank account numbers: personal cards 16-19 digits, company accounts from
# about 9 to 25 digits depending on the bank; 8-30 covers every bank's format.
BANK_ACCOUNT_DIGITS = (8, 30)
_SEPARATORS = re.compile(r"[\s\-]")

# (extension, content type, leading bytes)
DOCUMENT_TYPES = (
    ("pdf", "application/pdf", b"%PDF-"),
    ("jpg", "image/jpeg", b"\xff\xd8\xff"),
    ("png", "image/png", b"\x89PNG\r\n\x1a\n"),
)
SNIFF_BYTES = 8


def normalize_bank_account_no(value: object) -> str:
    """The account number as digits only (spaces and dashes of the written form dropped)."""
    number = _SEPARATORS.sub("", fold_width(str(value)))
    low, high = BANK_ACCOUNT_DIGITS
    if not number.isascii() or not number.isdigit():
        raise ValidationError(_("A bank account number has digits only."))
    if not low <= len(number) <= high:
        raise ValidationError(
            _("A bank account number has %(low)d to %(high)d digits, not %(n)d."),
            params={"low": low, "high": high, "n": len(number)},
        )
    return number


def validate_bank_account_no(value: str) -> None:
    normalize_bank_account_no(value)


def max_document_bytes() -> int:
    return getattr(settings, "PROVIDER_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)


def sniff_document(uploaded) -> tuple[str, str]:
    """(extension, content type) of an uploaded PDF, JPEG or PNG by its content and size;
    ValidationError for anything else."""
    limit = max_document_bytes()
    if uploaded.size > limit:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s is accepted."),
            params={"size": filesizeformat(uploaded.size), "limit": filesizeformat(limit)},
        )
    if not uploaded.size:
        raise ValidationError(_("The file is empty."))
    uploaded.seek(0)
    head = uploaded.read(SNIFF_BYTES)
    uploaded.seek(0)
    for extension, content_type, magic in DOCUMENT_TYPES:
        if head.startswith(magic):
            return extension, content_type
    raise ValidationError(_("Only PDF, JPEG and PNG files are accepted (checked by content)."))
