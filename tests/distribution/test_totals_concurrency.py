"""The daily totals under concurrent writers (PostgreSQL): hand-outs and cancellations
landing on the same totals row at once never lose an update nor deadlock."""

import pytest
from django.db import connection

from distribution.models import Distribution, HandoutDayTotal
from distribution.services import DistributionRefused, distribution_cancel, distribution_create
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
