from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from giftplatform.access import sees_everything
from giftplatform.admin_scoping import (
    EstimatedCountPaginator,
    ScopedAdminMixin,
    ScopedRelatedFieldListFilter,
)
from gifts.admin_imports import ImportAdminMixin
from gifts.models import ImportKind
from policies.masking import mask_id_number, mask_phone
from policies.models import Policy
from policies.selectors import policy_lookup_condition

# Shown masked to staff (PIPL: minimum necessary); the reveal-with-reason flow comes later.
PERSONAL_FIELDS = ["id_number", "phone"]


@admin.register(Policy)
class PolicyAdmin(ImportAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    import_kind = ImportKind.POLICIES
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

    def get_search_results(self, request, queryset, search_term):
        """Exact equality on the one indexed field the text looks like: never a scan."""
        condition = policy_lookup_condition(search_term)
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if sees_everything(request.user) else [*exclude, *PERSONAL_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not sees_everything(request.user):
            readonly += ["masked_id_number", "masked_phone"]
        return readonly
