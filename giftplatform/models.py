from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class BranchQuerySet(models.QuerySet):
    def subtree(self, branch: "Branch") -> "BranchQuerySet":
        """The branch and everything below it: one indexed prefix condition."""
        return self.filter(path__startswith=branch.path)


class Branch(models.Model):
    """An organisation unit (机构). ``path`` is the materialized path ``4403/440304/``."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]
        # The audit page (/audit/): a decision of its own, not implied by reading the rows.
        permissions = [("view_audit_trail", _("Can read the audit trail"))]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%'.
            models.Index(
                fields=["path"], name="branch_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(path__endswith="/") & models.Q(path__gt=""),
                name="branch_path_shape",
            ),
            models.CheckConstraint(condition=models.Q(code__gt=""), name="branch_code_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def is_within(self, other: "Branch") -> bool:
        return self.path.startswith(other.path)


class User(AbstractUser):
    """A staff member (home branch) or a provider's portal user (provider); never both.

    ``provider`` is a string reference to ``suppliers.Provider``: suppliers sits above
    giftplatform in the layering, so this module does not import it.
    """

    branch = models.ForeignKey(
        Branch,
        verbose_name=_("home branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    provider = models.ForeignKey(
        "suppliers.Provider",
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("For supplier and service-provider portal users; leave empty for staff."),
    )
    full_name = models.CharField(_("full name"), max_length=50, blank=True)

    # Who changed a user's branch, roles-bearing flags or activity, and when; the password
    # hash and the last-login stamp stay out of the audit table.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(branch__isnull=True) | models.Q(provider__isnull=True),
                name="user_branch_or_provider",
                violation_error_message=_("A user belongs to a branch or to a provider, not both."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args, **kwargs):
        # A sign-in only stamps last_login: not a change worth an audit row.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not set(update_fields) <= {"last_login"}:
            return super().save(*args, **kwargs)
        self.skip_history_when_saving = True  # simple-history checks only that it exists
        try:
            return super().save(*args, **kwargs)
        finally:
            # pop, not del: one user object may sign in on two threads at once (tests do).
            self.__dict__.pop("skip_history_when_saving", None)


class AuditRowQuerySet(models.QuerySet):
    def delete(self):
        raise models.ProtectedError(_("Audit rows cannot be deleted."), set(self))


class ExportLog(models.Model):
    """One sheet exported from an admin list: who, when, which list, filters and rows (PIPL).

    Written once and never changed; its history row puts it on the audit page (/audit/),
    scoped there by ``branch``: the exporter's home branch at the time.
    """

    user = models.ForeignKey(
        "giftplatform.User", verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    model_label = models.CharField(_("list"), max_length=100)
    filters = models.TextField(_("filters"), blank=True)
    query_string = models.TextField(_("query string"), blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    full_personal_data = models.BooleanField(_("ID numbers and mobiles in full"), default=False)
    full_voucher_codes = models.BooleanField(_("voucher codes in full"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = AuditRowQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_label} ({self.row_count})"

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(_("Audit rows cannot be deleted."), {self})


class ObjectPermissionChange(models.Model):
    """One grant or revocation of a guardian object permission: who, when, what (invariant 8).

    Guardian's own tables keep no history, so ``giftplatform.sharing`` writes one of these
    beside every change it makes. Append-only. Only ``kind`` and ``description`` are
    editable fields, so the audit page shows them and not the raw keys.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", _("granted")
        REVOKE = "revoke", _("revoked")

    kind = models.CharField(_("grant or revoke"), max_length=8, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)
    user = models.ForeignKey(
        "giftplatform.User",
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="object_permission_changes",
        editable=False,
    )
    permission = models.ForeignKey(
        "auth.Permission", verbose_name=_("permission"), on_delete=models.PROTECT, editable=False
    )
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("object type"),
        on_delete=models.PROTECT,
        editable=False,
    )
    object_pk = models.CharField(_("object id"), max_length=255, editable=False)
    # The object's branch when the change was made (None: a row for every branch): the
    # audit page scopes these records like the objects themselves.
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    actor = models.ForeignKey(
        "giftplatform.User",
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = AuditRowQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("object permission change")
        verbose_name_plural = _("object permission changes")
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)
        permissions = [
            ("grant_object_permission", _("Can grant and revoke object permissions")),
        ]
        indexes = [models.Index(fields=["content_type", "object_pk"], name="objperm_change_object")]

    def __str__(self) -> str:
        return self.description

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(_("Audit rows cannot be deleted."), {self})
