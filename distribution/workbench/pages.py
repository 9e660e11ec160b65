"""What the workbench pages show, loaded in a fixed number of queries.

The policy page reads one policy, its past distributions (which also feed the
engine) and the offer; none of these grows its query count with the number of rules
or past hand-outs (one query each, the engine is pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from distribution import engine, loaders, rawsql, rulebook
from distribution.models import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    DistributionStatus,
    ShipmentLine,
    TaxTreatment,
)
from distribution.quota_math import format_money, format_units
from distribution.specs import VOUCHER_COUNT, Offer, QuotaEffect, RewardLine, RuleVerdict
from giftplatform.access import restrict
from gifts.models import ContractService, GiftKind
from policies.models import Policy
from policies.selectors import policy_lookup

# A search that finds more than this many policies asks for a more precise identifier.
SEARCH_LIMIT = 50


def policy_search(*, user, text: str) -> list[Policy]:
    """Up to SEARCH_LIMIT + 1 policies whose identifier equals ``text``: one indexed query."""
    return list(
        policy_lookup(user=user, text=text).order_by("-issue_date", "-id")[: SEARCH_LIMIT + 1]
    )


def distributions_with_items(queryset: QuerySet) -> QuerySet:
    """Distributions with their rule, actor and items (gift, voucher) and the items'
    parcels (courier, tracking no.): three queries, however many distributions."""
    lines = ShipmentLine.objects.select_related("shipment").order_by("shipment__shipped_at", "pk")
    items = (
        DistributionItem.objects.select_related("gift", "voucher")
        .prefetch_related(Prefetch("shipment_lines", queryset=lines))
        .order_by("id")
    )
    return queryset.select_related("policy", "rule", "created_by").prefetch_related(
        Prefetch("items", queryset=items)
    )


@dataclass(frozen=True)
class PastDistribution:
    number: str
    rule_name: str
    status: str
    status_label: str
    created_at: datetime
    created_by: str
    items: tuple[tuple[str, int], ...]  # gift name, quantity


@dataclass(frozen=True)
class PolicyHistory:
    # Items of the live distributions in every branch, as loaders.policy_facts takes them:
    # the offer must count hand-outs the clerk may not see.
    live_items: tuple[tuple[int, str, str, int], ...]
    shown: tuple[PastDistribution, ...]  # what the user may see, newest first


# Every distribution of one policy with its items, and whether the user may see it.
POLICY_HISTORY_SQL = """
SELECT d.id, d.number, d.rule_code, r.name, d.status, d.created_at, u.full_name, u.username,
       i.contract_service, i.quantity, g.name, {visible}
  FROM distribution_distribution d
  LEFT OUTER JOIN distribution_rule r ON r.id = d.rule_id
  LEFT OUTER JOIN giftplatform_user u ON u.id = d.created_by_id
  LEFT OUTER JOIN distribution_distributionitem i ON i.distribution_id = d.id
  LEFT OUTER JOIN gifts_gift g ON g.id = i.gift_id
 WHERE d.policy_id = %s
 ORDER BY d.created_at DESC, d.id DESC, i.id
