"""The one place that decides what a user may see or do.

Where (rows)
    Staff see rows of their branch subtree: one indexed prefix condition on the branch
    path. Rows with no branch (gifts for every branch) are visible to all staff but
    changed only by staff of a top-level branch. Reference data (categories, providers)
    is visible to every active staff member; providers, like rows with no branch, are
    changed only by staff of a top-level branch (their bank details and contracts serve
    every branch), and settlements (a provider's totals over every branch) are seen and
    changed only there. Portal users (``User.provider`` set, no
    branch) see only the rows of their own provider, never the staff's reference data.
    Users: ``restrict(User.objects..., actor, action)`` gives exactly the users in the
    actor's reach (their subtree, never a superuser, plus the portal users for those who
    manage them). Superusers see everything. A row outside scope is treated as missing
    (404), never as forbidden, so ids cannot be probed.

Terms that apply from above
    A quota or rule owned by a parent branch may apply to the user's branch (深圳's
    premium-ratio quota caps 福田's policies). ``reaching`` lists such rows by the
    branches they apply to, so that a page can show the levels its own figures are held
    to; it never opens them to view or change (``restrict`` does not list them).

Object permissions widen the rows
    For the models that can be shared one row at a time (``SHAREABLE``: rules, quotas,
    gifts, providers), rows on which the user holds a django-guardian object permission
    for the action, directly or through a group, are added to the scope: one OR'd
    subquery on guardian's tables, never a query per row. ``change`` implies ``view``.
    Other models are not widened: their lists are the big tables (policies,
    distributions), whose scope must stay one indexed prefix condition.

What (the decision about guardian's global-permission fallback)
    A role's global model permission says WHAT one may do, never WHERE: holding
    ``distribution.change_rule`` lets one change the rules in one's scope, never a rule
    outside it. An object permission alone grants that action on that one object, even
    without the global permission (``may``); an admin changelist then shows only the
    objects granted (``granted``). Guardian's own helpers are not used to list rows:
    ``get_objects_for_user(accept_global_perms=True)`` would turn a global permission
    into "every row", so no code of the platform calls it, and guardian's backend is
    only asked about single objects (it answers from object permissions alone).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import BigIntegerField, CharField, IntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from giftplatform.models import Branch

# Where each model keeps its branch, as a lookup path to Branch.
BRANCH_PATHS = {
    "giftplatform.branch": "",
    "gifts.gift": "branch",
    "gifts.stockmovement": "gift__branch",
    "gifts.vouchercode": "gift__branch",
    "policies.policy": "branch",
    "policies.piireveal": "policy__branch",
    "distribution.rule": "branch",
    "distribution.quota": "branch",
    "distribution.quotausage": "quota__branch",
    "distribution.changerequest": "branch",
    "distribution.batchrun": "rule__branch",
    "distribution.distribution": "branch",
    "distribution.distributionitem": "distribution__branch",
    "distribution.handoutdayfacet": "branch",
    "distribution.handoutdaytotal": "branch",
    "distribution.handoutmonthfacet": "branch",
    "distribution.handoutreach": "branch",
    "distribution.shipment": "policy__branch",
    "distribution.shipmentline": "item__distribution__branch",
    "giftplatform.objectpermissionchange": "branch",
}
# Models whose rows with no branch are shared with every staff member.
SHARED_WHEN_NO_BRANCH = {
    "gifts.gift",
    "gifts.stockmovement",
    "gifts.vouchercode",
    "distribution.rule",
    "distribution.quota",
    "distribution.quotausage",
    "distribution.changerequest",
    "distribution.batchrun",
    "giftplatform.objectpermissionchange",
}
# Where each model keeps its provider, as a lookup path to Provider, for portal users.
PROVIDER_PATHS = {
    "suppliers.provider": "pk",
    "gifts.gift": "provider",
    "gifts.vouchercode": "gift__provider",
    "distribution.distributionitem": "provider",
    "distribution.shipment": "provider",
    "distribution.shipmentline": "shipment__provider",
    "suppliers.settlement": "provider",
}
# Reference data changed (any action but view) only by staff of a top-level branch ...
CHANGED_AT_TOP = {"suppliers.provider", "suppliers.settlement"}
# ... and reference data that only they see at all.
SEEN_AT_TOP = {"suppliers.settlement"}
# Models whose rows belong to the user who made them.
OWNED_BY = {"gifts.importjob": "actor"}
# Models whose single rows may be shared through guardian object permissions.
SHAREABLE = {"distribution.rule", "distribution.quota", "gifts.gift", "suppliers.provider"}
USER_LABEL = "giftplatform.user"
ALL = object()  # the scope of a model that is not narrowed for this user


def recorded(actor):
    """The user to record as having acted: None for the command-line operator."""
    return actor if getattr(actor, "pk", None) else None


def sees_everything(user) -> bool:
    return bool(user.is_active and user.is_superuser)


def branch_scope(user) -> Branch | None:
    """The root of the subtree this user works in (None: no branch data at all)."""
    return getattr(user, "branch", None) if user.is_active else None


def at_top_level(user) -> bool:
    """Staff of a top-level branch (or a superuser): who changes shared reference data."""
    if sees_everything(user):
        return True
    root = branch_scope(user)
    return bool(user.is_active and user.is_staff and root is not None and root.parent_id is None)


def is_portal_user(user) -> bool:
    return bool(getattr(user, "provider_id", None)) and not getattr(user, "branch_id", None)


def label_of(model) -> str:
    """The model's label; proxies (Supplier, ServiceProvider) share their concrete model's."""
    return model._meta.concrete_model._meta.label_lower


# ----------------------------------------------------------------------------- rows


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """``queryset`` narrowed to the rows ``user`` may ``action`` (see the module docstring)."""
    if sees_everything(user):
        return queryset
    if not user.is_active or not user.pk:
        return queryset.none()
    label = label_of(queryset.model)
    if label == USER_LABEL:
        return queryset.filter(_users_in_reach(user))
    condition = _scope(label, user, action)
    if condition is ALL:
        return queryset
    if label in SHAREABLE:
        grants = _granted_condition(queryset.model, user, action)
        condition = grants if condition is None else condition | grants
    return queryset.none() if condition is None else queryset.filter(condition)


def reaching(queryset: QuerySet, user, field: str, within: Branch | None = None) -> QuerySet:
    """Rows whose branch ``field`` (the branches a quota or rule applies to; empty: every
    branch) reaches into the user's subtree, or into ``within`` (a branch of it) when
    given: the terms that govern the user's own rows, whoever owns them (深圳's quota over
    every branch caps 福田's policies too). Only for showing those terms beside the
    user's own figures; ``restrict`` still decides who may open or change the row."""
    if within is None and sees_everything(user):
        return queryset
    root = within if within is not None else branch_scope(user)
    if root is None:
        return queryset.none()
    return queryset.filter(in_or_over(root, field))


