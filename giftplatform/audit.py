"""The audit page (/audit/): every recorded change to gifts, vouchers, providers, rules,
quotas and distributions, and every export of an admin list, newest first, with who, when
and what changed (invariant 8).

Scoped like everything else: a row's branch is read from the history row itself where the
model has one (a gift moved from 南山 to 福田 keeps its 南山 past out of 福田's sight),
from the parent's current scope (``giftplatform.access.restrict``) for child rows, and
reference data (providers, categories) is visible to all staff.

Queries stay bounded whatever the size of the history tables: one narrow, index-ordered
query per history table for the page's candidates (at most offset + page size rows each),
merged in Python; then two queries per model present on the page (its rows with their
predecessor's id, and the predecessors) for the diffs. No COUNT over the tables: the
pager only knows whether a next page exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from heapq import merge
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from giftplatform.access import branches_for, restrict, sees_everything

PAGE_SIZE = 50
# Deeper than this, narrow the dates instead: each page reads offset + PAGE_SIZE per table.
MAX_PAGE = 100
VALUE_WIDTH = 80
# Platform admins and auditors (giftplatform/roles.py); rows stay scoped to their subtree.
AUDIT_PERMISSION = "giftplatform.view_audit_trail"


def may_audit(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(AUDIT_PERMISSION))


@dataclass(frozen=True)
class Audited:
    """One model with a history table, and where a history row's scope comes from."""

    label: str
    # "branch": the history row's own branch_id; "<fk>": the parent's scope; None: shared.
    scope: str | None
    # Rows without a branch are shared with every staff member (as in access.restrict).
    shared_when_no_branch: bool = False
    # A field that names the object for people (else "#id").
    name_field: str | None = None

    @property
    def model(self):
        return apps.get_model(self.label)

    @property
    def history(self):
        return self.model.history.model


AUDITED = [
    Audited("gifts.gift", "branch", True, "code"),
    Audited("gifts.giftcategory", None, name_field="name"),
    Audited("gifts.vouchercode", "gift", name_field="code"),
    Audited("suppliers.provider", None, name_field="code"),
    Audited("distribution.rule", "branch", True, "code"),
    Audited("distribution.rulecondition", "rule"),
    Audited("distribution.rulereward", "rule"),
    Audited("distribution.quota", "branch", True, "code"),
    Audited("distribution.distribution", "branch", False, "number"),
    Audited("distribution.distributionitem", "distribution"),
    Audited("giftplatform.user", "branch", False, "username"),
    # Exports of admin lists (who, which list, filters, rows), by the exporter's branch.
    Audited("giftplatform.exportlog", "branch", False, "model_label"),
    # Object permissions granted and revoked, by the shared object's branch.
    Audited("giftplatform.objectpermissionchange", "branch", True, "description"),
]
BY_LABEL = {audited.label: audited for audited in AUDITED}


def scope_condition(audited: Audited, user) -> Q | None:
    """The condition on ``audited``'s history rows that ``user`` may see; None: none."""
    if sees_everything(user):
        return Q()
    if audited.scope is None:
        return Q() if (user.is_active and user.is_staff) else None
    if audited.scope == "branch":
        condition = Q(branch_id__in=branches_for(user).values("pk"))
        if audited.shared_when_no_branch:
            condition |= Q(branch_id__isnull=True)
        return condition
    parent = audited.model._meta.get_field(audited.scope).related_model
    visible = restrict(parent._default_manager.all(), user, "view")
    return Q(**{f"{audited.scope}_id__in": visible.values("pk")})


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Record type"), required=False)
    user = forms.CharField(label=_("By (user name)"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("all"))] + [
            (a.label, a.model._meta.verbose_name) for a in AUDITED
        ]


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    time: datetime.datetime
    user: object
    model_name: str
    object_name: str
    object_url: str | None
    change_type: str
    changes: list[Change]
    reason: str | None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _show(value) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= VALUE_WIDTH else f"{text[: VALUE_WIDTH - 1]}…"


def _admin_url(label: str, object_id) -> str | None:
    app_label, model_name = label.split(".")
    try:
        return reverse(f"admin:{app_label}_{model_name}_change", args=[object_id])
    except NoReverseMatch:
        return None


def _field_names(record) -> list[str]:
    """The diffable fields: editable, not many-to-many (those would cost a query a row)."""
    return [f.name for f in record.tracked_fields if f.editable]


