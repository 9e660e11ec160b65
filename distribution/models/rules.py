from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from giftplatform.models import Branch
from giftplatform.money import MoneyField
from gifts.models import Gift


class RuleStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    CLOSED = "closed", _("closed")


class TaxTreatment(models.TextChoices):
    """Who pays tax on the gift (DESIGN.md, Compliance)."""

    SALE = "sale", _("tied to the policy sale (not taxed)")
    CASUAL = "casual", _("event or random draw (casual income, 20% withheld)")


class Rule(models.Model):
    """A distribution rule (分发规则). Each version is its own row; ``code`` names the lineage."""

    code = models.CharField(_("rule code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("previous version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RuleStatus.choices,
        default=RuleStatus.DRAFT,
        editable=False,
    )
    # The branch whose staff manage the rule; empty = platform-wide (top-level staff).
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("owning branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_rules",
    )
    target_branches = models.ManyToManyField(
        Branch,
        verbose_name=_("for branches"),
        blank=True,
        related_name="+",
        help_text=_(
            "Each branch with everything below it. Empty: the owning branch and everything"
            " below it (every branch for a platform-wide rule)."
        ),
    )
    starts_at = models.DateTimeField(_("hand out from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("hand out until"), null=True, blank=True)
    issued_from = models.DateField(_("policies issued from"), null=True, blank=True)
    issued_to = models.DateField(_("policies issued until"), null=True, blank=True)
    priority = models.IntegerField(
        _("priority"), default=100, help_text=_("Higher priorities are considered first.")
    )
    exclusive = models.BooleanField(
        _("exclusive"), default=False, help_text=_("A match stops every lower-priority rule.")
    )
    max_per_policy = models.PositiveSmallIntegerField(_("max distributions per policy"), default=1)
    approval_threshold = MoneyField(
        _("approval threshold"),
        null=True,
        blank=True,
        help_text=_("Hand-outs worth more than this (face value) wait for an approver."),
    )
    all_policies = models.BooleanField(
        _("all policies"),
        default=False,
        help_text=_("Required for a rule without conditions: it then applies to every policy."),
    )
    tax_treatment = models.CharField(
        _("tax treatment"), max_length=8, choices=TaxTreatment.choices, default=TaxTreatment.SALE
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
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[target_branches])

    class Meta:
        verbose_name = _("distribution rule")
        verbose_name_plural = _("distribution rules")
        ordering = ["-priority", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rule_code_version_unique"),
            # One live version per code: the others are drafts or closed.
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(status__in=["active", "paused"]),
                name="rule_one_live_version",
            ),
            models.CheckConstraint(condition=Q(code__gt=""), name="rule_code_not_blank"),
            models.CheckConstraint(condition=Q(max_per_policy__gte=1), name="rule_max_gte_1"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(starts_at__lte=F("ends_at")),
                name="rule_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(issued_from__isnull=True)
                | Q(issued_to__isnull=True)
                | Q(issued_from__lte=F("issued_to")),
                name="rule_issue_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RuleStatus.values), name="rule_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "-priority"], name="rule_status_priority")]

    def __str__(self) -> str:
        suffix = f" v{self.version}" if self.version > 1 else ""
        return f"{self.code}{suffix} {self.name}"

    def reach_paths(self) -> tuple[str, ...]:
        """Roots of the branch subtrees whose policies the rule is for: its target branches,
        or else its owner's subtree; () = every branch (a platform-wide rule).

        A branch's rule never reaches a sibling's counter or spends a sibling's stock.
        Reads ``target_branches`` (prefetch it) and ``branch`` (select it) for lists.
        """
        targets = tuple(branch.path for branch in self.target_branches.all())
        if targets:
            return targets
        return (self.branch.path,) if self.branch_id else ()


class RuleCondition(models.Model):
    """One test over a policy attribute; rows of one group are ANDed, groups are ORed."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="conditions"
    )
    group = models.PositiveSmallIntegerField(
        _("group"), default=1, help_text=_("Same group: all must hold. Any group may hold.")
    )
    attribute = models.CharField(_("policy attribute"), max_length=32)
    operator = models.CharField(_("operator"), max_length=12)
    value = models.JSONField(_("value"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["rule", "group", "id"]

    def __str__(self) -> str:
        return f"{self.attribute} {self.operator} {self.value}"


class RuleReward(models.Model):
    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="rewards"
    )
    gift = models.ForeignKey(Gift, verbose_name=_("gift"), on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    option_group = models.CharField(
        _("choose-one group"),
        max_length=20,
        blank=True,
        help_text=_("Rewards with the same group label: the customer picks one. Empty: given."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["rule", "option_group", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="reward_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.gift} × {self.quantity}"
