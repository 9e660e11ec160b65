"""A batch run racing counter hand-outs on the same policies, pool, stock and codes, and
approvers racing to decide one run (PostgreSQL: row locks and SKIP LOCKED are what is
being tested)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from distribution.batch import batch_run_execute, batch_run_prepare
from distribution.models import BatchStatus, Distribution, QuotaUsage
from distribution.services import (
    DistributionRefused,
    batch_run_approve,
    batch_run_reject,
    distribution_create,
)
from gifts.models import VoucherCode, VoucherStatus
from tests.distribution.admin_support import grant_distribution
from tests.distribution.batch_support import approved_run
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.distribution.test_batch import assert_invariants
from tests.factories import PolicyFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_batch_run_and_counter_hand_outs_at_once_keep_every_invariant(futian, nanshan):
    box = stocked_gift(100)
    wash = voucher_gift(codes=45)
    rule = make_rule("R1", [(box, 1, ""), (wash, 1, "")])
    make_quota("POOL", "voucher_count", "all", 60)  # 2 units a hand-out: 30 hand-outs
    in_batch = [PolicyFactory(branch=futian) for _ in range(40)]
    outside = [PolicyFactory(branch=nanshan) for _ in range(15)]
    run = approved_run(rule, branch=futian)
    targets = in_batch[::3] + outside  # the counter races the batch on some of its policies
    barrier = threading.Barrier(len(targets) + 1)
    errors = []

    def counter(policy):
        try:
            barrier.wait(timeout=60)  # a thread that failed early must not hang the rest
            distribution_create(
                actor=None, policy=policy, rule=rule, idempotency_key=f"counter:{policy.pk}"
            )
        except DistributionRefused:
            pass
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def batch():
        try:
            barrier.wait(timeout=60)  # a thread that failed early must not hang the rest
            batch_run_execute(actor=None, run=run, chunk_size=4)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=counter, args=(p,)) for p in targets]
    threads.append(threading.Thread(target=batch))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, [str(e) for e in errors]
    run.refresh_from_db()
    assert run.status == "completed"
    assert QuotaUsage.objects.get().used == 60  # exactly what the pool allows went out
    assert Distribution.objects.count() == 30
    assert VoucherCode.objects.filter(status=VoucherStatus.ISSUED).count() == 30
    per_policy = Distribution.objects.values_list("policy_id", flat=True)
    assert len(set(per_policy)) == 30  # nobody twice
    assert_invariants()


def test_two_approvers_deciding_at_once_give_exactly_one_decision(futian, shenzhen):
    """The run's row is locked for the decision: one approves or rejects, the other is told
    it was already decided."""
    rule = make_rule("R1", [(stocked_gift(10), 1, "")])
    PolicyFactory(branch=futian)
    maker = UserFactory(username="maker_ft", branch=futian)
    run = batch_run_prepare(actor=maker, rule=rule)
    checkers = [
        grant_distribution(UserFactory(username=f"ap{n}", branch=shenzhen), approve=True)
        for n in range(6)
    ]
    barrier = threading.Barrier(len(checkers))
    decided, refused, errors = [], [], []

    def decide(n, checker):
        try:
            barrier.wait(timeout=60)
            if n % 2:
                batch_run_reject(actor=checker, run=run, note="no")
            else:
                batch_run_approve(actor=checker, run=run)
            decided.append(checker.pk)
        except ValidationError:
            refused.append(checker.pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=pair) for pair in enumerate(checkers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, [str(e) for e in errors]
    run.refresh_from_db()
    assert len(decided) == 1 and len(refused) == len(checkers) - 1
    assert run.checker_id == decided[0]
    assert run.status in (BatchStatus.PENDING, BatchStatus.REJECTED)
