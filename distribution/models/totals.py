"""Running totals of live hand-outs per local day, branch and rule (for statistics).

One row per (day in Asia/Shanghai, branch, rule code) holds the live hand-outs of that
day there: how many, their units, face value and cost. It is written in the same
transaction as the hand-outs it counts (``distribution.services.totals``): a hand-out
adds itself when written and takes itself away when cancelled or rejected, so the rows
always equal a sum over the live ``Distribution`` rows (a test holds them to it). Statuses
within "live" do not matter here; questions by status read the hand-outs themselves.

The facet totals do the same per gift line attribute (gift, category, kind, provider) and
per hand-out attribute (product, channel, agent, vehicle type, status), per local day and per
local month: a hand-out counts once under each value its lines hold. The attributes are
fixed when the gift is handed out (the gift's category and kind are copied onto the
item, the policy's product, channel, agent and vehicle type onto the hand-out), so a
later edit of a gift or a policy never makes them stale.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from giftplatform.models import Branch


class BranchTotal(models.Model):
    """What every running total holds: a branch's live hand-outs and their sums."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    distributions = models.IntegerField(_("distributions"), default=0)
    units = models.BigIntegerField(_("units"), default=0)
    value = models.DecimalField(_("face value"), max_digits=16, decimal_places=2, default=0)
    cost = models.DecimalField(_("cost"), max_digits=16, decimal_places=2, default=0)

    class Meta:
        abstract = True
        default_permissions = ("view",)


class HandoutDayTotal(BranchTotal):
    day = models.DateField(_("day"))
    rule_code = models.CharField(_("rule code"), max_length=40)

    class Meta(BranchTotal.Meta):
        verbose_name = _("daily hand-out total")
        verbose_name_plural = _("daily hand-out totals")
        constraints = [
            # No CHECK (distributions >= 0): both databases check the row an upsert
            # proposes before they find the conflict, and a removal proposes -1.
            models.UniqueConstraint(
                fields=["day", "branch", "rule_code"], name="handout_day_total_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.branch_id} {self.rule_code}"


class Facet(models.TextChoices):
    """The attributes the facet totals are kept for (item field in comments)."""

    GIFT = "gift", _("gift")  # gift_id
    CATEGORY = "category", _("gift category")  # category_id ("" when none)
    KIND = "kind", _("gift kind")  # kind
    PROVIDER = "provider", _("provider")  # provider_id
    # The hand-out's own, copied from its policy when handed out.
    PRODUCT = "product", _("product")
    CHANNEL = "channel", _("channel")
    AGENT = "agent", _("agent code")
    VEHICLE_TYPE = "vehicle_type", _("vehicle type")
    # Changes once at most among the live ones: approval moves it (see the services).
    STATUS = "status", _("distribution status")


class FacetTotal(BranchTotal):
    """Live hand-outs of one branch and period holding a line with ``facet`` = ``key``."""

    facet = models.CharField(_("facet"), max_length=12, choices=Facet.choices)
    key = models.CharField(_("value"), max_length=40)

    class Meta(BranchTotal.Meta):
        abstract = True

    def __str__(self) -> str:
        return f"{self.branch_id} {self.facet}={self.key}"


class HandoutDayFacet(FacetTotal):
    day = models.DateField(_("day"))

    class Meta(FacetTotal.Meta):
        verbose_name = _("daily hand-out facet total")
        verbose_name_plural = _("daily hand-out facet totals")
        # Facet first: a question reads one facet's rows over a span of days.
        constraints = [
            models.UniqueConstraint(
                fields=["facet", "day", "branch", "key"], name="handout_day_facet_key"
            ),
        ]


class HandoutMonthFacet(FacetTotal):
    month = models.DateField(_("month"))  # its first day

    class Meta(FacetTotal.Meta):
        verbose_name = _("monthly hand-out facet total")
        verbose_name_plural = _("monthly hand-out facet totals")
        constraints = [
            models.UniqueConstraint(
                fields=["facet", "month", "branch", "key"], name="handout_month_facet_key"
            ),
        ]


# The attribute a reach row is kept for besides the line facets: the hand-out itself
# (one row per live hand-out, key ""), for the policies reached in all.
REACH_ALL = "all"


class HandoutReach(models.Model):
    """One live hand-out under one value of a line attribute (``facet`` = ``key``, or
    ``REACH_ALL``), with the local day of the same policy's previous live hand-out under
    that value (hand-outs in (day, id) order). The policies reached from ``a`` to ``b``
    under a value are then counted, not de-duplicated: the rows of those days whose
    previous day is before ``a`` (or none), one per policy. That holds within one
    branch; a policy whose live hand-outs lie in more than one branch (``spans``, rare)
    is counted by a distinct count of its rows instead. Kept by the writers in their
    transaction (``distribution.services.reach``) and held to the lines by a test."""

    facet = models.CharField(_("facet"), max_length=12)
    key = models.CharField(_("value"), max_length=40)
    day = models.DateField(_("day"))
    # No index of their own on the references (the table grows by several rows per
    # hand-out): the policy's is declared below, the hand-out's leads the unique key.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Plain references: these rows follow their hand-outs and never hold them back.
    policy = models.ForeignKey(
        "policies.Policy",
        verbose_name=_("policy"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    distribution = models.ForeignKey(
        "distribution.Distribution",
        verbose_name=_("distribution"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    previous_day = models.DateField(_("previous day"), null=True)
    spans = models.BooleanField(_("in several branches"), default=False)

    class Meta:
        default_permissions = ("view",)
        verbose_name = _("hand-out reach")
        verbose_name_plural = _("hand-out reach")
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "facet", "key"], name="handout_reach_key"
            ),
        ]
        indexes = [
            # A question reads one facet's rows over a span of days (covering, on
            # PostgreSQL: the count reads the index alone).
            models.Index(
                fields=["facet", "day"],
                include=["key", "branch", "previous_day", "spans", "policy"],
                name="handout_reach_days",
            ),
            # The few rows counted the plain way, read apart.
            models.Index(
                fields=["facet", "day"],
                include=["key", "branch", "policy"],
                condition=models.Q(spans=True),
                name="handout_reach_spanning",
            ),
            # A writer re-chains the rows of the policies it touched.
            models.Index(fields=["policy"], name="handout_reach_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.distribution_id} {self.facet}={self.key}"
