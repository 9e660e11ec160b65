from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from giftplatform.models import Branch
from giftplatform.money import MoneyField
from gifts.models import ContractService, Gift, GiftCategory, GiftKind, VoucherCode
from policies.models import Policy, Product
from suppliers.models import Provider

from .quotas import Quota
from .rules import Rule, TaxTreatment


class DistributionStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("awaiting approval")
    APPROVED = "approved", _("approved")
    FULFILLING = "fulfilling", _("being fulfilled")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", pgettext_lazy("hand-out", "cancelled")
    REJECTED = "rejected", _("rejected")


# Statuses that hold quota, stock and a max-per-policy slot.
LIVE_STATUSES = (
    DistributionStatus.PENDING_APPROVAL,
    DistributionStatus.APPROVED,
    DistributionStatus.FULFILLING,
    DistributionStatus.COMPLETED,
)


class RecoveryStatus(models.TextChoices):
    NONE = "", _("—")
    RECOVERED = "recovered", _("recovered")
    WRITTEN_OFF = "written_off", _("written off")


NEVER_DELETED = _("Distributions are never deleted; cancel instead.")


class NeverDeletedQuerySet(models.QuerySet):
    """Hand-out records are kept (5 years after the policy ends): cancel, never delete."""

    def delete(self):
        raise models.ProtectedError(
            _("Distributions are never deleted; cancel instead."), set(self)
        )


class DistributionQuerySet(NeverDeletedQuerySet):
    def live(self):
        return self.filter(status__in=LIVE_STATUSES)


# The policy fields a hand-out keeps as they were when it was made (same names on both).
POLICY_SNAPSHOT = ("product", "channel", "agent_code", "vehicle_type")


def policy_snapshot(policy) -> dict[str, str]:
    """The hand-out's copy of ``policy``'s attributes (see ``POLICY_SNAPSHOT``)."""
    return {name: getattr(policy, name) for name in POLICY_SNAPSHOT}


# The gift fields a gift line keeps as they were when handed out (same names on both).
GIFT_SNAPSHOT = ("provider_id", "category_id", "kind")


def gift_snapshot(gift) -> dict:
    """The line's copy of ``gift``'s attributes (a Gift, or any row with those fields)."""
    return {name: getattr(gift, name) for name in GIFT_SNAPSHOT}


class Distribution(models.Model):
    """One hand-out of one rule to one policy (发放记录)."""

    number = models.CharField(_("distribution no."), max_length=24, unique=True)
    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="distributions"
    )
    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="distributions"
    )
    # The rule's lineage and the policy's n-th live hand-out of it (1..max): the partial
    # unique constraint below makes "max per policy" hold whatever the concurrency.
    rule_code = models.CharField(_("rule code"), max_length=40)
    slot = models.PositiveSmallIntegerField(_("slot"))
    slot_limit = models.PositiveSmallIntegerField(_("max per policy"))
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=DistributionStatus.choices)
    # The policy's product, channel, agent and vehicle type when handed out: statistics
    # by them count each hand-out as it was made, whatever the policy says later.
    product = models.CharField(_("product"), max_length=12, choices=Product.choices)
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    agent_code = models.CharField(_("agent code"), max_length=40, blank=True)
    vehicle_type = models.CharField(_("vehicle type"), max_length=40, blank=True)
    tax_treatment = models.CharField(_("tax treatment"), max_length=8, choices=TaxTreatment.choices)
    total_value = MoneyField(_("face value"))
    total_cost = MoneyField(_("cost"))
    withholding = MoneyField(_("tax withheld"), default=0)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    recipient_name = models.CharField(_("recipient"), max_length=100, blank=True)
    recipient_phone = models.CharField(_("recipient mobile"), max_length=11, blank=True)
    delivery_address = models.CharField(_("delivery address"), max_length=200, blank=True)
    batch_run = models.ForeignKey(
        "distribution.BatchRun",
        verbose_name=_("batch run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="distributions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed out by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved / rejected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("approved / rejected at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason given"), max_length=200, blank=True)
    recovery = models.CharField(
        _("recovery"), max_length=12, choices=RecoveryStatus.choices, blank=True
    )

    objects = DistributionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("distribution")
        verbose_name_plural = _("distributions")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_distribution", _("Can approve or reject distributions"))]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "rule_code", "slot"],
                condition=Q(status__in=LIVE_STATUSES),
                name="distribution_max_per_policy",
            ),
            models.CheckConstraint(
                condition=Q(slot__gte=1) & Q(slot__lte=F("slot_limit")),
                name="distribution_slot_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DistributionStatus.values),
                name="distribution_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=DistributionStatus.CANCELLED)
                | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="distribution_cancel_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["policy", "rule_code"], name="distribution_policy_rule"),
            models.Index(fields=["branch", "-created_at"], name="distribution_branch_time"),
            models.Index(fields=["status", "-created_at"], name="distribution_status_time"),
            # PostgreSQL also has distribution_time_facts, (created_at) INCLUDE (id,
            # status, branch, policy, rule code and the policy snapshot), made by
            # migration 0009 for the statistics: SQLite has no INCLUDE, so it is not
            # declared here (nor the lines' item_time_facts).
        ]

    def __str__(self) -> str:
        return self.number

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(NEVER_DELETED, {self})


