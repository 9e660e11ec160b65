from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from giftplatform.models import Branch
from giftplatform.money import MoneyField


class Product(models.TextChoices):
    CTPL = "ctpl", _("CTPL (compulsory)")
    COMMERCIAL = "commercial", _("commercial")


class PolicyStatus(models.TextChoices):
    IN_FORCE = "in_force", _("in force")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


class PolicySource(models.TextChoices):
    IMPORT = "import", _("sheet import")
    CORE = "core", _("core policy system")
    MANUAL = "manual", _("entered by hand")


class Policy(models.Model):
    """A car policy (保单). Identifiers are stored normalized (upper case, no spaces)."""

    policy_no = models.CharField(_("policy no."), max_length=40)
    product = models.CharField(_("product"), max_length=12, choices=Product.choices)
    insured_name = models.CharField(_("insured"), max_length=100)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    phone = models.CharField(_("mobile"), max_length=11, blank=True)
    plate = models.CharField(_("plate"), max_length=10, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    vehicle_type = models.CharField(_("vehicle type"), max_length=40, blank=True)
    usage = models.CharField(_("usage"), max_length=40, blank=True)
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    first_registration_date = models.DateField(_("first registration"), null=True, blank=True)
    is_new_car = models.BooleanField(_("new car"), default=False)
    premium = MoneyField(_("premium"))
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    agent_code = models.CharField(_("agent code"), max_length=40, blank=True)
    # Indexed by policy_branch_issued, which leads with the branch.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="policies",
        db_index=False,
    )
    issue_date = models.DateField(_("issue date"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.IN_FORCE
    )
    is_renewal = models.BooleanField(_("renewal"), default=False)
    # Uses of the value-added service clause, e.g. {"road_rescue": 7, "inspection_on_behalf": 1}.
    contract_services = models.JSONField(_("contract services"), default=dict, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=PolicySource.choices, default=PolicySource.IMPORT
    )
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-issue_date", "-id"]
        permissions = [("view_pii", _("Can reveal ID numbers and mobiles, giving a reason"))]
        # Look-ups are exact (policies.selectors): plain b-tree indexes, no LIKE indexes,
        # which would only slow every import down.
        indexes = [
            models.Index(fields=["branch", "-issue_date"], name="policy_branch_issued"),
            models.Index(fields=["-issue_date", "-id"], name="policy_issued_order"),
            models.Index(fields=["id_number"], name="policy_id_number"),
            models.Index(fields=["phone"], name="policy_phone"),
            models.Index(fields=["plate"], name="policy_plate"),
            models.Index(fields=["vin"], name="policy_vin"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["policy_no"], name="policy_no_unique"),
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")), name="policy_start_before_end"
            ),
            models.CheckConstraint(condition=Q(premium__gte=0), name="policy_premium_gte_0"),
            models.CheckConstraint(condition=Q(policy_no__gt=""), name="policy_no_not_blank"),
            models.CheckConstraint(
                condition=Q(product__in=Product.values), name="policy_product_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PolicyStatus.values), name="policy_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.policy_no


class PiiField(models.TextChoices):
    ID_NUMBER = "id_number", _("ID number")
    PHONE = "phone", _("mobile")


class PiiReveal(models.Model):
    """One look at a policy's personal data in full: who, when, which field, and why (PIPL)."""

    policy = models.ForeignKey(
        Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="pii_reveals"
    )
    field = models.CharField(_("field"), max_length=10, choices=PiiField.choices)
    reason = models.CharField(_("reason given"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal data reveal")
        verbose_name_plural = _("personal data reveals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="pii_reveal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.field}"

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(_("Audit rows cannot be deleted."), {self})
