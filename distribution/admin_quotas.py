"""Quotas admin: each pool's use in the current period, and four eyes on every widening.

A new quota is saved pending and submitted for approval; the limit of a live quota
changes through ``quota_change_limit`` (lower: at once; higher: an approver confirms).
What a quota counts (basis, period, scope) is fixed once it is in effect.
"""

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from distribution import loaders
from distribution.admin_common import (
    ConfirmPagesMixin,
    NoDeleteMixin,
    OwnedByBranchAdminMixin,
    change_url,
)
from distribution.forms import QuotaAdminForm
from distribution.models import (
    ChangeRequest,
    ChangeStatus,
    Quota,
    QuotaBasis,
    QuotaStatus,
    QuotaUsage,
)
from distribution.quota_math import format_money, format_units
from distribution.services import quota_change_limit, quota_request_activation
from giftplatform.admin_scoping import (
    ReadOnlyInlineMixin,
    ScopedAdminMixin,
    ScopedRelatedFieldListFilter,
)
from giftplatform.admin_sharing import ObjectPermissionsAdminMixin

RECENT_PERIODS = 24
# What an approved quota counts; changing it would widen the quota without approval.
FIXED_WHEN_APPROVED = ["code", "basis", "period", "branch", "scope_branch", "scope_rule_code"]
FIXED_WHEN_APPROVED += ["scope_gift", "scope_product"]


def attach_usage(quotas, now) -> None:
    """Set ``_used`` on each pool (its use this period) with one query for all of them."""
    pools = {q.pk: q.period for q in quotas if q.is_pool}
    used = loaders.pool_usage(pools, now) if pools else {}
    for quota in quotas:
        quota._used = used.get(quota.pk, Decimal(0)) if quota.is_pool else None


def show_amount(quota: Quota, amount: Decimal) -> str:
    if quota.basis == QuotaBasis.GIFT_AMOUNT:
        return format_money(amount)
    if quota.basis == QuotaBasis.PREMIUM_RATIO:
        return f"{format_units(amount)}%"
    return format_units(amount)


def use_percent(quota: Quota) -> Decimal:
    if quota.limit <= 0:
        return Decimal(100) if quota._used > 0 else Decimal(0)
    return quota._used * 100 / quota.limit


def use_badge(quota: Quota):
    if not quota.is_pool:
        return "—"
    percent = use_percent(quota)
    shown = f"{percent:.0f}%"
    if percent >= 100:
        style, label = "background:#ba2121;color:#fff", _("used up")
    elif percent >= quota.warn_percent:
        style, label = "background:#e6a700;color:#000", _("warning")
    else:
        return shown
    return format_html(
        '<span class="quota-badge" style="{};padding:1px 6px;border-radius:8px" title="{}">'
        "⚠ {}</span>",
        style,
        label,
        shown,
    )


class QuotaChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        attach_usage(self.result_list, timezone.now())


class RecentUsageFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[:RECENT_PERIODS]
        return self._queryset


class QuotaUsageInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = QuotaUsage
    formset = RecentUsageFormSet
    fields = readonly_fields = ["period_start", "used", "updated_at"]
    verbose_name_plural = gettext_lazy("use by period (latest first)")


