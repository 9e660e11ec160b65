from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from giftplatform import admin_axes  # noqa: F401 - registers the sign-in admin
from giftplatform.access import (
    grantable_groups,
    manages_provider_users,
    restrict,
    sees_everything,
)
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter
from giftplatform.models import Branch, User
from giftplatform.roles import role_label
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


class RoleChoiceField(forms.ModelMultipleChoiceField):
    """Role groups, shown by their label in the active language."""

    def label_from_instance(self, obj):
        return role_label(obj.name)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    """Users within reach of the acting user (``restrict`` on users).

    Nobody grants a role wider than their own permissions; non-superusers never see
    ``is_superuser`` or per-user permissions, and ``is_staff`` follows the kind of user
    (staff with a branch: yes; provider portal users: no).
    """

    list_display = [
        "username",
        "full_name",
        "branch",
        "provider",
        "roles",
        "is_staff",
        "is_active",
    ]
    list_select_related = ["branch", "provider"]
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
        (_("Branch or provider"), {"fields": ("branch", "provider")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
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
                    "provider",
                    "groups",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # Only a superuser hands out superuser rights and per-user permissions.
    superuser_only_fields = ("is_superuser", "user_permissions")

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return "、".join(role_label(group.name) for group in obj.groups.all())

    def scoped_queryset(self, request, action):
        queryset = DjangoUserAdmin.get_queryset(self, request).prefetch_related("groups")
        return restrict(queryset, request.user, action)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if sees_everything(request.user):
            return fieldsets
        hidden = set(self.superuser_only_fields)
        if not manages_provider_users(request.user):
            hidden.add("provider")
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not sees_everything(request.user):
            readonly.append("is_staff")
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = grantable_groups(request.user).order_by("pk")
            kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
            kwargs["form_class"] = RoleChoiceField
            kwargs["required"] = False
            return db_field.formfield(**kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (UserScopeFormMixin, form), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        if not sees_everything(request.user):
            obj.is_staff = obj.branch_id is not None
        super().save_model(request, obj, form, change)


class UserScopeFormMixin:
    """Branch or provider as the actor may give them; roles kept that the actor cannot give."""

    actor = None

    def clean(self):
        cleaned = super().clean()
        branch, provider = cleaned.get("branch"), cleaned.get("provider")
        if branch and provider:
            raise forms.ValidationError(_("A user belongs to a branch or to a provider, not both."))
        missing = not branch and not provider and not self.has_error("branch")
        if missing and not sees_everything(self.actor):
            where = "branch" if "branch" in self.fields else None
            self.add_error(where, _("Choose a branch within your own subtree."))
        return cleaned

    def clean_groups(self):
        chosen = self.cleaned_data.get("groups")
        if chosen is None or not self.instance.pk:
            return chosen
        # Roles the actor cannot give are not offered, and not taken away either.
        grantable = self.fields["groups"].queryset
        kept = self.instance.groups.exclude(pk__in=grantable.values("pk"))
        return Group.objects.filter(
            pk__in=[*chosen.values_list("pk", flat=True), *kept.values_list("pk", flat=True)]
        )
