from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from giftplatform.models import Branch
from gifts.models import GiftCategory

from .quotas import Quota
from .rules import Rule


class BatchStatus(models.TextChoices):
    # A real run waits for a second person (four eyes); a dry run starts at PENDING.
    AWAITING_APPROVAL = "awaiting", _("awaiting approval")
    REJECTED = "rejected", _("rejected")
    PENDING = "pending", _("ready to start")
    RUNNING = "running", _("running")
    STOPPED = "stopped", _("stopped (can be resumed)")
    COMPLETED = "completed", _("completed")
    FAILED = "failed", _("failed")


class BatchRun(models.Model):
    """One rule handed out over many policies, in chunks; resumable from ``last_policy_id``.

    A real run is made by one person (``created_by``) and waits in AWAITING_APPROVAL
    until a second person with ``approve_batchrun`` approves it (``checker``); a dry run
    writes nothing and needs no approval.
    """

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="batch_runs"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch subtree"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_from = models.DateField(_("policies issued from"), null=True, blank=True)
    issued_to = models.DateField(_("policies issued until"), null=True, blank=True)
    dry_run = models.BooleanField(pgettext_lazy("batch run", "dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    stop_requested = models.BooleanField(_("stop requested"), default=False)
    total = models.PositiveIntegerField(_("policies in scope"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    distributed = models.PositiveIntegerField(_("handed out"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    last_policy_id = models.BigIntegerField(_("resume after policy id"), default=0)
    # {"refusals": {reason: count}, "gifts": {code: units}, "quotas": {code: amount}, ...}
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch run")
        verbose_name_plural = _("batch runs")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_batchrun", _("Can approve batch runs"))]
        constraints = [
            # The maker never checks their own run.
            models.CheckConstraint(
                condition=Q(checker__isnull=True) | ~Q(checker=models.F("created_by")),
                name="batchrun_checker_not_maker",
            ),
            # A decision always says who and when.
            models.CheckConstraint(
                condition=Q(checker__isnull=True, decided_at__isnull=True)
                | Q(checker__isnull=False, decided_at__isnull=False),
                name="batchrun_decision_who_and_when",
            ),
            # Only a real run is decided on: a dry run writes nothing.
            models.CheckConstraint(
                condition=Q(dry_run=False) | Q(checker__isnull=True),
                name="batchrun_dry_run_not_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.rule.code}"

    @property
    def progress_percent(self) -> int:
        return int(self.processed * 100 / self.total) if self.total else 0


class ChangeKind(models.TextChoices):
    ACTIVATE_RULE = "activate_rule", _("activate a rule")
    ACTIVATE_QUOTA = "activate_quota", _("put a new quota into effect")
    RAISE_QUOTA = "raise_quota", _("raise a quota")
    ENABLE_CASH_CATEGORY = "enable_cash", _("allow a cash-equivalent category")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class ChangeRequest(models.Model):
    """A change that takes effect only when a second person approves it (four eyes)."""

    kind = models.CharField(_("change"), max_length=16, choices=ChangeKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.PROTECT
    )
    quota = models.ForeignKey(
        Quota, verbose_name=_("quota"), null=True, blank=True, on_delete=models.PROTECT
    )
    category = models.ForeignKey(
        GiftCategory,
        verbose_name=_("gift category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    # The branch whose subtree the change belongs to (for scoping); empty = platform-wide.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    new_limit = models.DecimalField(
        _("new limit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    old_limit = models.DecimalField(
        _("old limit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("change awaiting approval")
        verbose_name_plural = _("changes awaiting approval")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_changerequest", _("Can approve changes of others"))]
        constraints = [
            # The maker never checks their own change.
            models.CheckConstraint(
                condition=Q(checker__isnull=True) | ~Q(checker=models.F("maker")),
                name="change_checker_not_maker",
            ),
            models.UniqueConstraint(
                fields=["kind", "rule"],
                condition=Q(status="pending") & Q(rule__isnull=False),
                name="change_one_pending_per_rule",
            ),
            models.UniqueConstraint(
                fields=["quota"],
                condition=Q(status="pending") & Q(quota__isnull=False),
                name="change_one_pending_per_quota",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(status="pending") & Q(category__isnull=False),
                name="change_one_pending_per_category",
            ),
        ]

    def __str__(self) -> str:
        target = self.rule or self.quota or self.category
        return f"{self.get_kind_display()}: {target}"
