import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from giftplatform.money import MoneyField
from giftplatform.validators import validate_uscc
from suppliers.validators import validate_bank_account_no


class ProviderKind(models.TextChoices):
    GOODS = "goods", _("supplier (goods)")
    SERVICE = "service", _("service provider")


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    TERMINATED = "terminated", _("terminated")


class SettlementCycle(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    PER_ORDER = "per_order", _("per order")


_provider_history = HistoricalRecords()


class Provider(models.Model):
    """A supplier of physical gifts or a provider of services (供应商)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ProviderKind.choices)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc],
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contract_start = models.DateField(_("contract start"), null=True, blank=True)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account_name = models.CharField(_("bank account name"), max_length=100, blank=True)
    bank_account_no = models.CharField(
        _("bank account number"),
        max_length=30,
        blank=True,
        validators=[validate_bank_account_no],
    )
    settlement_cycle = models.CharField(
        _("settlement cycle"),
        max_length=12,
        choices=SettlementCycle.choices,
        default=SettlementCycle.MONTHLY,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # One history table for providers, whichever proxy (Supplier, ServiceProvider) saves
    # them: see the signal wiring at the end of this module. Sheet imports are bulk writes,
    # recorded by their ImportJob instead.
    history = _provider_history

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_start__isnull=True)
                | Q(contract_end__isnull=True)
                | Q(contract_start__lte=models.F("contract_end")),
                name="provider_contract_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(code__gt=""), name="provider_code_not_blank"),
            models.CheckConstraint(
                condition=Q(kind__in=ProviderKind.values), name="provider_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def contract_state(self, today: datetime.date, warning_days: int) -> str:
        """``expired``, ``expiring`` (ends within ``warning_days``) or ``""``."""
        return contract_state(self.contract_end, today, warning_days)


class ContractState(models.TextChoices):
    EXPIRED = "expired", _("contract expired")
    EXPIRING = "expiring", _("contract expiring soon")


def contract_state(end: datetime.date | None, today: datetime.date, warning_days: int) -> str:
    if end is None:
        return ""
    if end < today:
        return ContractState.EXPIRED
    if end <= today + datetime.timedelta(days=warning_days):
        return ContractState.EXPIRING
    return ""


class SupplierManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ProviderKind.GOODS)


class ServiceProviderManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ProviderKind.SERVICE)


class Supplier(Provider):
    objects = SupplierManager()

    class Meta:
        proxy = True
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")


class ServiceProvider(Provider):
    objects = ServiceProviderManager()

    class Meta:
        proxy = True
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")


# simple-history listens to the concrete model's signals only; the supplier and service
# provider admins save through the proxies, whose signals carry the proxy as sender.
for _proxy in (Supplier, ServiceProvider):
    models.signals.post_save.connect(_provider_history.post_save, sender=_proxy, weak=False)
    models.signals.pre_delete.connect(_provider_history.pre_delete, sender=_proxy, weak=False)
    models.signals.post_delete.connect(_provider_history.post_delete, sender=_proxy, weak=False)


class DocumentType(models.TextChoices):
    CONTRACT = "contract", _("contract")
    BUSINESS_LICENCE = "licence", _("business licence")
    OTHER = "other", _("other document")


def document_path(document: "ProviderDocument", filename: str) -> str:
    """providers/<code>/<random>.<ext>: the name sent by the browser is never used as a path
    (it is kept in ``original_name`` for the download)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"providers/{document.provider.code}/{uuid.uuid4().hex}.{extension}"


class ProviderDocument(models.Model):
    """A contract, business licence or other file of a provider; downloaded only through
    the scoped admin view, never from a public media URL."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="documents"
    )
    doc_type = models.CharField(_("document type"), max_length=10, choices=DocumentType.choices)
    file = models.FileField(_("file"), upload_to=document_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provider document")
        verbose_name_plural = _("provider documents")
        ordering = ["provider", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_doc_type_display()} {self.original_name}"


class SettlementStatus(models.TextChoices):
    OPEN = "open", _("open")
    SETTLED = "settled", _("settled")


class Settlement(models.Model):
    """A provider's statement for one period: delivered physical items and redeemed
    vouchers at the unit cost recorded on each distributed item."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="settlements"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("Inclusive."))
    physical_units = models.PositiveIntegerField(_("delivered units"), default=0)
    physical_amount = MoneyField(_("delivered amount"), default=0)
    voucher_units = models.PositiveIntegerField(_("redeemed vouchers"), default=0)
    voucher_amount = MoneyField(_("redeemed amount"), default=0)
    total_amount = MoneyField(_("total amount"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("settled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-period_start", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "period_start", "period_end"], name="settlement_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="settlement_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(settled_at__isnull=False),
                name="settlement_settled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.code} {self.period_start:%Y-%m-%d}~{self.period_end:%Y-%m-%d}"


class SignupStatus(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class ProviderSignupRequest(models.Model):
    """A company's request to become a provider, sent from the public sign-up page; a gift
    manager of a top-level branch approves it (the provider is created) or rejects it."""

    name = models.CharField(_("company name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ProviderKind.choices)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, validators=[validate_uscc]
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    note = models.TextField(_("what you offer"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SignupStatus.choices, default=SignupStatus.PENDING
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signup_requests",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provider sign-up request")
        verbose_name_plural = _("provider sign-up requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A company waits with one request at a time (a resubmission is refused).
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=Q(status="pending"),
                name="signup_one_pending_per_company",
                violation_error_message=_("A request of this company is already awaiting review."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"
