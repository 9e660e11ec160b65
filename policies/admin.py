from django.contrib import admin
from django.http import HttpResponseNotAllowed
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from giftplatform.access import sees_everything
from giftplatform.admin_exports import ExportAdminMixin
from giftplatform.admin_scoping import (
    EstimatedCountPaginator,
    ScopedAdminMixin,
    ScopedRelatedFieldListFilter,
)
from giftplatform.sheets.export import Column
from gifts.admin_imports import ImportAdminMixin
from gifts.models import ImportKind
from policies.masking import mask_id_number, mask_phone
from policies.models import PiiField, PiiReveal, Policy
from policies.selectors import policy_lookup_condition
from policies.services import REVEAL_PERMISSION, may_reveal_pii
from policies.views import reveal

# Shown masked on every change page (PIPL: minimum necessary), superusers included; users
# with policies.view_pii reveal one in full by giving a reason (logged as a PiiReveal).
PERSONAL_FIELDS = ["id_number", "phone"]
MASKED_FIELDS = ["masked_id_number", "masked_phone"]
REVEALABLE_FIELDS = ["revealable_id_number", "revealable_phone"]
# Exported masked as on screen; in full only to holders of policies.view_pii (the export
# itself is logged, with whether it carried them in full).
EXPORT_COLUMNS = [
    Column("policy_no"),
    Column("product"),
    Column("insured_name"),
    Column("id_number", mask=mask_id_number, full_with=REVEAL_PERMISSION),
    Column("phone", mask=mask_phone, full_with=REVEAL_PERMISSION),
    *map(Column, ["plate", "vin", "vehicle_type", "usage", "seats", "first_registration_date"]),
    *map(Column, ["is_new_car", "premium", "channel", "agent_code", "branch__name"]),
    *map(Column, ["issue_date", "start_date", "end_date", "status", "is_renewal", "source"]),
]


@admin.register(Policy)
class PolicyAdmin(ExportAdminMixin, ImportAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    import_kind = ImportKind.POLICIES
    export_columns = EXPORT_COLUMNS
    list_display = ["policy_no", "product", "insured_name", "masked_id_number", "masked_phone"]
    list_display += ["plate", "vin", "premium", "branch", "issue_date", "status"]
    list_select_related = ["branch"]
    list_filter = [
        "product",
        "status",
        ("branch", ScopedRelatedFieldListFilter),
        "is_new_car",
        "is_renewal",
    ]
    # Declared so the search box shows; get_search_results does the matching.
    search_fields = ["policy_no"]
    search_help_text = _("Policy no., plate, VIN, mobile or ID number, exactly as written.")
    # Only indexed orderings: a sort on another column would scan the whole table.
    sortable_by = ["policy_no", "issue_date"]
    show_full_result_count = False
    # Facet counts would COUNT the whole table once per filter choice.
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    autocomplete_fields = ["branch"]
    readonly_fields = ["source", "synced_at", "created_at", "updated_at"]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, policy):
        return mask_id_number(policy.id_number)

    @admin.display(description=_("mobile"))
    def masked_phone(self, policy):
        return mask_phone(policy.phone)

    def _with_reveal_link(self, policy, field, masked):
        if not getattr(policy, field):
            return masked or "—"
        url = reverse("admin:policies_policy_reveal", args=[policy.pk, field])
        return format_html(
            '{} <a href="{}" class="reveal-link" id="reveal-{}">{}</a>',
            masked,
            url,
            field,
            _("reveal (reason required)"),
        )

    # The read-only fields shown to users who may reveal: the mask plus a reveal link.
    @admin.display(description=_("ID number"))
    def revealable_id_number(self, policy):
        return self._with_reveal_link(policy, PiiField.ID_NUMBER, mask_id_number(policy.id_number))

    @admin.display(description=_("mobile"))
    def revealable_phone(self, policy):
        return self._with_reveal_link(policy, PiiField.PHONE, mask_phone(policy.phone))

    def get_urls(self):
        view = self.admin_site.admin_view(never_cache(self.reveal_view))
        return [
            path("<int:object_id>/reveal/<str:field>/", view, name="policies_policy_reveal"),
            *super().get_urls(),
        ]

    def reveal_view(self, request, object_id, field):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Reveal personal data"),
        }
        return reveal(
            request, object_id, field, template="policies/admin_reveal.html", extra=context
        )

    def get_search_results(self, request, queryset, search_term):
        """Exact equality on the one indexed field the text looks like: never a scan."""
        condition = policy_lookup_condition(search_term)
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False

    def _shows_full(self, request, obj) -> bool:
        """Only a superuser's add page has the fields in full (nothing stored to hide yet)."""
        return obj is None and sees_everything(request.user)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if self._shows_full(request, obj) else [*exclude, *PERSONAL_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._shows_full(request, obj):
            return readonly
        if obj is not None and may_reveal_pii(request.user):
            return [*readonly, *REVEALABLE_FIELDS]
        return [*readonly, *MASKED_FIELDS]


@admin.register(PiiReveal)
class PiiRevealAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The reveal log: read-only for everyone, superusers included (audit record)."""

    ledger = True
    list_display = ["created_at", "user", "policy", "field", "reason"]
    list_select_related = ["user", "policy"]
    list_filter = ["field"]
    date_hierarchy = "created_at"
    search_fields = ["policy__policy_no"]
    show_full_result_count = False
    fields = ["created_at", "user", "policy", "field", "reason"]
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
