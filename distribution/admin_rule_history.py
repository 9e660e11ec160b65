"""The rule's history page: the rule, its conditions and its rewards in one timeline.

Put ``RuleHistoryAdminMixin`` before ``ConfirmPagesMixin`` in ``RuleAdmin``'s bases. The
page answers 404 for a rule outside the user's scope (as every page of a rule) and 403
without the view permission; the records come from ``distribution.rule_history``.
"""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from distribution.rule_history import rule_history


class RuleHistoryAdminMixin:
    rule_history_template = "admin/distribution/rule/history.html"

    def history_view(self, request, object_id, extra_context=None):
        rule = self.object_or_404(request, object_id)
        if not self.has_view_or_change_permission(request, rule):
            raise PermissionDenied
        entries = rule_history(rule)
        for entry in entries:
            # The rule's own records open simple-history's read-only snapshot.
            entry.url = (
                reverse("admin:distribution_rule_simple_history", args=[rule.pk, entry.history_id])
                if entry.part == "rule"
                else None
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(rule)s") % {"rule": rule},
            "subtitle": None,
            "object": rule,
            "opts": self.opts,
            "module_name": capfirst(str(self.opts.verbose_name_plural)),
            "entries": entries,
            "revert_disabled": True,  # history is for reading (see RuleAdmin)
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.rule_history_template, context)
