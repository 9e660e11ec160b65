"""Rules admin: a draft is edited with its conditions and rewards; everything after that
(activation, pause, resume, close, new version, clone) is a confirmed call of a service.

A rule that is not a draft, or whose activation awaits approval, is read-only except
its name and description: what an approver confirmed is what goes live.
"""

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from distribution import engine, loaders, rulebook
from distribution.admin_common import (
    ConfirmPagesMixin,
    NoDeleteMixin,
    OwnedByBranchAdminMixin,
    change_url,
)
from distribution.admin_rule_history import RuleHistoryAdminMixin
from distribution.forms import (
    CloneForm,
    PolicyTestForm,
    ReasonForm,
    RuleAdminForm,
    RuleConditionForm,
)
from distribution.models import (
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    Rule,
    RuleCondition,
    RuleReward,
    RuleStatus,
)
from distribution.services import (
    rule_clone,
    rule_close,
    rule_is_editable,
    rule_new_version,
    rule_pause,
    rule_problems,
    rule_request_activation,
    rule_resume,
)
from giftplatform.access import restrict
from giftplatform.admin_scoping import ScopedAdminMixin, ScopedRelatedFieldListFilter
from giftplatform.admin_sharing import ObjectPermissionsAdminMixin
from policies.selectors import policy_lookup

EDITABLE_WHEN_LIVE = ("name", "description")
# Several policies can share a mobile number: the test box shows the first few.
TEST_POLICIES = 5


def pending_activation(rule: Rule):
    """The activation request awaiting approval, cached on the rule for the request."""
    if not hasattr(rule, "_pending_activation"):
        rule._pending_activation = ChangeRequest.objects.filter(
            rule=rule, kind=ChangeKind.ACTIVATE_RULE, status=ChangeStatus.PENDING
        ).first()
    return rule._pending_activation


def content_editable(rule: Rule | None) -> bool:
    if rule is None or rule.pk is None:
        return True
    return rule_is_editable(rule) and pending_activation(rule) is None


