"""Starting, stopping and resuming batch runs from the admin.

Hook-in (distribution/admin_runs.py): put the mixin first in ``BatchRunAdmin``'s bases and
drop its ``has_add_permission`` override::

    from distribution.batch_admin import BatchRunnerAdminMixin

    class BatchRunAdmin(BatchRunnerAdminMixin, NoDeleteMixin, ScopedAdminMixin, admin.ModelAdmin):
        ...

The admin's "add" button then opens the start form. A dry run is executed inline (there
is no worker yet); a real run is saved awaiting approval by a second person
(distribution/batch_approval_admin.py) and started from its page once approved. The
run's page carries "start", "stop" and "resume" buttons (POST). Starting, stopping and
resuming need the ``distribution.add_batchrun`` permission; rules, branches and runs
outside the user's branch subtree answer as missing. A user below the top of the tree
must choose a branch (their subtree or part of it), so a run never reaches policies
they may not see.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from distribution.batch import batch_run_execute, batch_run_prepare, batch_run_stop
from distribution.models import BatchRun, BatchStatus, Rule, RuleStatus
from giftplatform.access import branches_for, restrict, sees_everything

RUN_PERMISSION = "distribution.add_batchrun"
# Approved and not started yet, stopped, or failed: the start / resume button runs it.
STARTABLE = (BatchStatus.PENDING, BatchStatus.STOPPED, BatchStatus.FAILED)


class BatchRunStartForm(forms.Form):
    rule = forms.ModelChoiceField(queryset=Rule.objects.none(), label=gettext_lazy("rule"))
    branch = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=gettext_lazy("branch subtree"),
        help_text=gettext_lazy("Only policies of this branch and the branches below it."),
    )
    issued_from = forms.DateField(required=False, label=gettext_lazy("policies issued from"))
    issued_to = forms.DateField(required=False, label=gettext_lazy("policies issued until"))
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label=gettext_lazy("dry run"),
        help_text=gettext_lazy(
            "Report what would go out; write nothing. Without it the run waits for "
            "approval by another person with the approver role."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["rule"].queryset = restrict(
            Rule.objects.filter(status=RuleStatus.ACTIVE), user, "view"
        )
        self.fields["branch"].queryset = branches_for(user)
        if not sees_everything(user):
            self.fields["branch"].required = True

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            raise ValidationError(_("The issue dates are the wrong way round."))
        return data


class BatchRunnerAdminMixin:
    """Start form, stop and resume for ``BatchRunAdmin`` (see the module docstring)."""

    change_form_template = "admin/batch_runs/change_form.html"
    batch_chunk_size = 1000

    def get_urls(self):
        view = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("start/", view(self.batch_start_view), name=f"{prefix}_start"),
            path(
                "<int:run_id>/stop/",
                view(require_POST(self.batch_stop_view)),
                name=f"{prefix}_stop",
            ),
            path(
                "<int:run_id>/resume/",
                view(require_POST(self.batch_resume_view)),
                name=f"{prefix}_resume",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return request.user.has_perm(RUN_PERMISSION)

    def add_view(self, request, form_url="", extra_context=None):
        # 403 here, like the start form itself: no detour for those who may not start runs.
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(self._batch_url("start"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        can_run = request.user.has_perm(RUN_PERMISSION) and run is not None
        extra_context = {
            **(extra_context or {}),
            "batch_stop_url": self._batch_url("stop", run.pk)
            if can_run and run.status == BatchStatus.RUNNING
            else None,
            "batch_resume_url": self._batch_url("resume", run.pk)
            if can_run and run.status in STARTABLE
            else None,
            "batch_not_started": run is not None and run.status == BatchStatus.PENDING,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # --- views -----------------------------------------------------------------------------

    def batch_start_view(self, request):
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        form = BatchRunStartForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = batch_run_prepare(
                    actor=request.user,
                    rule=data["rule"],
                    branch=data["branch"],
                    issued_from=data["issued_from"],
                    issued_to=data["issued_to"],
                    dry_run=data["dry_run"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if run.status == BatchStatus.AWAITING_APPROVAL:
                    messages.info(
                        request,
                        _(
                            "Batch run #%(id)s awaits approval: another person with the "
                            "approver role must approve it before it can start."
                        )
                        % {"id": run.pk},
                    )
                    return HttpResponseRedirect(self._change_url(run))
                return self._execute(request, run)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Start a batch run"),
            "form": form,
        }
        return TemplateResponse(request, "admin/batch_runs/start.html", context)

    def batch_stop_view(self, request, run_id):
        run = self._run(request, run_id)
        batch_run_stop(actor=request.user, run=run)
        messages.info(request, _("Stop requested: the run stops after its current chunk."))
        return HttpResponseRedirect(self._change_url(run))

    def batch_resume_view(self, request, run_id):
        run = self._run(request, run_id)
        if run.status not in STARTABLE:
            messages.warning(
                request, _("Only an approved, stopped or failed run can be started or resumed.")
            )
            return HttpResponseRedirect(self._change_url(run))
        return self._execute(request, run)

    # --- helpers ---------------------------------------------------------------------------

    def _execute(self, request, run: BatchRun):
        try:
            run = batch_run_execute(actor=request.user, run=run, chunk_size=self.batch_chunk_size)
        except Exception as exc:  # recorded on the run (failed); shown on its page
            messages.error(request, _("The batch run failed: %(error)s") % {"error": exc})
            return HttpResponseRedirect(self._change_url(run))
        level = messages.SUCCESS if run.status == BatchStatus.COMPLETED else messages.WARNING
        messages.add_message(
            request,
            level,
            _("Batch run #%(id)s %(status)s: %(done)s handed out, %(refused)s refused.")
            % {
                "id": run.pk,
                "status": run.get_status_display(),
                "done": run.distributed,
                "refused": run.refused,
            },
        )
        return HttpResponseRedirect(self._change_url(run))

    def _run(self, request, run_id) -> BatchRun:
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(
            restrict(BatchRun.objects.all(), request.user, "change"), pk=run_id
        )

    def _batch_url(self, name, *args):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
        )

    def _change_url(self, run):
        return self._batch_url("change", run.pk)
