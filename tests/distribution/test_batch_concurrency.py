"""A batch run racing counter hand-outs on the same policies, pool, stock and codes
(PostgreSQL: row locks and SKIP LOCKED are what is being tested)."""

import threading

import pytest
from django.db import connection, connections

from distribution.batch import batch_run_execute
from distribution.models import Distribution, QuotaUsage
from distribution.services import DistributionRefused, distribution_create
from gifts.models import VoucherCode, VoucherStatus
from tests.distribution.batch_support import approved_run
from tests.distribution.conftest import make_quota, make_rule, stocked_gift, voucher_gift
from tests.distribution.test_batch import assert_invariants
from tests.factories import PolicyFactory

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
