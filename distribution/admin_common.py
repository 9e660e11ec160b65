"""What the distribution admin pages share: confirmation pages that call one service.

Every state change (pause a rule, approve a change, cancel a hand-out, ...) is a GET
that shows what will happen and a POST that does it, through the service of that
action. A refusal by the service is shown as an error message and changes nothing.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from giftplatform.access import sees_everything

CONFIRM_TEMPLATE = "admin/distribution/confirm.html"


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def refusal_messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc) or _("You may not do that.")]


class NoDeleteMixin:
    """Rules, quotas, changes, hand-outs and runs are records: never deleted in the admin."""

    def has_delete_permission(self, request, obj=None):
        return False


class OwnedByBranchAdminMixin:
    """Rules and quotas belong to a branch: the maker's own by default, and a branch's staff
    cannot leave it empty (platform-wide is a decision for the platform's staff)."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "branch" in form.base_fields and not sees_everything(request.user):
            form.base_fields["branch"].required = True
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("branch", getattr(request.user, "branch_id", None))
        return initial


class ConfirmPagesMixin:
    """Single-object confirmation pages and multi-object action pages for a ModelAdmin.

    A row that is missing or outside the user's scope answers 404 on every page of it,
    the change and history pages included (the same answer either way).
    """

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self.object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self.object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def confirm_response(
        self,
        request,
        *,
        title,
        objects,
        form=None,
        question="",
        action=None,
        submit_label=None,
        back_url=None,
        extra=None,
    ):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "question": question,
            "objects": list(objects),
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "submit_label": submit_label or title,
            "back_url": back_url
            or reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "media": self.media + form.media if form is not None else self.media,
            **(extra or {}),
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)

    def object_or_404(self, request, object_id):
        """The object in the user's scope (for a POST: the scope they may change), else 404."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def object_operation(
        self,
        request,
        object_id,
        *,
        title,
        perform: Callable,
        question="",
        form_class: Callable | None = None,
        allowed: Callable | None = None,
        done_url: Callable | None = None,
        extra: Callable | None = None,
    ):
        """Confirm, then ``perform(obj, cleaned_data)``; it returns a success message.

        ``allowed(obj)`` False answers 403 (the object is in scope, the user lacks the
        permission). Refusals of the service become error messages; nothing changes.
        """
        obj = self.object_or_404(request, object_id)
        if allowed is not None and not allowed(obj):
            raise PermissionDenied
        posted = request.method == "POST"
        form = form_class(request.POST if posted else None) if form_class else None
        if posted and (form is None or form.is_valid()):
            try:
                result = perform(obj, form.cleaned_data if form is not None else {})
            except (ValidationError, PermissionDenied) as exc:
                for message in refusal_messages(exc):
                    self.message_user(request, message, messages.ERROR)
                return HttpResponseRedirect(change_url(obj))
            message, target = result if isinstance(result, tuple) else (result, obj)
            self.log_change(request, target, f"{title}")
            self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(done_url(target) if done_url else change_url(target))
        return self.confirm_response(
            request,
            title=title,
            objects=[obj],
            form=form,
            question=question,
            back_url=change_url(obj),
            extra=extra(obj) if extra else None,
        )

    def bulk_operation(
        self, request, queryset, *, action, title, perform: Callable, form_class=None, question=""
    ):
        """The page of a changelist action; each object is done in its own transaction.

        ``perform(obj, cleaned_data)`` raises ValidationError / PermissionDenied to refuse.
        """
        objects = list(queryset)
        applying = "apply" in request.POST
        form = form_class(request.POST if applying else None) if form_class else None
        if applying and (form is None or form.is_valid()):
            done = 0
            for obj in objects:
                try:
                    perform(obj, form.cleaned_data if form is not None else {})
                except (ValidationError, PermissionDenied) as exc:
                    for message in refusal_messages(exc):
                        self.message_user(request, f"{obj}: {message}", messages.ERROR)
                else:
                    done += 1
                    self.log_change(request, obj, title)
            if done:
                self.message_user(
                    request,
                    ngettext("%(title)s: %(count)d done.", "%(title)s: %(count)d done.", done)
                    % {"title": title, "count": done},
                    messages.SUCCESS,
                )
            return None
        return self.confirm_response(
            request, title=title, objects=objects, form=form, question=question, action=action
        )
