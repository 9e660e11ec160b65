"""What the workbench pages show, loaded in a fixed number of queries.

The policy page reads one policy, its past distributions and the offer; none of
these grows its query count with the number of rules or past hand-outs (the
loaders prefetch, the engine is pure).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from distribution import engine, loaders, rulebook
from distribution.models import Distribution, DistributionItem, TaxTreatment
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
    """Distributions with their rule, actor and items (gift, voucher): two queries."""
    items = DistributionItem.objects.select_related("gift", "voucher").order_by("id")
    return queryset.select_related("policy", "rule", "created_by").prefetch_related(
        Prefetch("items", queryset=items)
    )


def past_distributions(*, user, policy: Policy) -> list[Distribution]:
    scoped = restrict(Distribution.objects.filter(policy=policy), user, "view")
    return list(distributions_with_items(scoped).order_by("-created_at", "-id"))


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


def load_offer(policy: Policy, now: datetime) -> OfferData:
    """The engine's offer for ``policy`` at ``now``, from a constant number of queries."""
    facts = loaders.policy_facts(policy)
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
