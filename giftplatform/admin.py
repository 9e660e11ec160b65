from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from giftplatform.access import branches_for, sees_everything
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter
from giftplatform.models import Branch, User
from giftplatform.services import branch_save


class BranchAdminForm(forms.ModelForm):
    class Meta:
        model = Branch
        fields = ["code", "name", "parent", "is_active"]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        branch = self.instance
        if parent is not None and branch.pk and parent.is_within(branch):
            raise forms.ValidationError(_("A branch cannot be moved below itself."))
        return parent


@admin.register(Branch)
class BranchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = BranchAdminForm
    list_display = ["code", "name", "parent", "path", "is_active"]
    list_select_related = ["parent"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    ordering = ["path"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # branch_save keys branches by code: a changed code would make a new branch.
        return ["code", "path"] if obj else ["path"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "parent" in form.base_fields and not sees_everything(request.user):
            # A new root would fall outside the creator's own subtree.
            form.base_fields["parent"].required = True
        return form

    def save_model(self, request, obj, form, change):
        # The service keeps the materialized paths of the whole subtree in step.
        saved, _created = branch_save(
            code=obj.code, name=obj.name, parent=obj.parent, is_active=obj.is_active
        )
        obj.pk, obj.path, obj.depth = saved.pk, saved.path, saved.depth


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "full_name", "email", "branch", "is_staff", "is_active"]
    list_select_related = ["branch"]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        ("branch", ScopedRelatedFieldListFilter),
        "groups",
    ]
    search_fields = ["username", "full_name", "email"]
    autocomplete_fields = ["branch"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "first_name", "last_name", "email")}),
        (_("Branch"), {"fields": ("branch",)}),
        *DjangoUserAdmin.fieldsets[2:],
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "branch",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # Only a platform admin hands out superuser rights, roles and permissions.
    escalation_fields = ["is_superuser", "groups", "user_permissions"]

    def scoped_queryset(self, request, action):
        queryset = super().scoped_queryset(request, action)
        if sees_everything(request.user):
            return queryset
        # Staff manage the users of their own subtree, never a superuser.
        return queryset.filter(branch__in=branches_for(request.user), is_superuser=False)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not sees_everything(request.user):
            readonly += self.escalation_fields
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "branch" in form.base_fields and not sees_everything(request.user):
            form.base_fields["branch"].required = True
        return form
