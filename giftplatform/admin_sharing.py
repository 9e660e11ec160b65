"""The "object permissions" page of an admin object: share it with one person, or stop.

Add ``ObjectPermissionsAdminMixin`` to a ModelAdmin that uses ``ScopedAdminMixin``: the
object gets ``<id>/permissions/`` (URL name ``<app>_<model>_permissions``) and a link
beside History. Without ``giftplatform.grant_object_permission`` the page answers 403;
an object outside the user's scope answers 404, like a missing one. The rules of who may
share what with whom live in ``giftplatform.sharing``.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from giftplatform.roles import role_label
from giftplatform.sharing import (
    ACTION_LABELS,
    SHARED_ACTIONS,
    may_share,
    object_grants,
    object_group_grants,
    object_permission_grant,
    object_permission_revoke,
    share_recipients,
    shareable_actions,
)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_username()} · {obj}" if obj.full_name else obj.get_username()


class ShareForm(forms.Form):
    """One user and one action; the choices are what the actor may share."""

    user = UserChoiceField(label=gettext_lazy("User"), queryset=None)
    action = forms.ChoiceField(label=gettext_lazy("Permission"), choices=())

    def __init__(self, *args, actor, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = share_recipients(actor=actor).select_related("branch")
        self.fields["action"].choices = [(a, ACTION_LABELS[a]) for a in actions]


class ObjectPermissionsAdminMixin:
    def _url_name(self, page: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{page}"

    def get_urls(self):
        view = self.admin_site.admin_view(self.object_permissions_view)
        return [
            path("<path:object_id>/permissions/", view, name=self._url_name("permissions")),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if may_share(request.user):
            url = reverse(f"admin:{self._url_name('permissions')}", args=[object_id])
            extra_context = {**(extra_context or {}), "object_permissions_url": url}
        return super().change_view(request, object_id, form_url, extra_context)

    def object_permissions_view(self, request, object_id):
        # 403 before any look-up: without the permission no id can be probed either.
        if not may_share(request.user):
            raise PermissionDenied
        obj = self._shared_object(request, object_id)
        actor = request.user
        actions = shareable_actions(actor=actor, obj=obj)
        if not actions:
            raise PermissionDenied
        here = reverse(f"admin:{self._url_name('permissions')}", args=[obj.pk])
        form = ShareForm(actor=actor, actions=actions)
        if request.method == "POST":
            if "revoke" in request.POST:
                return self._revoke(request, obj, actions, here)
            form = ShareForm(request.POST, actor=actor, actions=actions)
            if form.is_valid():
                user, action = form.cleaned_data["user"], form.cleaned_data["action"]
                done = object_permission_grant(actor=actor, user=user, obj=obj, action=action)
                if done:
                    self.message_user(request, done.description, messages.SUCCESS)
                return HttpResponseRedirect(here)
        reach = set(share_recipients(actor=actor).values_list("pk", flat=True))
        grants = [
            {
                "user": user,
                "action": action,
                "label": ACTION_LABELS[action],
                "revocable": user.pk in reach and action in actions,
            }
            for user, action in object_grants(obj)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Object permissions: %(object)s") % {"object": obj},
            "opts": self.opts,
            "original": obj,
            "object": obj,
            "form": form,
            "grants": grants,
            "group_grants": [
                {"group": group, "role": role_label(group.name), "label": ACTION_LABELS[action]}
                for group, action in object_group_grants(obj)
            ],
            "shared_actions": SHARED_ACTIONS,
            "change_url": reverse(f"admin:{self._url_name('change')}", args=[obj.pk]),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/object_permissions.html", context)

    def _shared_object(self, request, object_id):
        """The object in the user's (view) scope, else 404 like a missing one."""
        try:
            pk = self.opts.pk.to_python(unquote(object_id))
        except ValidationError as exc:
            raise Http404 from exc
        obj = self.scoped_queryset(request, "view").filter(pk=pk).first()
        if obj is None:
            raise Http404
        return obj

    def _revoke(self, request, obj, actions, here):
        user_pk, _sep, action = request.POST.get("revoke", "").partition(":")
        recipients = share_recipients(actor=request.user)
        user = recipients.filter(pk=user_pk).first() if user_pk.isdigit() else None
        if user is None or action not in actions:
            # Someone outside one's reach, or an action one does not hold oneself.
            raise PermissionDenied
        done = object_permission_revoke(actor=request.user, user=user, obj=obj, action=action)
        if done:
            self.message_user(request, done.description, messages.SUCCESS)
        return HttpResponseRedirect(here)
