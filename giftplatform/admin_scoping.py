"""What every ModelAdmin of the platform shares: rows, choices and filters go through
``giftplatform.access.restrict``, so the admin never shows or accepts a row outside
the user's scope, and an out-of-scope id answers exactly like a missing one."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.functional import cached_property

from giftplatform.access import (
    granted,
    holds_object_permissions,
    may,
    restrict,
    role_permits,
    sees_everything,
)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def _action_for(request) -> str:
    """The access action a request performs on the object it names."""
    if request.method in SAFE_METHODS:
        return "view"
    match = getattr(request, "resolver_match", None)
    if match is not None and (match.url_name or "").endswith("_delete"):
        return "delete"
    return "change"


def _posted_action(request) -> str | None:
    """The name of the changelist action posted (Django's own choice of the two forms)."""
    try:
        index = int(request.POST.get("index", 0))
    except ValueError:
        index = 0
    names = request.POST.getlist("action")
    return names[index] if 0 <= index < len(names) else None


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only the related rows the user may see."""

    def field_choices(self, field, request, model_admin):
        queryset = restrict(field.remote_field.model._default_manager.all(), request.user, "view")
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        attname = field.target_field.attname
        return [(getattr(obj, attname), str(obj)) for obj in queryset]


class ScopedAdminMixin:
    """Put this first in the bases of every ModelAdmin.

    ``scope_through`` names a foreign key whose target's scope a row follows (ledger
    rows follow their gift), on top of what ``restrict`` says about the row itself.
    ``ledger`` marks append-only records: never deleted through the admin.
    Narrow rows further by overriding ``scoped_queryset``: the changelist and
    ``get_object`` both read through it.
    """

    scope_through: str | None = None
    ledger = False

    def scoped_queryset(self, request, action: str) -> QuerySet:
        queryset = restrict(super().get_queryset(request), request.user, action)
        if self.scope_through and not sees_everything(request.user):
            related = self.model._meta.get_field(self.scope_through).remote_field.model
            visible = restrict(related._default_manager.all(), request.user, action)
            queryset = queryset.filter(**{f"{self.scope_through}__in": visible.values("pk")})
        return queryset

    def get_queryset(self, request):
        queryset = self.scoped_queryset(request, "view")
        if self._is_inline() or role_permits(request.user, "view", self.model):
            return queryset
        # No role permission to view: only the rows shared with the user one by one.
        return granted(queryset, request.user, "view")

    def get_object(self, request, object_id, from_field=None):
        """The object if it exists and is in scope, else None (the admin's "missing")."""
        action = _action_for(request)
        queryset = self.scoped_queryset(request, action)
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            obj = queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None
        # Read through restrict(action): has_*_permission need not ask again.
        obj._access_loaded_as = action
        return obj

    def response_action(self, request, queryset):
        return super().response_action(request, self._action_rows(request, queryset))

    def _action_rows(self, request, queryset):
        """The selected rows an action may touch. The changelist holds the rows one may
        view; a bulk delete gets only those one may delete, and an action one may run only
        through object permissions (no role permission) gets only the rows granted for it.
        A change action of a role keeps the view scope: stock may be received for a gift
        shared with every branch (the action's own service decides)."""
        func = self.get_actions(request).get(_posted_action(request), (None,))[0]
        user = request.user
        for action in getattr(func, "allowed_permissions", ()):
            if action not in ("change", "delete"):
                continue
            if not role_permits(user, action, self.model):
                allowed = granted(self.model._default_manager.all(), user, action)
            elif action == "delete":
                allowed = self.scoped_queryset(request, action)
            else:
                continue
            queryset = queryset.filter(pk__in=allowed.values("pk"))
        return queryset

    def _is_inline(self) -> bool:
        # An inline's permission methods get the parent object, not one of its own rows.
        return isinstance(self, admin.options.InlineModelAdmin)

    def _may(self, request, action: str, obj) -> bool:
        """The role's permission on a row in scope, or an object permission for ``obj``."""
        return may(request.user, action, obj, loaded_as=getattr(obj, "_access_loaded_as", None))

    def has_view_permission(self, request, obj=None):
        if self._is_inline():
            return super().has_view_permission(request, obj)
        if obj is None:
            return super().has_view_permission(request) or holds_object_permissions(
                request.user, self.model, "view"
            )
        return self._may(request, "view", obj)

    def has_change_permission(self, request, obj=None):
        if self._is_inline():
            return super().has_change_permission(request, obj)
        if obj is None:
            return super().has_change_permission(request) or holds_object_permissions(
                request.user, self.model, "change"
            )
        return self._may(request, "change", obj)

    def has_module_permission(self, request):
        # Someone with rows shared to them finds the model on the admin index.
        return super().has_module_permission(request) or holds_object_permissions(
            request.user, self.model, "view"
        )

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index for a missing row; here out-of-scope and missing
        # both answer 404, from the change, history and delete pages alike.
        raise Http404

    def _scoped_choices(self, db_field, request, kwargs):
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = queryset
        kwargs["queryset"] = restrict(kwargs["queryset"].all(), request.user, "view")
        return kwargs

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return _scoped(super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs = self._scoped_choices(db_field, request, kwargs)
        return _scoped(super().formfield_for_manytomany(db_field, request, **kwargs))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and obj.pk is not None and not sees_everything(request.user):
            _keep_current_choices(form.base_fields, obj)
        return form

    def get_formset(self, request, obj=None, **kwargs):
        """Inlines: each existing row keeps what it already points to, as the parent's
        form does (a shared 南山 draft's rewards keep their 南山 gift); a new row is
        offered the scoped choices only."""
        formset = super().get_formset(request, obj, **kwargs)
        if sees_everything(request.user):
            return formset

        class KeepingCurrentChoices(formset.form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                if self.instance.pk is not None:
                    _keep_current_choices(self.fields, self.instance)

        formset.form = KeepingCurrentChoices
        return formset

    def has_delete_permission(self, request, obj=None):
        if self.ledger:
            return False
        return super().has_delete_permission(request, obj)


def _scoped(formfield):
    if formfield is not None:
        formfield.scoped_choices = True
    return formfield


def _keep_current_choices(fields: dict, obj) -> None:
    """Scoped choices of an existing row also offer what the row already points to.

    A rule shared from 南山 keeps its 南山 branch and target branches when a 福田 holder
    of the object permission saves it: the value stays, nobody can pick it anew (and a
    many-to-many value outside one's scope is not silently dropped on save).
    """
    for name, field in fields.items():
        if not getattr(field, "scoped_choices", False):
            continue
        model_field = obj._meta.get_field(name)
        if model_field.many_to_many:
            current = Q(pk__in=getattr(obj, name).values("pk"))
        elif getattr(obj, model_field.attname) is None:
            continue
        else:
            current = Q(**{model_field.target_field.attname: getattr(obj, model_field.attname)})
        manager = field.queryset.model._default_manager
        field.queryset = field.queryset | manager.filter(current)


class EstimatedCountPaginator(Paginator):
    """Counts without scanning a big table when nothing narrows it.

    On PostgreSQL an unfiltered queryset takes the planner's row estimate once it is
    above ``estimate_threshold``; anything filtered, any other database, or a small
    table gets a real COUNT(*). The last pages may then be approximate.
    """

    estimate_threshold = 10_000

    @cached_property
    def count(self) -> int:
        estimate = self._planner_estimate()
        if estimate is not None and estimate > self.estimate_threshold:
            return estimate
        return super().count

    def _planner_estimate(self) -> int | None:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return None
        query = queryset.query
        if query.where or query.distinct or query.combinator or query.is_sliced:
            return None
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(queryset.model._meta.db_table)],
            )
            row = cursor.fetchone()
        # reltuples is -1 (or 0) before the table's first ANALYZE: count for real then.
        return int(row[0]) if row and row[0] and row[0] > 0 else None


class ReadOnlyInlineMixin:
    """An inline that shows rows (ledger lines, counters) and never adds, edits or deletes."""

    extra = max_num = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