"""


def policy_history(*, user, policy: Policy) -> PolicyHistory:
    """The policy's past hand-outs for the page and for the engine: one query, in SQL
    written out because it runs on every look-up (see ``distribution.rawsql``)."""
    scoped = restrict(Distribution.objects.filter(policy_id=policy.pk), user, "view")
    visible_sql, visible_params = rawsql.membership(scoped, "d.id")
    rows = rawsql.fetch_all(
        POLICY_HISTORY_SQL.format(visible=visible_sql), [*visible_params, policy.pk]
    )
    labels = dict(DistributionStatus.choices)
    live, shown, items_of = [], {}, {}
    for (pk, number, rule_code, rule_name, status, created_at, full_name, username,
         service, quantity, gift_name, visible) in rows:  # fmt: skip
        if quantity is not None and status in LIVE_STATUSES:
            live.append((pk, rule_code, service, quantity))
        if not visible:
            continue
        if pk not in shown:
            items_of[pk] = []
            shown[pk] = (number, rule_name or rule_code, status, created_at, full_name or username)
        if quantity is not None:
            items_of[pk].append((gift_name, quantity))
    return PolicyHistory(
        live_items=tuple(live),
        shown=tuple(
            PastDistribution(
                number=number,
                rule_name=rule_name,
                status=status,
                status_label=str(labels.get(status, status)),
                created_at=rawsql.moment(created_at),
                created_by=created_by or "",
                items=tuple(items_of[pk]),
            )
            for pk, (number, rule_name, status, created_at, created_by) in shown.items()
        ),
    )


@dataclass(frozen=True)
class OptionGroup:
    label: str
    index: int  # position among the rule's groups: names the form field
    options: tuple[RewardLine, ...]


@dataclass(frozen=True)
class EffectRow:
    effect: QuotaEffect
    used: str
    amount: str
    limit: str


@dataclass(frozen=True)
class RuleCard:
    """One rule's verdict as the page shows it."""

    verdict: RuleVerdict
    fixed: tuple[RewardLine, ...]
    groups: tuple[OptionGroup, ...]
    effects: tuple[EffectRow, ...]
    has_physical: bool
    tax_label: str

    @property
    def warned(self) -> bool:
        return any(row.effect.warning for row in self.effects)


def option_groups(verdict: RuleVerdict) -> tuple[OptionGroup, ...]:
    """The rule's choose-one groups in a stable order (by label), each with its options."""
    labels = sorted({line.option_group for line in verdict.rewards if line.option_group})
    return tuple(
        OptionGroup(
            label=label,
            index=index,
            options=tuple(line for line in verdict.rewards if line.option_group == label),
        )
        for index, label in enumerate(labels)
    )


def _show(amount: Decimal, basis: str) -> str:
    return format_units(amount) if basis == VOUCHER_COUNT else format_money(amount)


def rule_cards(offer: Offer, bases: dict[int, str]) -> list[RuleCard]:
    taxes = dict(TaxTreatment.choices)
    cards = []
    for verdict in offer.verdicts:
        effects = tuple(
            EffectRow(
                effect=e,
                used=_show(e.used, bases.get(e.quota_id, "")),
                amount=_show(e.amount, bases.get(e.quota_id, "")),
                limit=_show(e.limit, bases.get(e.quota_id, "")),
            )
            for e in verdict.quota_effects
        )
        cards.append(
            RuleCard(
                verdict=verdict,
                fixed=tuple(line for line in verdict.rewards if not line.option_group),
                groups=option_groups(verdict),
                effects=effects,
                has_physical=any(line.gift_kind == GiftKind.PHYSICAL for line in verdict.rewards),
                tax_label=str(taxes.get(verdict.tax_treatment, verdict.tax_treatment)),
            )
        )
    return cards


@dataclass(frozen=True)
class OfferData:
    offer: Offer
    contract_services_left: tuple[tuple[str, int], ...]
    bases: dict[int, str]


def load_offer(policy: Policy, now: datetime, history: PolicyHistory) -> OfferData:
    """The engine's offer for ``policy`` at ``now``, from a constant number of queries."""
    facts = loaders.policy_facts(policy, live_items=history.live_items)
    snapshot = loaders.quotas_for_policy(policy.pk, now)
    specs = rulebook.live_rule_specs(now)
    offer = engine.evaluate(facts, specs, snapshot, now)
    services = dict(ContractService.choices)
    left = tuple(
        (str(services.get(code, code)), n)
        for code, n in sorted(facts.contract_services_left.items())
    )
    return OfferData(
        offer=offer,
        contract_services_left=left,
        bases={q.quota_id: q.basis for q in snapshot.quotas},
    )


def refusal_lines(rule_name: str, reasons) -> list[str]:
    return [_("%(rule)s: %(reason)s") % {"rule": rule_name, "reason": r} for r in reasons]