def _changes(audited: Audited, record, previous) -> list[Change]:
    verbose = {f.name: f.verbose_name for f in audited.model._meta.fields}
    names = _field_names(record)
    if previous is None:
        if record.history_type != "+":
            return []
        values = {name: getattr(record, record._meta.get_field(name).attname) for name in names}
        return [
            Change(str(verbose.get(name, name)), "", _show(value))
            for name, value in values.items()
            if value not in (None, "", False)
        ]
    delta = record.diff_against(previous, included_fields=names)
    return [
        Change(str(verbose.get(c.field, c.field)), _show(c.old), _show(c.new))
        for c in delta.changes
    ]


def _candidates(audited: Audited, condition: Q, limit: int):
    """(time, history_id, label) of the newest ``limit`` rows of one history table."""
    rows = (
        audited.history.objects.filter(condition)
        .order_by("-history_date", "-history_id")
        .values_list("history_date", "history_id")[:limit]
    )
    return [(time, history_id, audited.label) for time, history_id in rows]


def _records(audited: Audited, ids: list[int]) -> dict:
    """The history rows ``ids`` with the user, and each one's predecessor (or None)."""
    history = audited.history
    previous_id = (
        history.objects.filter(id=OuterRef("id"))
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    records = list(
        history.objects.filter(history_id__in=ids)
        .select_related("history_user")
        .annotate(audit_previous_id=Subquery(previous_id))
    )
    previous_ids = [r.audit_previous_id for r in records if r.audit_previous_id is not None]
    previous = history.objects.in_bulk(previous_ids) if previous_ids else {}
    return {r.history_id: (r, previous.get(r.audit_previous_id)) for r in records}


def audit_entries(*, user, model: str = "", actor_id=None, since=None, until=None, page=1):
    """One page of entries ``user`` may see, newest first, and whether a next page exists."""
    audited_models = [BY_LABEL[model]] if model else AUDITED
    wanted = page * PAGE_SIZE + 1
    streams = []
    for audited in audited_models:
        condition = scope_condition(audited, user)
        if condition is None:
            continue
        if actor_id is not None:
            condition &= Q(history_user_id=actor_id)
        if since is not None:
            condition &= Q(history_date__gte=since)
        if until is not None:
            condition &= Q(history_date__lt=until)
        streams.append(_candidates(audited, condition, wanted))
    ordered = list(merge(*streams, reverse=True, key=lambda c: (c[0], c[1])))
    has_next = len(ordered) > page * PAGE_SIZE
    chosen = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    by_model: dict[str, list[int]] = {}
    for _time, history_id, label in chosen:
        by_model.setdefault(label, []).append(history_id)
    loaded = {label: _records(BY_LABEL[label], ids) for label, ids in by_model.items()}

    entries = []
    for _time, history_id, label in chosen:
        audited = BY_LABEL[label]
        record, previous = loaded[label][history_id]
        name = getattr(record, audited.name_field) if audited.name_field else None
        entries.append(
            Entry(
                time=record.history_date,
                user=record.history_user,
                model_name=audited.model._meta.verbose_name,
                object_name=f"{name} (#{record.id})" if name else f"#{record.id}",
                object_url=None if record.history_type == "-" else _admin_url(label, record.id),
                change_type=record.history_type,
                changes=_changes(audited, record, previous),
                reason=record.history_change_reason,
            )
        )
    return entries, has_next


@staff_member_required
@require_http_methods(["GET"])
def audit_log(request):
    if not may_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    entries, has_next, page = [], False, 1
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        page = data.get("page") or 1
        actor_id, unknown_user = None, False
        if data.get("user"):
            actor_id = (
                get_user_model()
                .objects.filter(username=data["user"])
                .values_list("pk", flat=True)
                .first()
            )
            unknown_user = actor_id is None
        if not unknown_user:
            entries, has_next = audit_entries(
                user=request.user,
                model=data.get("model") or "",
                actor_id=actor_id,
                since=_day_start(data["date_from"]) if data.get("date_from") else None,
                until=(
                    _day_start(data["date_to"] + datetime.timedelta(days=1))
                    if data.get("date_to")
                    else None
                ),
                page=page,
            )
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        **admin.site.each_context(request),
        "title": _("Audit trail"),
        "form": form,
        "entries": entries,
        "page": page,
        "previous_url": f"?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
        "next_url": (
            f"?{urlencode({**query, 'page': page + 1})}" if has_next and page < MAX_PAGE else None
        ),
    }
    return render(request, "audit/log.html", context)
