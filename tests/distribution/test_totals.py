"""The daily hand-out totals stay equal to the live hand-outs through every writer:
hand-outs (straight and awaiting approval), approvals, rejections, cancellations, batch
runs; and a rebuild gives the same rows."""

import contextlib
import random
from decimal import Decimal

import pytest

from distribution.models import (
    Distribution,
    DistributionStatus,
    HandoutDayFacet,
    HandoutDayTotal,
    HandoutMonthFacet,
    policy_snapshot,
)
from distribution.services import (
    DistributionRefused,
    distribution_approve,
    distribution_cancel,
    distribution_create,
    distribution_reject,
)
from distribution.services.totals import statistics_rebuild
from tests.distribution.conftest import make_rule, stocked_gift, voucher_gift
from tests.distribution.test_batch import run_rule
from tests.distribution.totals_check import (
    assert_totals_match,
    expected_facets,
    expected_totals,
    stored_facets,
    stored_totals,
)
from tests.factories import CategoryFactory, PolicyFactory

pytestmark = pytest.mark.django_db


def test_a_hand_out_counts_itself_and_a_cancellation_takes_itself_away(futian, nanshan):
    gift = stocked_gift(50, face_value=Decimal("80.00"), unit_cost=Decimal("30.00"))
    rule = make_rule("T1", [(gift, 2, "")])
    first = distribution_create(
        actor=None, policy=PolicyFactory(branch=futian), rule=rule, idempotency_key="t-1"
    )
    distribution_create(
        actor=None, policy=PolicyFactory(branch=nanshan), rule=rule, idempotency_key="t-2"
    )
    (futian_row,) = HandoutDayTotal.objects.filter(branch=futian)
    assert (futian_row.distributions, futian_row.units) == (1, 2)
    assert (futian_row.value, futian_row.cost) == (Decimal("160.00"), Decimal("60.00"))
    assert_totals_match()

    distribution_cancel(actor=None, distribution=first, reason="客户放弃")

    futian_row.refresh_from_db()
    assert (futian_row.distributions, futian_row.units, futian_row.value) == (0, 0, 0)
    assert_totals_match()


def test_approval_keeps_and_rejection_removes(futian, approver_shenzhen):
    gift = voucher_gift(10, face_value=Decimal("300.00"), unit_cost=Decimal("100.00"))
    rule = make_rule("T2", [(gift, 1, "")], approval_threshold=Decimal("100.00"))
    waiting = [
        distribution_create(
            actor=None, policy=PolicyFactory(branch=futian), rule=rule, idempotency_key=f"w-{n}"
        )
        for n in range(3)
    ]
    assert {d.status for d in waiting} == {DistributionStatus.PENDING_APPROVAL}
    assert stored_totals() == expected_totals() != {}  # awaiting approval is live: counted

    distribution_approve(actor=approver_shenzhen, distribution=waiting[0])
    distribution_reject(actor=approver_shenzhen, distribution=waiting[1], reason="超标")

    (row,) = HandoutDayTotal.objects.all()
    assert (row.distributions, row.value) == (2, Decimal("600.00"))
    assert_totals_match()


def test_a_batch_run_counts_every_hand_out_it_writes(futian, nanshan):
    gift = stocked_gift(100)
    rule = make_rule("TB", [(gift, 1, "")])
    for branch in (futian, nanshan, futian, futian, nanshan):
        PolicyFactory(branch=branch)

    run = run_rule(rule, chunk_size=2)

    assert run.distributed == 5
    assert sum(t.distributions for t in HandoutDayTotal.objects.all()) == 5
    assert_totals_match()
    for handout in Distribution.objects.select_related("policy"):
        assert policy_snapshot(handout) == policy_snapshot(handout.policy)
        assert {(i.category_id, i.kind) for i in handout.items.all()} == {
            (gift.category_id, gift.kind)
        }


def test_facets_keep_the_agent_and_product_a_policy_had_when_handed_out(futian):
    gift = stocked_gift(20)
    rule = make_rule("TA", [(gift, 1, "")], max_per_policy=2)
    policy = PolicyFactory(branch=futian, agent_code="A-OLD", product="ctpl")
    before = distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="a-1")
    policy.agent_code, policy.product = "A-NEW", "commercial"
    policy.save()
    after = distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="a-2")

    assert (before.agent_code, before.product) == ("A-OLD", "ctpl")
    assert (after.agent_code, after.product) == ("A-NEW", "commercial")
    agents = HandoutMonthFacet.objects.filter(facet="agent", branch=futian)
    assert {(row.key, row.distributions) for row in agents} == {("A-OLD", 1), ("A-NEW", 1)}
    assert_totals_match()


def test_random_writes_then_a_rebuild_give_the_same_rows(futian, nanshan, approver_shenzhen):
    rng = random.Random(11)
    boxes = stocked_gift(500, face_value=Decimal("45.50"), unit_cost=Decimal("20.25"))
    washes = voucher_gift(60, face_value=Decimal("120.00"), unit_cost=Decimal("70.00"))
    rules = [
        make_rule("RA", [(boxes, 1, "")], max_per_policy=3),
        make_rule("RB", [(boxes, 2, ""), (washes, 1, "")], approval_threshold=Decimal("150")),
        make_rule("RC", [(washes, 2, "")], max_per_policy=2),
    ]
    policies = [PolicyFactory(branch=rng.choice([futian, nanshan])) for _ in range(8)]
    for n in range(40):
        action = rng.random()
        live = list(Distribution.objects.live())
        if action < 0.6 or not live:
            # Refused (max per policy, no codes left): writes nothing.
            with contextlib.suppress(DistributionRefused):
                distribution_create(
                    actor=None,
                    policy=rng.choice(policies),
                    rule=rng.choice(rules),
                    idempotency_key=f"r-{n}",
                )
            continue
        chosen = rng.choice(live)
        if chosen.status == DistributionStatus.PENDING_APPROVAL and action < 0.8:
            decide = rng.choice([distribution_approve, distribution_reject])
            kwargs = {"reason": "随机"} if decide is distribution_reject else {}
            decide(actor=approver_shenzhen, distribution=chosen, **kwargs)
        else:
            distribution_cancel(actor=None, distribution=chosen, reason="随机取消")
        assert_totals_match()
    assert_totals_match()
    incremental = (stored_totals(), stored_facets("day"), stored_facets("month"))
    assert Distribution.objects.exclude(status__in=["cancelled", "rejected"]).exists()

    statistics_rebuild()

    assert (stored_totals(), stored_facets("day"), stored_facets("month")) == incremental
    assert incremental == (expected_totals(), expected_facets("day"), expected_facets("month"))


def test_facets_keep_the_category_and_kind_a_gift_had_when_handed_out(futian):
    gift = stocked_gift(20, face_value=Decimal("50.00"), unit_cost=Decimal("25.00"))
    first_category = gift.category_id
    rule = make_rule("T9", [(gift, 1, "")], max_per_policy=2)
    policy = PolicyFactory(branch=futian)
    before = distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="c-1")
    gift.category = CategoryFactory()
    gift.save()
    after = distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="c-2")

    assert before.items.get().category_id == first_category
    assert after.items.get().category_id == gift.category_id != first_category
    facets = {
        (row.key, row.distributions)
        for row in HandoutDayFacet.objects.filter(facet="category", branch=futian)
    }
    assert facets == {(str(first_category), 1), (str(gift.category_id), 1)}
    assert_totals_match()