class ItemStatus(models.TextChoices):
    RESERVED = "reserved", _("reserved (awaiting approval)")
    TO_SHIP = "to_ship", _("to be shipped")
    SHIPPED = "shipped", _("shipped")
    DELIVERED = "delivered", _("delivered")
    ISSUED = "issued", _("voucher issued")
    REDEEMED = "redeemed", _("redeemed")
    HANDED_OVER = "handed_over", _("handed over at the counter")
    CANCELLED = "cancelled", pgettext_lazy("hand-out", "cancelled")


class DistributionItemQuerySet(NeverDeletedQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for item in objs:
            item.take_handout_moment()
        return super().bulk_create(objs, *args, **kwargs)


class DistributionItem(models.Model):
    distribution = models.ForeignKey(
        Distribution, verbose_name=_("distribution"), on_delete=models.PROTECT, related_name="items"
    )
    # The hand-out's created_at, copied (and moved with it by handouts_move): the
    # statistics read a period's lines by their own index instead of every line's
    # hand-out. Always equal; tests/distribution/totals_check.py checks it.
    handed_out_at = models.DateTimeField(_("handed out at"))
    gift = models.ForeignKey(Gift, verbose_name=_("gift"), on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    unit_value = MoneyField(_("face value"))
    unit_cost = MoneyField(_("unit cost"))
    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.PROTECT)
    # The gift's category and kind when handed out, as provider and prices are: the
    # statistics (and their facet totals) group by what was given, not by later edits.
    category = models.ForeignKey(
        GiftCategory,
        verbose_name=_("gift category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("gift kind"), max_length=20, choices=GiftKind.choices)
    contract_service = models.CharField(
        _("contract service"), max_length=24, choices=ContractService.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=12, choices=ItemStatus.choices)
    # One voucher per item; the partial unique constraint makes "issued at most once"
    # a database fact, while a cancelled item keeps the code it once held.
    voucher = models.ForeignKey(
        VoucherCode,
        verbose_name=_("voucher code"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="distribution_items",
    )

    objects = DistributionItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("distributed item")
        verbose_name_plural = _("distributed items")
        ordering = ["distribution", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_gte_1"),
            models.UniqueConstraint(
                fields=["voucher"],
                condition=Q(voucher__isnull=False) & ~Q(status="cancelled"),
                name="item_voucher_issued_once",
            ),
        ]
        indexes = [models.Index(fields=["gift", "status"], name="item_gift_status")]

    def __str__(self) -> str:
        return f"{self.gift} × {self.quantity}"

    def save(self, *args, **kwargs):
        self.take_handout_moment()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(NEVER_DELETED, {self})

    def take_handout_moment(self) -> None:
        if self.handed_out_at is None:
            self.handed_out_at = self.distribution.created_at


class QuotaCharge(models.Model):
    """What one distribution took from one quota, so cancelling returns exactly that."""

    distribution = models.ForeignKey(
        Distribution,
        verbose_name=_("distribution"),
        on_delete=models.PROTECT,
        related_name="charges",
    )
    quota = models.ForeignKey(
        Quota, verbose_name=_("quota"), on_delete=models.PROTECT, related_name="charges"
    )
    # The pool period charged; null for a per-policy quota.
    period_start = models.DateField(_("period start"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    returned = models.BooleanField(_("returned"), default=False)

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        verbose_name = _("quota charge")
        verbose_name_plural = _("quota charges")
        constraints = [
            models.UniqueConstraint(fields=["distribution", "quota"], name="charge_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quota} {self.amount}"

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(NEVER_DELETED, {self})