@admin.register(Quota)
class QuotaAdmin(
    OwnedByBranchAdminMixin,
    NoDeleteMixin,
    ConfirmPagesMixin,
    ObjectPermissionsAdminMixin,
    ScopedAdminMixin,
    admin.ModelAdmin,
):
    form = QuotaAdminForm
    list_display = ["code", "name", "basis", "period", "limit_shown", "status", "scope"]
    list_display += ["used_remaining", "use", "branch"]
    list_select_related = ["branch", "scope_branch", "scope_gift"]
    list_filter = ["status", "basis", "period", ("branch", ScopedRelatedFieldListFilter)]
    search_fields = ["code", "name"]
    autocomplete_fields = ["scope_gift"]
    inlines = [QuotaUsageInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "basis", "period", "limit", "warn_percent"]}),
        (
            gettext_lazy("Counts hand-outs of"),
            {"fields": ["scope_branch", "scope_rule_code", "scope_gift", "scope_product"]},
        ),
        (None, {"fields": ["branch"]}),
    ]
    record_fields = ["status", "current_use", "pending_change", "created_by", "created_at"]

    def get_changelist(self, request, **kwargs):
        return QuotaChangeList

    @admin.display(description=gettext_lazy("applies to"))
    def scope(self, quota):
        parts = [
            str(quota.scope_branch) if quota.scope_branch_id else "",
            quota.scope_rule_code,
            str(quota.scope_gift) if quota.scope_gift_id else "",
            quota.get_scope_product_display() if quota.scope_product else "",
        ]
        return " · ".join(p for p in parts if p) or _("all hand-outs")

    @admin.display(description=gettext_lazy("limit"), ordering="limit")
    def limit_shown(self, quota):
        return show_amount(quota, quota.limit)

    @admin.display(description=gettext_lazy("used / remaining this period"))
    def used_remaining(self, quota):
        if not quota.is_pool:
            return "—"
        left = max(quota.limit - quota._used, Decimal(0))
        return f"{show_amount(quota, quota._used)} / {show_amount(quota, left)}"

    @admin.display(description=gettext_lazy("use"))
    def use(self, quota):
        return use_badge(quota)

    @admin.display(description=gettext_lazy("this period"))
    def current_use(self, quota):
        if not quota.is_pool:
            return _("counted per policy")
        attach_usage([quota], timezone.now())
        return format_html(
            "{} / {} · {} {}",
            show_amount(quota, quota._used),
            show_amount(quota, quota.limit),
            use_badge(quota),
            _("(warning at %(percent)s%%)") % {"percent": format_units(quota.warn_percent)},
        )

    @admin.display(description=gettext_lazy("awaiting approval"))
    def pending_change(self, quota):
        changes = ChangeRequest.objects.filter(quota=quota, status=ChangeStatus.PENDING)
        rows = [
            (
                change_url(c),
                c.get_kind_display(),
                show_amount(quota, c.old_limit) if c.old_limit is not None else "—",
                show_amount(quota, c.new_limit) if c.new_limit is not None else "—",
                c.maker or "—",
            )
            for c in changes.select_related("maker")
        ]
        if not rows:
            return "—"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>: {} → {} ({})', rows)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((gettext_lazy("Record"), {"fields": self.record_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = list(self.record_fields)
        if obj.status == QuotaStatus.RETIRED:
            readonly += ["name", "limit", "warn_percent"]
        if obj.status != QuotaStatus.PENDING:
            readonly += FIXED_WHEN_APPROVED
        return readonly

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.is_pool else []

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.status = QuotaStatus.PENDING
            super().save_model(request, obj, form, change)
            quota_request_activation(actor=request.user, quota=obj)
            self.message_user(
                request,
                _("The quota counts once an approver confirms it."),
                messages.WARNING,
            )
            return
        if "limit" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        new_limit, obj.limit = obj.limit, form.initial["limit"]
        super().save_model(request, obj, form, change)
        try:
            pending = quota_change_limit(actor=request.user, quota=obj, new_limit=new_limit)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return
        obj.refresh_from_db(fields=["limit"])
        params = {"new": show_amount(obj, new_limit), "old": show_amount(obj, obj.limit)}
        if pending is not None:
            message = _(
                "Raising the limit to %(new)s waits for an approver; until then it stays %(old)s."
            )
            self.message_user(request, message % params, messages.WARNING)
        elif obj.status == QuotaStatus.PENDING:
            message = _("The pending quota's limit is now %(new)s; it counts once approved.")
            self.message_user(request, message % params, messages.INFO)
        else:
            message = _("The limit is lowered to %(new)s, in effect now.")
            self.message_user(request, message % params, messages.SUCCESS)
