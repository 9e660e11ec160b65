"""Sharing one object: grant and revoke guardian object permissions (view, change).

Who may: holders of ``giftplatform.grant_object_permission`` (the platform admin role),
for objects in their own reach, to users in their reach (``restrict`` on users), and only
actions they may perform on that object themselves (no sharing wider than one's own).
Every grant and revocation writes an ``ObjectPermissionChange`` row (who, when, what),
which the audit page (/audit/) lists.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from giftplatform.access import may, recorded, restrict, sees_everything
from giftplatform.models import ObjectPermissionChange

GRANT_PERMISSION = "giftplatform.grant_object_permission"
# The actions one may share, in the order they are offered.
SHARED_ACTIONS = ("view", "change")
# "change" alone already means "the content changed" elsewhere: these carry a context.
ACTION_LABELS = {
    "view": pgettext_lazy("object permission", "view"),
    "change": pgettext_lazy("object permission", "change"),
}


def may_share(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(GRANT_PERMISSION))


def shareable_actions(*, actor, obj) -> list[str]:
    """The actions ``actor`` may share on ``obj``: those they may perform on it themselves."""
    if not may_share(actor):
        return []
    return [action for action in SHARED_ACTIONS if may(actor, action, obj)]


def share_recipients(*, actor) -> QuerySet:
    """The users ``actor`` may share with: active users in their reach, not themselves."""
    users = get_user_model().objects.filter(is_active=True).exclude(pk=actor.pk)
    return restrict(users, actor, "change").order_by("username")


def object_permission(obj, action: str) -> Permission:
    concrete = type(obj)._meta.concrete_model
    return Permission.objects.get(
        content_type=ContentType.objects.get_for_model(concrete),
        codename=f"{action}_{concrete._meta.model_name}",
    )


def _direct_grants(obj) -> QuerySet:
    concrete = type(obj)._meta.concrete_model
    return UserObjectPermission.objects.filter(
        content_type=ContentType.objects.get_for_model(concrete), object_pk=str(obj.pk)
    )


def object_grants(obj) -> list[tuple]:
    """Guardian's direct user grants on ``obj`` for the shared actions: (user, action)."""
    model_name = type(obj)._meta.concrete_model._meta.model_name
    codenames = {f"{action}_{model_name}": action for action in SHARED_ACTIONS}
    rows = (
        _direct_grants(obj)
        .filter(permission__codename__in=codenames)
        .select_related("user", "permission")
        .order_by("user__username", "permission__codename")
    )
    return [(row.user, codenames[row.permission.codename]) for row in rows]


def object_group_grants(obj) -> list[tuple]:
    """Guardian's group grants on ``obj`` for the shared actions: (group, action). They
    reach every member; this page lists them, the groups' own admin manages them."""
    concrete = type(obj)._meta.concrete_model
    codenames = {f"{action}_{concrete._meta.model_name}": action for action in SHARED_ACTIONS}
    rows = (
        GroupObjectPermission.objects.filter(
            content_type=ContentType.objects.get_for_model(concrete),
            object_pk=str(obj.pk),
            permission__codename__in=codenames,
        )
        .select_related("group", "permission")
        .order_by("group__name", "permission__codename")
    )
    return [(row.group, codenames[row.permission.codename]) for row in rows]


def _holds(user, obj, permission) -> bool:
    return _direct_grants(obj).filter(user=user, permission=permission).exists()


def _check(actor, user, obj, action: str) -> None:
    if action not in shareable_actions(actor=actor, obj=obj):
        raise PermissionDenied(_("You cannot share this permission on this object."))
    if not share_recipients(actor=actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("This user is outside your reach."))


def _record(*, actor, user, obj, action: str, kind: str, permission) -> ObjectPermissionChange:
    if kind == ObjectPermissionChange.Kind.GRANT:
        text = _("Granted “%(action)s” on %(object)s to %(user)s")
    else:
        text = _("Revoked “%(action)s” on %(object)s from %(user)s")
    description = text % {
        "action": ACTION_LABELS[action],
        "object": f"{type(obj)._meta.concrete_model._meta.verbose_name} {obj}",
        "user": user.get_username(),
    }
    change = ObjectPermissionChange(
        kind=kind,
        description=description[:300],
        user=user,
        permission=permission,
        content_type=permission.content_type,
        object_pk=str(obj.pk),
        branch_id=getattr(obj, "branch_id", None),
        actor=recorded(actor),
    )
    # The history row (what the audit page reads) names the actor, not the request's user.
    change._history_user = recorded(actor)
    change.save()
    return change


@transaction.atomic
def object_permission_grant(*, actor, user, obj, action: str) -> ObjectPermissionChange | None:
    """Give ``user`` the ``action`` permission on ``obj``; None when they already hold it."""
    if not sees_everything(actor):
        _check(actor, user, obj, action)
    permission = object_permission(obj, action)
    if _holds(user, obj, permission):
        return None
    assign_perm(permission, user, obj)
    return _record(
        actor=actor,
        user=user,
        obj=obj,
        action=action,
        kind=ObjectPermissionChange.Kind.GRANT,
        permission=permission,
    )


@transaction.atomic
def object_permission_revoke(*, actor, user, obj, action: str) -> ObjectPermissionChange | None:
    """Take ``action`` on ``obj`` back from ``user``; None when they did not hold it."""
    if not sees_everything(actor):
        _check(actor, user, obj, action)
    permission = object_permission(obj, action)
    if not _holds(user, obj, permission):
        return None
    remove_perm(permission, user, obj)
    return _record(
        actor=actor,
        user=user,
        obj=obj,
        action=action,
        kind=ObjectPermissionChange.Kind.REVOKE,
        permission=permission,
    )
