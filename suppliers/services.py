"""Writes about providers: documents and portal accounts. Each checks nothing about
who may act (the faces ask ``giftplatform.access`` first) and records who acted."""

import secrets
import string

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from giftplatform.access import recorded
from suppliers.models import (
    DocumentType,
    Provider,
    ProviderDocument,
    ProviderKind,
    ProviderSignupRequest,
    SignupStatus,
)
from suppliers.validators import sniff_document

PORTAL_ROLE = {ProviderKind.GOODS: "supplier_user", ProviderKind.SERVICE: "service_provider_user"}
# No look-alikes (0/O, 1/l/I) in a password read out over the phone.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def provider_document_add(
    *, actor, provider: Provider, doc_type: str, uploaded
) -> ProviderDocument:
    """Store ``uploaded`` (a PDF, JPEG or PNG by content, within the size limit) as one of
    ``provider``'s documents, under a random name with the extension of its real type."""
    if doc_type not in DocumentType.values:
        raise ValidationError(_("Unknown document type."))
    extension, content_type = sniff_document(uploaded)
    document = ProviderDocument(
        provider=provider,
        doc_type=doc_type,
        original_name=(uploaded.name or "")[-200:],
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=recorded(actor),
    )
    # The stored name is document_path's random one; only the real type's extension is kept.
    document.file.save(f"upload.{extension}", uploaded, save=False)
    document._history_user = recorded(actor)
    document.save()
    return document


def generate_password(length: int = 12) -> str:
    """A random password that passes the platform's validators."""
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


@transaction.atomic
def portal_account_create(
    *,
    actor,
    provider: Provider,
    username: str,
    full_name: str = "",
    email: str = "",
    password: str = "",
):
    """A portal user of ``provider``: its kind's portal role, no branch, not staff.

    Returns ``(user, password)``: the password given (checked by Django's validators) or a
    generated one, to be shown once.
    """
    User = get_user_model()
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        provider=provider,
        branch=None,
        is_staff=False,
        is_superuser=False,
    )
    password = password or generate_password()
    password_validation.validate_password(password, user)
    user.set_password(password)
    user._history_user = recorded(actor)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get(name=PORTAL_ROLE[provider.kind])])
    return user, password


def portal_account_deactivate(*, actor, user) -> None:
    user.is_active = False
    user._history_user = recorded(actor)
    user.save(update_fields=["is_active"])


def portal_account_set_password(*, actor, user, password: str = "") -> str:
    """Set ``password`` (validated) or a generated one; returns it, to be shown once."""
    password = password or generate_password()
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


def signup_request_submit(*, name, kind, credit_code, contact_name, phone, email, **optional):
    """A public sign-up request, pending review (the form has checked its fields)."""
    request_row = ProviderSignupRequest(
        name=name,
        kind=kind,
        credit_code=credit_code,
        contact_name=contact_name,
        phone=phone,
        email=email,
        address=optional.get("address", ""),
        note=optional.get("note", ""),
    )
    request_row.full_clean()
    request_row.save()
    return request_row


def _decide(request_row: ProviderSignupRequest, actor, status: str) -> ProviderSignupRequest:
    locked = ProviderSignupRequest.objects.select_for_update().get(pk=request_row.pk)
    if locked.status != SignupStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    locked.status = status
    locked.decided_by = recorded(actor)
    locked.decided_at = timezone.now()
    locked._history_user = recorded(actor)
    return locked


@transaction.atomic
def signup_request_approve(*, actor, request_row: ProviderSignupRequest, code: str) -> Provider:
    """Create the provider the request describes, under ``code``, active; once only."""
    locked = _decide(request_row, actor, SignupStatus.APPROVED)
    if Provider.objects.filter(credit_code=locked.credit_code).exists():
        raise ValidationError(_("A provider with this credit code already exists."))
    provider = Provider(
        code=code,
        name=locked.name,
        kind=locked.kind,
        credit_code=locked.credit_code,
        contact_name=locked.contact_name,
        phone=locked.phone,
        email=locked.email,
        address=locked.address,
    )
    provider.full_clean()
    provider._history_user = recorded(actor)
    provider.save()
    locked.provider = provider
    locked.save()
    return provider


@transaction.atomic
def signup_request_reject(*, actor, request_row: ProviderSignupRequest) -> None:
    _decide(request_row, actor, SignupStatus.REJECTED).save()
