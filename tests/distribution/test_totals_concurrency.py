"""The daily totals under concurrent writers (PostgreSQL): hand-outs and cancellations
landing on the same totals row at once never lose an update nor deadlock; the reach rows
of one policy, handed out to and cancelled at once, even across two branches, stay
chained as the lines say."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from distribution.models import Distribution, HandoutDayTotal
from distribution.services import (
    DistributionRefused,
    distribution_cancel,
    distribution_create,
    handouts_move,
)
from distribution.services.totals import statistics_rebuild
from tests.concurrency import storm
from tests.distribution.conftest import make_rule, stocked_gift, voucher_gift
from tests.distribution.totals_check import assert_totals_match
from tests.factories import PolicyFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_concurrent_hand_outs_and_cancellations_keep_the_totals_exact(futian, nanshan):
    boxes = stocked_gift(200)
    washes = voucher_gift(100)
    rules = [make_rule("CA", [(boxes, 1, "")]), make_rule("CB", [(washes, 2, ""), (boxes, 1, "")])]
    policies = [PolicyFactory(branch=futian if n % 3 else nanshan) for n in range(24)]
    earlier = [
        distribution_create(actor=None, policy=p, rule=rules[0], idempotency_key=f"e-{n}")
        for n, p in enumerate(policies[:8])
    ]
    assert_totals_match()
    for policy in policies[:4]:  # moved: their new hand-outs go to another branch
        policy.branch = nanshan if policy.branch == futian else futian
        policy.save(update_fields=["branch"])

    def hand_out(n):
        policy, rule = policies[n % len(policies)], rules[n % 2]
        return lambda: distribution_create(
            actor=None, policy=policy, rule=rule, idempotency_key=f"c-{n}"
        )

    def cancel(distribution):
        return lambda: distribution_cancel(actor=None, distribution=distribution, reason="并发")

    calls = [hand_out(n) for n in range(24)] + [cancel(d) for d in earlier]
    outcomes = storm(calls, {DistributionRefused: lambda e: "refused"})

    assert outcomes["ok"] >= len(earlier) + 16  # the 16 policies without an earlier hand-out
    assert Distribution.objects.filter(status="cancelled").count() == len(earlier)
    assert sum(t.distributions for t in HandoutDayTotal.objects.all()) == (
        Distribution.objects.live().count()
    )
    assert_totals_match()


def test_a_hand_out_waits_for_a_cancellation_of_its_policy_to_commit(futian):
    """The policy's latest hand-out is being cancelled (not yet committed) when another is
    handed out: the new one's previous day must be the earlier one that stays live, which
    only the policy's lock, taken by both, guarantees."""
    washes = voucher_gift(10)  # codes, not a stock row both sides would queue on
    rule = make_rule("CP", [(washes, 1, "")], max_per_policy=5)
    policy = PolicyFactory(branch=futian)
    older, latest = (
        distribution_create(actor=None, policy=policy, rule=rule, idempotency_key=f"p-{n}")
        for n in range(2)
    )
    # Months apart: no running-total row the two writers would queue on.
    handouts_move(
        {
            older.pk: older.created_at - timedelta(days=70),
            latest.pk: latest.created_at - timedelta(days=35),
        }
    )
    statistics_rebuild()
    cancelling, commit = threading.Event(), threading.Event()

    def cancel_then_hold():
        try:
            with transaction.atomic():
                distribution_cancel(actor=None, distribution=latest, reason="并发")
                cancelling.set()
                commit.wait(timeout=30)
        finally:
            connections.close_all()

    def hand_out():
        try:
            distribution_create(actor=None, policy=policy, rule=rule, idempotency_key="p-new")
        finally:
            connections.close_all()

    canceller = threading.Thread(target=cancel_then_hold)
    canceller.start()
    assert cancelling.wait(timeout=30)
    writer = threading.Thread(target=hand_out)
    writer.start()
    writer.join(timeout=1)  # queued on the policy (or, unlocked, done already)
    commit.set()
    canceller.join(timeout=30)
    writer.join(timeout=30)

    assert Distribution.objects.live().filter(policy=policy).count() == 2
    assert_totals_match()
