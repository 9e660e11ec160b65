from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from giftplatform.models import Branch
from giftplatform.money import MoneyField
from suppliers.models import Provider


class GiftKind(models.TextChoices):
    PHYSICAL = "physical", _("physical goods")
    SERVICE = "service", _("service voucher")
    CONTRACT_SERVICE = "contract_service", _("contract value-added service")


class ContractService(models.TextChoices):
    """The four services of the 2020 value-added service clause (附加机动车增值服务特约条款)."""

    ROAD_RESCUE = "road_rescue", _("road rescue")
    SAFETY_INSPECTION = "safety_inspection", _("vehicle safety inspection")
    DESIGNATED_DRIVING = "designated_driving", _("designated driving")
    INSPECTION_ON_BEHALF = "inspection_on_behalf", _("inspection on the owner's behalf")


class GiftCategory(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    is_cash_equivalent = models.BooleanField(
        _("cash equivalent"),
        default=False,
        help_text=_("Fuel cards, shopping cards, red packets, premium offsets."),
    )
    # Blocked by default; enabling takes four-eyes approval (distribution issue).
    cash_equivalent_enabled = models.BooleanField(_("cash equivalent enabled"), default=False)

    # Who changed what, when (invariant 8). Enabling a cash category is an update() by the
    # four-eyes change service: its ChangeRequest keeps who asked and who approved.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("gift category")
        verbose_name_plural = _("gift categories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_cash_equivalent=True) | Q(cash_equivalent_enabled=False),
                name="category_enabled_only_if_cash",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Gift(models.Model):
    code = models.CharField(_("gift code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=GiftKind.choices)
    contract_service = models.CharField(
        _("contract service"), max_length=24, choices=ContractService.choices, blank=True
    )
    category = models.ForeignKey(
        GiftCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="gifts"
    )
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="gifts"
    )
    face_value = MoneyField(_("face value"))
    unit_cost = MoneyField(_("unit cost"))
    # Denormalized from the ledger; changed only by gifts.services in the same transaction.
    stock = models.IntegerField(_("stock"), default=0, editable=False)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=0)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("owning branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts",
        help_text=_("Empty: available to all branches."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Saves (admin, services) write a history row with the acting user. Not recorded here:
    # stock, moved by update() and recorded by the StockMovement ledger (actor, time, reason);
    # sheet imports, written by bulk_create/bulk_update and recorded by their ImportJob.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="gift_stock_not_negative"),
            models.CheckConstraint(condition=Q(code__gt=""), name="gift_code_not_blank"),
            models.CheckConstraint(condition=Q(face_value__gte=0), name="gift_face_value_gte_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="gift_unit_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=F("valid_to")),
                name="gift_validity_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(kind=GiftKind.CONTRACT_SERVICE) & ~Q(contract_service=""))
                | (~Q(kind=GiftKind.CONTRACT_SERVICE) & Q(contract_service="")),
                name="gift_contract_service_iff_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=GiftKind.PHYSICAL) | Q(stock=0),
                name="gift_stock_only_physical",
            ),
        ]
        indexes = [models.Index(fields=["branch", "is_active"], name="gift_branch_active")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_low_stock(self) -> bool:
        return self.kind == GiftKind.PHYSICAL and self.stock <= self.low_stock_threshold


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", _("stock receipt")
    DISTRIBUTION = "distribution", _("distribution")
    CANCELLATION = "cancellation", _("cancellation")
    ADJUSTMENT = "adjustment", _("adjustment")


class LedgerQuerySet(models.QuerySet):
    """Ledger rows are never deleted (retention: 5 years after the policy ends)."""

    def delete(self):
        raise models.ProtectedError(_("Ledger rows cannot be deleted."), set(self))

    def update(self, **kwargs):
        raise models.ProtectedError(_("Ledger rows cannot be changed."), set(self))


class StockMovement(models.Model):
    gift = models.ForeignKey(
        Gift, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="movements"
    )
    quantity = models.IntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=16, choices=MovementReason.choices)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("Purchase order or invoice no.")
    )
    unit_cost = MoneyField(_("unit cost"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    stock_after = models.IntegerField(_("stock after"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    import_job = models.ForeignKey(
        "gifts.ImportJob",
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_movements",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_nonzero"),
            models.CheckConstraint(
                condition=~Q(reason=MovementReason.RECEIPT)
                | (Q(quantity__gt=0) & ~Q(reference="") & Q(unit_cost__isnull=False)),
                name="receipt_positive_with_reference_and_cost",
            ),
            models.CheckConstraint(
                condition=Q(stock_after__gte=0), name="movement_stock_after_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(reason=MovementReason.ADJUSTMENT) | ~Q(note=""),
                name="adjustment_has_note",
            ),
            # A receipt is identified by its document: booking it twice would double stock.
            models.UniqueConstraint(
                fields=["gift", "reference"],
                condition=Q(reason=MovementReason.RECEIPT),
                name="receipt_reference_once_per_gift",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gift.code} {self.quantity:+d} ({self.get_reason_display()})"

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(_("Ledger rows cannot be deleted."), {self})


class VoucherStatus(models.TextChoices):
    AVAILABLE = "available", _("available")
    ISSUED = "issued", _("issued")
    REDEEMED = "redeemed", _("redeemed")
    VOID = "void", _("void")
    EXPIRED = "expired", _("expired")


class VoucherCode(models.Model):
    gift = models.ForeignKey(
        Gift, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="vouchers"
    )
    code = models.CharField(_("voucher code"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.AVAILABLE
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("redeemed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Where the service was given and which vehicle was presented: the provider's word,
    # kept for disputes and the settlement statement.
    redeemed_place = models.CharField(_("redemption place"), max_length=100, blank=True)
    redeemed_plate = models.CharField(_("plate presented"), max_length=20, blank=True)
    import_job = models.ForeignKey(
        "gifts.ImportJob",
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vouchers",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Saves write a history row. Codes come in by bulk_create (no history rows: the
    # ImportJob they point to says who loaded them, when, from which file); issue is a
    # conditional update() recorded on the DistributionItem and its history; redemption is
    # a conditional update() that writes its own history row (distribution.services.redemption).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("voucher code")
        verbose_name_plural = _("voucher codes")
        ordering = ["gift", "code"]
        indexes = [
            models.Index(fields=["gift", "status"], name="voucher_gift_status"),
            # Hand-outs claim the earliest-expiring available codes of a gift.
            models.Index(
                fields=["gift", "expires_on", "id"],
                condition=Q(status="available"),
                name="voucher_available_claim",
            ),
            # A provider's redemption history, newest first.
            models.Index(
                fields=["gift", "-redeemed_at"],
                condition=Q(status="redeemed"),
                name="voucher_redeemed_time",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(code__gt=""), name="voucher_code_not_blank"),
            models.CheckConstraint(
                condition=~Q(status=VoucherStatus.REDEEMED) | Q(redeemed_at__isnull=False),
                name="voucher_redeemed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ImportKind(models.TextChoices):
    GIFTS = "gifts", _("gifts")
    STOCK = "stock", _("stock receipts")
    VOUCHERS = "vouchers", _("voucher codes")
    POLICIES = "policies", _("policies")
    PROVIDERS = "providers", _("providers")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("previewed")
    REJECTED = "rejected", _("rejected")
    COMMITTED = "committed", _("committed")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """One upload of one sheet: who, when, which file, what came of it."""

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    stored_file = models.CharField(_("stored file"), max_length=255, blank=True, editable=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"
