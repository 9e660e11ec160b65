from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from giftplatform.models import Branch
from gifts.models import Gift
from policies.models import Product


class QuotaBasis(models.TextChoices):
    """The three bases of the spec."""

    PREMIUM_RATIO = "premium_ratio", _("gift value as a share of premium")
    VOUCHER_COUNT = "voucher_count", _("number of vouchers / units")
    GIFT_AMOUNT = "gift_amount", _("gift value")


class QuotaPeriod(models.TextChoices):
    POLICY = "policy", _("per policy")
    DAY = "day", _("pool per day")
    MONTH = "month", _("pool per month")
    QUARTER = "quarter", _("pool per quarter")
    YEAR = "year", _("pool per year")
    ALL = "all", _("pool for all time")


class QuotaStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    ACTIVE = "active", _("in effect")
    RETIRED = "retired", _("retired")


class Quota(models.Model):
    """A cap on what may go out (额度). Takes effect once an approver confirms it."""

    code = models.CharField(_("quota code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    basis = models.CharField(_("basis"), max_length=16, choices=QuotaBasis.choices)
    period = models.CharField(_("applies"), max_length=8, choices=QuotaPeriod.choices)
    limit = models.DecimalField(
        _("limit"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Percent of premium, number of units, or CNY, by basis."),
    )
    warn_percent = models.DecimalField(
        _("warn at (percent of limit)"), max_digits=5, decimal_places=2, default=Decimal("80")
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=QuotaStatus.choices,
        default=QuotaStatus.PENDING,
        editable=False,
    )
    # The branch whose staff manage the quota; empty = platform-wide.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("owning branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_quotas",
    )
    # Scope: which hand-outs count against it. Empty = any.
    scope_branch = models.ForeignKey(
        Branch,
        verbose_name=_("for branch subtree"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_rule_code = models.CharField(_("for rule code"), max_length=40, blank=True)
    scope_gift = models.ForeignKey(
        Gift, verbose_name=_("for gift"), null=True, blank=True, on_delete=models.PROTECT
    )
    scope_product = models.CharField(
        _("for product"), max_length=12, choices=Product.choices, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(limit__gte=0), name="quota_limit_gte_0"),
            models.CheckConstraint(
                condition=Q(warn_percent__gt=0) & Q(warn_percent__lte=100),
                name="quota_warn_percent_range",
            ),
            models.CheckConstraint(
                condition=~Q(basis="premium_ratio") | Q(period="policy"),
                name="quota_premium_ratio_per_policy",
            ),
            models.CheckConstraint(condition=Q(code__gt=""), name="quota_code_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pool(self) -> bool:
        return self.period != QuotaPeriod.POLICY


class QuotaUsage(models.Model):
    """A pool's counter for one period, consumed and returned by conditional updates."""

    quota = models.ForeignKey(
        Quota, verbose_name=_("quota"), on_delete=models.PROTECT, related_name="usages"
    )
    period_start = models.DateField(_("period start"))
    used = models.DecimalField(_("used"), max_digits=14, decimal_places=2, default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("quota use")
        verbose_name_plural = _("quota use")
        ordering = ["quota", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["quota", "period_start"], name="quota_usage_once"),
            models.CheckConstraint(condition=Q(used__gte=0), name="quota_usage_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quota} {self.period_start}: {self.used}"
