from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from giftplatform.validators import validate_uscc


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