class DraftOnlyInline(ScopedAdminMixin, admin.TabularInline):
    """Rows of a rule: added, changed and deleted only while the rule is an open draft."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return content_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return content_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return content_editable(obj) and super().has_delete_permission(request, obj)


class RuleConditionInline(DraftOnlyInline):
    model = RuleCondition
    form = RuleConditionForm
    fields = ["group", "attribute", "operator", "value"]


class RuleRewardInline(DraftOnlyInline):
    model = RuleReward
    fields = ["gift", "quantity", "option_group"]
    autocomplete_fields = ["gift"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("gift")


@admin.register(Rule)
class RuleAdmin(
    OwnedByBranchAdminMixin,
    NoDeleteMixin,
    RuleHistoryAdminMixin,
    ConfirmPagesMixin,
    ObjectPermissionsAdminMixin,
    ScopedAdminMixin,
    SimpleHistoryAdmin,
):
    form = RuleAdminForm
    change_form_template = "admin/distribution/rule/change_form.html"
    list_display = ["code", "version", "name", "status", "priority", "exclusive", "window"]
    list_display += ["branch"]
    list_display_links = ["code", "name"]
    list_select_related = ["branch"]
    list_filter = ["status", ("branch", ScopedRelatedFieldListFilter)]
    search_fields = ["code", "name"]
    filter_horizontal = ["target_branches"]
    inlines = [RuleConditionInline, RuleRewardInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "description"]}),
        (gettext_lazy("Scope"), {"fields": ["branch", "target_branches", "all_policies"]}),
        (
            gettext_lazy("When"),
            {"fields": ["starts_at", "ends_at", "issued_from", "issued_to"]},
        ),
        (
            gettext_lazy("How"),
            {"fields": ["priority", "exclusive", "max_per_policy", "approval_threshold"]},
        ),
        (None, {"fields": ["tax_treatment"]}),
    ]
    record_fields = ["status", "version", "versions", "approval", "created_by", "created_at"]
    record_fields += ["updated_at"]

    # ------------------------------------------------------------------ list

    @admin.display(description=gettext_lazy("distribution window"))
    def window(self, rule):
        def day(moment):
            return f"{timezone.localtime(moment):%Y-%m-%d}" if moment else "…"

        if not rule.starts_at and not rule.ends_at:
            return _("always")
        return f"{day(rule.starts_at)} – {day(rule.ends_at)}"

    # ------------------------------------------------------------------ form

    @admin.display(description=gettext_lazy("versions"))
    def versions(self, rule):
        lineage = restrict(Rule.objects.filter(code=rule.code), rule._viewer, "view")
        rows = [
            (
                change_url(r),
                f"v{r.version}",
                r.get_status_display(),
                " ◀" if r.pk == rule.pk else "",
            )
            for r in lineage.order_by("version")
        ]
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> {}{}', rows)

    @admin.display(description=gettext_lazy("activation"))
    def approval(self, rule):
        change = pending_activation(rule)
        if change is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            change_url(change),
            _("awaiting approval, requested by %(maker)s at %(time)s")
            % {
                "maker": change.maker or "—",
                "time": f"{timezone.localtime(change.created_at):%Y-%m-%d %H:%M}",
            },
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append((gettext_lazy("Record"), {"fields": self.record_fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["code", *self.record_fields]
        if not content_editable(obj):
            readonly += [
                f
                for _name, opts in self.fieldsets
                for f in opts["fields"]
                if f not in EDITABLE_WHEN_LIVE and f != "code"
            ]
        return readonly

    def get_object(self, request, object_id, from_field=None):
        rule = super().get_object(request, object_id, from_field)
        if rule is not None:
            rule._viewer = request.user  # the versions field lists what this user may see
        return rule

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    # ------------------------------------------------------------------ buttons

    def get_urls(self):
        view = self.admin_site.admin_view
        ops = [
            ("submit", self.submit_view),
            ("pause", self.pause_view),
            ("resume", self.resume_view),
            ("close", self.close_view),
            ("new-version", self.new_version_view),
            ("clone", self.clone_view),
            ("test", self.test_view),
        ]
        return [
            *(
                path(
                    f"<path:object_id>/{name}/",
                    view(func),
                    name=f"distribution_rule_{name.replace('-', '_')}",
                )
                for name, func in ops
            ),
            *super().get_urls(),
        ]

    def buttons(self, request, rule):
        """(url name, label) of what this user can do to this rule now."""
        can_change = self.has_change_permission(request, rule)
        buttons = []
        if can_change:
            if rule.status == RuleStatus.DRAFT and pending_activation(rule) is None:
                buttons.append(("submit", _("Submit for activation")))
            if rule.status == RuleStatus.ACTIVE:
                buttons.append(("pause", _("Pause")))
            if rule.status == RuleStatus.PAUSED:
                buttons.append(("resume", _("Resume")))
            if rule.status in (RuleStatus.ACTIVE, RuleStatus.PAUSED):
                buttons.append(("new_version", _("New version")))
            if rule.status != RuleStatus.CLOSED:
                buttons.append(("close", _("Close")))
        if self.has_add_permission(request):
            buttons.append(("clone", _("Clone")))
        return [
            (reverse(f"admin:distribution_rule_{name}", args=[rule.pk]), label)
            for name, label in buttons
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        rule = self.get_object(request, object_id)
        if rule is not None:
            extra_context["rule_buttons"] = self.buttons(request, rule)
            extra_context["test_form"] = PolicyTestForm()
            extra_context["test_url"] = reverse("admin:distribution_rule_test", args=[rule.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def _changer(self, request):
        return lambda rule: self.has_change_permission(request, rule)

    def submit_view(self, request, object_id):
        def perform(rule, data):
            change = rule_request_activation(actor=request.user, rule=rule, note=data["reason"])
            return _("Submitted for activation; an approver must confirm it."), change.rule

        def problems(rule):
            return rule_problems(rule) if rule.status == RuleStatus.DRAFT else []

        return self.object_operation(
            request,
            object_id,
            title=_("Submit for activation"),
            question=_(
                "The rule goes live once an approver confirms it. Until then it cannot "
                "be edited (withdraw the request to edit it)."
            ),
            perform=perform,
            form_class=lambda data: ReasonForm(
                data, required=False, label=_("note for the approver")
            ),
            allowed=self._changer(request),
            extra=lambda rule: {"problems": problems(rule)},
        )

    def _status_view(self, request, object_id, title, question, service, done):
        def perform(rule, data):
            service(actor=request.user, rule=rule)
            return done

        return self.object_operation(
            request,
            object_id,
            title=title,
            question=question,
            perform=perform,
            allowed=self._changer(request),
        )

    def pause_view(self, request, object_id):
        return self._status_view(
            request,
            object_id,
            _("Pause"),
            _("No policy gets this rule's gifts until it is resumed."),
            rule_pause,
            _("The rule is paused."),
        )

    def resume_view(self, request, object_id):
        return self._status_view(
            request,
            object_id,
            _("Resume"),
            _("The rule hands out again, as it was approved."),
            rule_resume,
            _("The rule is active again."),
        )

    def close_view(self, request, object_id):
        return self._status_view(
            request,
            object_id,
            _("Close"),
            _("A closed rule never hands out again. Past distributions keep it."),
            rule_close,
            _("The rule is closed."),
        )

    def new_version_view(self, request, object_id):
        def perform(rule, data):
            draft = rule_new_version(actor=request.user, rule=rule)
            return _("Draft v%(version)s created: edit it, then submit it.") % {
                "version": draft.version
            }, draft

        return self.object_operation(
            request,
            object_id,
            title=_("New version"),
            question=_(
                "A draft copy to edit. This version keeps handing out until the new one "
                "is approved, which closes this one."
            ),
            perform=perform,
            allowed=self._changer(request),
        )

    def clone_view(self, request, object_id):
        def perform(rule, data):
            copy = rule_clone(actor=request.user, rule=rule, code=data["code"])
            return _("Rule %(code)s created as a draft.") % {"code": copy.code}, copy

        return self.object_operation(
            request,
            object_id,
            title=_("Clone"),
            question=_("A new rule, with its own code, starting from this one's content."),
            perform=perform,
            form_class=CloneForm,
            allowed=lambda rule: self.has_add_permission(request),
        )

    # ------------------------------------------------------------------ test box

    def test_view(self, request, object_id):
        """This rule's verdict for a policy (this rule alone, whatever its status)."""
        rule = self.object_or_404(request, object_id)
        form = PolicyTestForm(request.GET if "policy" in request.GET else None)
        results = None
        if form.is_valid():
            results = self.verdicts(request, rule, form.cleaned_data["policy"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": rule,
            "title": _("Test %(rule)s against a policy") % {"rule": rule},
            "test_form": form,
            "test_url": request.path,
            "results": results,
        }
        if "fragment" in request.GET:
            return TemplateResponse(request, "admin/distribution/rule/test_result.html", context)
        return TemplateResponse(request, "admin/distribution/rule/test.html", context)

    def verdicts(self, request, rule, text):
        policies = list(policy_lookup(user=request.user, text=text)[:TEST_POLICIES])
        if not policies:
            return []
        now = timezone.localtime()
        specs = rulebook.rule_specs(Rule.objects.filter(pk=rule.pk), now)
        results = []
        for policy in policies:
            facts = loaders.policy_facts(policy)
            offer = engine.evaluate(facts, specs, loaders.quotas_for_policy(policy.pk, now), now)
            results.append((policy, offer.verdicts[0]))
        return results

    # ------------------------------------------------------------------ history

    def revert_disabled(self, request, obj=None):
        # Reverting would bypass drafts and approvals: history is for reading.
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.object_or_404(request, object_id)
        if request.method != "GET":
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)
