"""The counter workbench: find a policy, see its offer with reasons, hand out, print a receipt.

Every row goes through ``giftplatform.access``: a policy or distribution outside the
clerk's branch subtree is a 404, the same as one that does not exist. A staff member whose
roles lack the workbench's permissions gets 403 before any row is looked up, so ids cannot
be probed by them either.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from distribution.models import Distribution, Rule
from distribution.services.handout import DistributionRefused, distribution_create
from distribution.workbench import pages
from distribution.workbench_forms import HandoutForm, SearchForm, group_name, include_name
from giftplatform.access import get_or_404, restrict
from policies.models import Policy

_INCLUDE = re.compile(r"rule_(\d+)")
# A receipt shows at most this many distributions (one confirm makes one per rule).
RECEIPT_LIMIT = 20
# The workbench is the counter's hand-out tool: finding a policy there is for those who may
# also hand out (counter staff, platform admins); the others read policies in the admin.
WORKBENCH_PERMISSIONS = ("policies.view_policy", "distribution.add_distribution")
# A receipt is a printed distribution record.
RECEIPT_PERMISSIONS = ("distribution.view_distribution",)


def _require(user, permissions: tuple[str, ...]) -> None:
    if not user.has_perms(permissions):
        raise PermissionDenied


@staff_member_required
@require_http_methods(["GET"])
def search(request):
    _require(request.user, WORKBENCH_PERMISSIONS)
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid():
        results = pages.policy_search(user=request.user, text=form.cleaned_data["q"])
        if len(results) == 1:
            return redirect("workbench:policy", pk=results[0].pk)
    context = {
        "form": form,
        "results": results[: pages.SEARCH_LIMIT] if results else results,
        "too_many": results is not None and len(results) > pages.SEARCH_LIMIT,
        "limit": pages.SEARCH_LIMIT,
    }
    return render(request, "workbench/search.html", context)


def receipt_url(numbers: list[str]) -> str:
    first, *rest = numbers
    url = reverse("workbench:receipt", args=[first])
    return f"{url}?{urlencode([('n', n) for n in rest])}" if rest else url


def _hand_out(user, policy: Policy, form: HandoutForm) -> list[str]:
    """Every ticked rule in one transaction: all distributions, or none (raises)."""
    wanted = form.handouts()
    rules = Rule.objects.in_bulk([rule_id for rule_id, _ in wanted])
    data = form.cleaned_data
    numbers = []
    with transaction.atomic():
        for rule_id, choices in wanted:
            rule = rules[rule_id]
            try:
                made = distribution_create(
                    actor=user,
                    policy=policy,
                    rule=rule,
                    choices=choices,
                    idempotency_key=form.idempotency_key(rule.code),
                    recipient_name=data["recipient_name"],
                    recipient_phone=data["recipient_phone"],
                    delivery_address=data["delivery_address"],
                )
            except DistributionRefused as refused:
                raise DistributionRefused(
                    pages.refusal_lines(rule.name, refused.reasons)
                ) from refused
            numbers.append(made.number)
    return numbers


def _done_before(policy: Policy, post) -> list[str]:
    """The distribution numbers, if this form (its key) already handed out every rule it
    ticks: a re-POST or a double click whose first request committed meanwhile. Read from
    the raw POST: once handed out, a rule may no longer be in the offer the form is built on."""
    try:
        key = uuid.UUID(post.get("key", ""))
    except ValueError:
        return []
    ids = [int(m[1]) for name in post if (m := _INCLUDE.fullmatch(name)) and post.get(name)]
    codes = Rule.objects.filter(pk__in=ids).values_list("code", flat=True)
    keys = [f"{key}:{code}" for code in codes]
    found = dict(
        Distribution.objects.filter(policy=policy, idempotency_key__in=keys).values_list(
            "idempotency_key", "number"
        )
    )
    return [found[k] for k in keys] if keys and len(found) == len(keys) else []


def _rows(cards: list[pages.RuleCard], form: HandoutForm) -> list[dict]:
    """Each rule card with its bound form fields and the option to show as chosen."""
    rows = []
    for card in cards:
        rule_id = card.verdict.rule_id
        name = include_name(rule_id)
        groups = []
        for group in card.groups:
            field = form[group_name(rule_id, group.index)]
            selected = "" if field.value() in (None, "") else str(field.value())
            allowed = [line for line in group.options if line.allowed]
            if not form.is_bound and len(allowed) == 1:
                selected = str(allowed[0].reward_id)  # nothing to choose
            groups.append({"group": group, "field": field, "selected": selected})
        include = form[name] if name in form.fields else None
        rows.append({"card": card, "include": include, "groups": groups})
    return rows


@staff_member_required
@require_http_methods(["GET", "POST"])
def policy_detail(request, pk: int):
    _require(request.user, WORKBENCH_PERMISSIONS)
    policy = get_or_404(Policy.objects.select_related("branch"), request.user, "view", pk=pk)
    now = timezone.localtime()
    history = pages.policy_history(user=request.user, policy=policy)
    data = pages.load_offer(policy, now, history)
    form = HandoutForm(
        request.POST if request.method == "POST" else None,
        offer=data.offer,
        initial={"key": uuid.uuid4(), "recipient_name": policy.insured_name},
    )
    refusal: list[str] = []
    if request.method == "POST":
        numbers = _done_before(policy, request.POST)
        if not numbers and form.is_valid():
            try:
                numbers = _hand_out(request.user, policy, form)
            except DistributionRefused as refused:
                numbers = _done_before(policy, request.POST)
                if not numbers:
                    refusal = list(refused.reasons)
        if numbers:
            return redirect(receipt_url(numbers))
    cards = pages.rule_cards(data.offer, data.bases)
    matched = [c for c in cards if c.verdict.matched]
    context = {
        "policy": policy,
        "past": history.shown,
        "cards": cards,
        "rows": _rows(matched, form),
        "matched": matched,
        # Rules that do not match show only their reasons: no gifts to pick, no quota to spend.
        "unmatched": [c for c in cards if not c.verdict.matched],
        "needs_recipient": any(c.has_physical for c in matched),
        "contract_services_left": data.contract_services_left,
        "form": form,
        "refusal": refusal,
    }
    return render(request, "workbench/policy.html", context)


@staff_member_required
@require_http_methods(["GET"])
def receipt(request, number: str):
    _require(request.user, RECEIPT_PERMISSIONS)
    numbers = list(dict.fromkeys([number, *request.GET.getlist("n")]))[:RECEIPT_LIMIT]
    scoped = restrict(Distribution.objects.filter(number__in=numbers), request.user, "view")
    found = {d.number: d for d in pages.distributions_with_items(scoped)}
    if len(found) != len(numbers):
        raise Http404
    distributions = [found[n] for n in numbers]
    context = {
        "distributions": distributions,
        "policy": distributions[0].policy,
        "printed_at": timezone.localtime(),
    }
    return render(request, "workbench/receipt.html", context)
