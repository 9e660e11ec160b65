"""The filter forms of the statistics pages (GET only: a URL is a shareable report)."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from distribution.models import DistributionStatus
from giftplatform.access import branches_for, restrict
from policies.models import Product
from stats.dimensions import DEFAULT_MEASURES, DIMENSIONS, MEASURES
from stats.selectors import StatsQuery
from suppliers.models import Provider

DATE = forms.DateInput(attrs={"type": "date"})


def month_to_date() -> tuple[date, date]:
    today = timezone.localdate()
    return today.replace(day=1), today


def with_defaults(query_dict, **defaults):
    """The GET data with the defaults filled in, so the form shows what the page used."""
    data = query_dict.copy()
    start, end = month_to_date()
    defaults = {"date_from": start.isoformat(), "date_to": end.isoformat(), **defaults}
    for name, value in defaults.items():
        if not data.get(name):
            if isinstance(value, list | tuple):
                data.setlist(name, list(value))
            else:
                data[name] = value
    return data


class PeriodForm(forms.Form):
    """A date range (local days, both included) and an optional branch subtree.

    ``branch`` is a plain id: the view resolves it through ``access.get_or_404``, so a
    branch outside the user's scope is a 404 (as a missing one), never a form error that
    would tell it exists.
    """

    date_from = forms.DateField(label=_("from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("to"), required=False, widget=DATE)
    branch = forms.IntegerField(label=_("branch"), required=False, min_value=1)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["branch"].widget = forms.Select(choices=self._branch_choices())

    def _branch_choices(self):
        branches = branches_for(self.user).order_by("path").values_list("pk", "name", "depth")
        return [("", _("all in my scope"))] + [
            (pk, "\u3000" * depth + name) for pk, name, depth in branches
        ]

    def clean(self):
        data = super().clean()
        start, end = month_to_date()
        data["date_from"] = data.get("date_from") or start
        data["date_to"] = data.get("date_to") or end
        if data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def sheet_arguments(self, branch) -> dict:
        """What a sheet builder of the page reads (see ``stats.exports``)."""
        data = self.cleaned_data
        return {"date_from": data["date_from"], "date_to": data["date_to"], "branch": branch}

    def described(self, branch) -> list[str]:
        """The period and branch in words, for the sheet's header rows."""
        data = self.cleaned_data
        return [
            f"{_('from')} {data['date_from']:%Y-%m-%d} {_('to')} {data['date_to']:%Y-%m-%d}",
            f"{_('branch')}: {branch.name if branch else _('all in my scope')}",
        ]


class GroupedForm(PeriodForm):
    dimension = forms.ChoiceField(
        label=_("group by"),
        choices=[(code, d.label) for code, d in DIMENSIONS.items()],
        required=False,
    )
    across = forms.ChoiceField(
        label=_("and across"),
        choices=[("", "—"), *((code, d.label) for code, d in DIMENSIONS.items())],
        required=False,
    )
    measures = forms.MultipleChoiceField(
        label=_("measures"),
        choices=[(code, m.label) for code, m in MEASURES.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rule_code = forms.CharField(label=_("rule code"), required=False, max_length=40)
    provider = forms.ModelChoiceField(
        label=_("provider"), queryset=Provider.objects.none(), required=False
    )
    product = forms.ChoiceField(
        label=_("product"), choices=[("", "—"), *Product.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("distribution status"),
        choices=[("", "—"), *DistributionStatus.choices],
        required=False,
    )
    cancelled = forms.BooleanField(
        label=_("show cancelled and rejected hand-outs separately"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = restrict(
            Provider.objects.order_by("code"), self.user, "view"
        )

    def clean(self):
        data = super().clean()
        data["dimension"] = data.get("dimension") or "branch"
        if data.get("across") == data["dimension"]:
            data["across"] = ""
        data["measures"] = tuple(data.get("measures") or DEFAULT_MEASURES)
        return data

    def stats_query(self, branch, *, cancelled: bool = False) -> StatsQuery:
        data = self.cleaned_data
        provider = data.get("provider")
        return StatsQuery(
            dimensions=tuple(d for d in (data["dimension"], data.get("across")) if d),
            measures=data["measures"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            branch=branch,
            rule_code=data.get("rule_code") or "",
            provider_id=provider.pk if provider else None,
            product=data.get("product") or "",
            status=data.get("status") or "",
            cancelled=cancelled,
        )

    def described(self, branch) -> list[str]:
        """The filters in words, for the sheet's header rows."""
        data = self.cleaned_data
        parts = super().described(branch)
        for name in ("rule_code", "provider", "product", "status"):
            value = data.get(name)
            if value:
                field = self.fields[name]
                shown = (
                    dict(field.choices).get(value, value)
                    if name in ("product", "status")
                    else value
                )
                parts.append(f"{field.label}: {shown}")
        return parts