def in_or_over(branch: Branch, field: str = "branch") -> Q:
    """Rows whose ``field`` (a Branch) is in ``branch``'s subtree, is ``branch`` or one of
    its ancestors, or is empty (every branch): one prefix condition and one IN list of
    the ancestors' paths, read off the materialized path without a query."""
    codes = [code for code in branch.path.split("/") if code]
    ancestors = ["".join(f"{code}/" for code in codes[:n]) for n in range(1, len(codes) + 1)]
    return (
        Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__path__startswith": branch.path})
        | Q(**{f"{field}__path__in": ancestors})
    )


def granted(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """Only the rows ``user`` holds an object permission for ``action`` on (no scope)."""
    if not user.is_active or not user.pk or label_of(queryset.model) not in SHAREABLE:
        return queryset.none()
    return queryset.filter(_granted_condition(queryset.model, user, action))


def get_or_404(queryset: QuerySet, user, action: str = "view", **lookup):
    """The object if it exists and is in scope; otherwise 404, the same either way."""
    try:
        return restrict(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def branches_for(user) -> QuerySet:
    return restrict(Branch.objects.all(), user, "view")


def _scope(label: str, user, action: str):
    """The scope condition without object permissions: a Q, ALL, or None (nothing)."""
    if label in OWNED_BY:
        return Q(**{OWNED_BY[label]: user})
    if is_portal_user(user):
        path = PROVIDER_PATHS.get(label)
        return Q(**{path: user.provider_id}) if path else None
    if label not in BRANCH_PATHS:
        # Reference data (providers, categories, ...) is visible to every active staff member.
        if not user.is_staff:
            return None
        if label in SEEN_AT_TOP or (action != "view" and label in CHANGED_AT_TOP):
            return ALL if at_top_level(user) else None
        return ALL
    root = branch_scope(user)
    if root is None:
        return None
    field = BRANCH_PATHS[label]
    path_lookup = f"{field}__path__startswith" if field else "path__startswith"
    condition = Q(**{path_lookup: root.path})
    if label in SHARED_WHEN_NO_BRANCH and (action == "view" or root.parent_id is None):
        condition |= Q(**{f"{field}__isnull": True})
    return condition


# ----------------------------------------------------------------------------- users


def manages_provider_users(actor) -> bool:
    """Provider portal users have no branch: user managers of a top-level branch manage them.

    That is superusers, and holders of ``giftplatform.change_user`` (platform admins,
    branch admins) whose home branch is a root. Gift managers hold no user permission.
    """
    if not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    branch = getattr(actor, "branch", None)
    return bool(branch and branch.parent_id is None and actor.has_perm("giftplatform.change_user"))


def _users_in_reach(actor) -> Q:
    """The home-branch subtree (never a superuser), plus the provider portal users for
    those who manage them; a portal user reaches nobody."""
    root = None if is_portal_user(actor) else branch_scope(actor)
    if root is None:
        return Q(pk__in=[])
    reach = Q(branch__path__startswith=root.path)
    if manages_provider_users(actor):
        reach |= Q(branch__isnull=True, provider__isnull=False)
    return reach & Q(is_superuser=False)


def grantable_groups(actor):
    """The role groups ``actor`` may hand out: those no wider than the actor's own rights."""
    groups = Group.objects.all()
    if sees_everything(actor):
        return groups
    own = actor.get_all_permissions() if actor.is_active else set()
    allowed = [
        group.pk
        for group in groups.prefetch_related("permissions__content_type")
        if {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()} <= own
    ]
    return groups.filter(pk__in=allowed)


# ----------------------------------------------------------------------------- object permissions


def codenames_for(model, action: str) -> list[str]:
    """The object-permission codenames that allow ``action``: change implies view."""
    name = model._meta.concrete_model._meta.model_name
    actions = ("view", "change") if action == "view" else (action,)
    return [f"{verb}_{name}" for verb in actions]


def _grant_rows(concrete, user, codenames):
    """Guardian's user and group permission rows of ``user`` for ``concrete``'s objects."""
    memberships = get_user_model().groups.through.objects.filter(user_id=user.pk)
    found = []
    for perm_model, owner in (
        (get_user_obj_perms_model(concrete), Q(user_id=user.pk)),
        (get_group_obj_perms_model(concrete), Q(group_id__in=memberships.values("group_id"))),
    ):
        rows = perm_model.objects.filter(owner)
        if codenames is not None:
            rows = rows.filter(permission__codename__in=codenames)
        if perm_model.objects.is_generic():
            rows = rows.filter(
                content_type__app_label=concrete._meta.app_label,
                content_type__model=concrete._meta.model_name,
            )
        found.append(rows)
    return found


def _object_filter(perm_model, obj) -> Q:
    if perm_model.objects.is_generic():
        return Q(object_pk=str(obj.pk))
    return Q(content_object_id=obj.pk)


def _granted_condition(model, user, action: str) -> Q:
    """``pk IN (the user's grants UNION ALL their groups' grants)``: one subquery.

    Guardian stores generic grants with ``object_pk`` as text; it is cast to the primary
    key's type inside the subquery (rows already narrowed to this content type and
    user), so the outer condition compares keys of the same type. A direct-foreign-key
    permission model (guardian's optional per-model tables) needs no cast.
    """
    concrete = model._meta.concrete_model
    parts = [
        rows.values_list(Cast("object_pk", _pk_type(concrete)))
        if rows.model.objects.is_generic()
        else rows.values_list("content_object_id")
        for rows in _grant_rows(concrete, user, codenames_for(concrete, action))
    ]
    return Q(pk__in=parts[0].union(parts[1], all=True))


def _pk_type(model):
    pk = model._meta.pk
    return BigIntegerField() if isinstance(pk, IntegerField) else CharField()


def object_permissions(user, obj) -> set[str]:
    """The codenames ``user`` holds on ``obj`` through guardian (own and their groups'), in
    one query, cached on the user object for the request."""
    label = label_of(type(obj))
    if not user.is_active or not user.pk or label not in SHAREABLE:
        return set()
    cache = user.__dict__.setdefault("_access_object_perms", {})
    key = (label, str(obj.pk))
    if key not in cache:
        concrete = type(obj)._meta.concrete_model
        parts = [
            rows.filter(_object_filter(rows.model, obj)).values_list("permission__codename")
            for rows in _grant_rows(concrete, user, codenames=None)
        ]
        cache[key] = {codename for (codename,) in parts[0].union(parts[1], all=True)}
    return cache[key]


def holds_object_permissions(user, model, action: str = "view") -> bool:
    """Whether ``user`` holds ``action`` on at least one row of ``model`` (cached)."""
    if label_of(model) not in SHAREABLE or not user.is_active or not user.pk:
        return False
    cache = user.__dict__.setdefault("_access_holds", {})
    key = (label_of(model), action)
    if key not in cache:
        cache[key] = granted(model._default_manager.all(), user, action).exists()
    return cache[key]


def role_permits(user, action: str, model) -> bool:
    """The role's global permission for ``action`` on ``model`` (view: view or change)."""
    opts = model._meta
    verbs = ("view", "change") if action == "view" else (action,)
    return any(user.has_perm(f"{opts.app_label}.{verb}_{opts.model_name}") for verb in verbs)


def in_scope(user, action: str, obj, *, loaded_as: str | None = None) -> bool:
    """Whether ``restrict(..., action)`` holds ``obj``; cached on the object.

    ``loaded_as`` is the action whose ``restrict`` the object was read through: where
    that answers the question, no query is needed.
    """
    if sees_everything(user):
        return True
    label = label_of(type(obj))
    if loaded_as == action:
        return True
    same_scope = (
        loaded_as is not None
        and label not in SHAREABLE
        and label != USER_LABEL
        and _scope(label, user, loaded_as) == _scope(label, user, action)
    )
    if same_scope:
        return True
    cache = obj.__dict__.setdefault("_access_in_scope", {})
    key = (user.pk, action)
    if key not in cache:
        queryset = type(obj)._default_manager.filter(pk=obj.pk)
        cache[key] = restrict(queryset, user, action).exists()
    return cache[key]


def may(user, action: str, obj, *, loaded_as: str | None = None) -> bool:
    """Whether ``user`` may ``action`` this one object: the role's permission on a row in
    scope, or an object permission for this very row (even without the role's)."""
    if sees_everything(user):
        return True
    if not user.is_active:
        return False
    model = type(obj)
    if role_permits(user, action, model) and in_scope(user, action, obj, loaded_as=loaded_as):
        return True
    return bool(set(codenames_for(model, action)) & object_permissions(user, obj))
