"""Batch runs: one rule handed out over many policies, in chunks, resumable.

``batch_run_prepare`` records the selection; ``batch_run_execute`` processes the selected
policies in id order after ``run.last_policy_id``, a chunk at a time. Each chunk is ONE
transaction that writes its hand-outs and advances the cursor, the counters and the
report together: a stop or a crash between chunks never gives anything twice, a crash
inside a chunk leaves nothing of it, and executing the run again resumes after the last
committed chunk. ``batch_run_stop`` asks a running run to stop after its current chunk.

Four eyes: a real run waits, with its maker, until a second person approves it
(``distribution.services.batch_approval``); a dry run needs no approval.

Selection: policies in force, in the run's branch subtree and issue dates, and in the
rule's own scope (its branches and issue-date window). Every other check is the engine's,
per policy, exactly as at the counter (``distribution_create``): conditions, max per
policy, exclusive rules of higher priority, per-policy and pool quotas, stock, voucher
codes, contract-service uses, approval threshold (above it the hand-out waits in
pending_approval with its stock, codes and quota reserved).

Option groups: there is no customer to ask, so each group gets its FIRST ALLOWED option
in reward order (the order the rule lists its rewards); when that combination does not
fit the budgets together, the next combinations in the same order are tried, then the
engine's cheapest fitting one (``batch_plan.batch_choices``).

Speed: a chunk is set-based (``batch_plan`` loads and plans it in memory against a
running snapshot under locks; ``batch_write`` writes it with bulk statements). If the
database refuses the chunk (a unique constraint, voucher codes taken meanwhile), the
chunk is rolled back and redone policy by policy through ``distribution_create``.

A dry run makes the same selection and decisions against the same running snapshot and
writes nothing but the BatchRun row (counters, cursor, report; see ``batch_report``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from distribution import engine, loaders, rulebook
from distribution.batch_plan import ChunkPlanner, batch_choices, load_chunk_facts
from distribution.batch_report import ChunkReport, pool_taken, supply_taken
from distribution.batch_write import (
    ChunkConflict,
    idempotency_key,
    lock_gifts,
    lock_pools,
    pools_for,
    write_chunk,
)
from distribution.models import BatchRun, BatchStatus, Rule, RuleStatus
from distribution.quota_math import quota_period
from distribution.specs import PER_POLICY
from giftplatform.access import recorded
from giftplatform.db import statements_not_prepared
from giftplatform.models import Branch
from policies.models import Policy, PolicyStatus

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1000
DEADLOCK_RETRIES = 3
RESUMABLE = (BatchStatus.PENDING, BatchStatus.RUNNING, BatchStatus.STOPPED, BatchStatus.FAILED)


class RunBusy(Exception):
    """Another process committed a chunk of this run meanwhile: it is being executed."""


class RuleNotLive(Exception):
    """The run's rule was paused or closed: the run stops and can resume once it is live."""


def batch_policies(
    *,
    rule: Rule,
    branch: Branch | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
):
    """The policies a batch run of ``rule`` considers (ids ascending)."""
    policies = Policy.objects.filter(status=PolicyStatus.IN_FORCE)
    if branch is not None:
        policies = policies.filter(branch__path__startswith=branch.path)
    if issued_from:
        policies = policies.filter(issue_date__gte=issued_from)
    if issued_to:
        policies = policies.filter(issue_date__lte=issued_to)
    if rule.issued_from:
        policies = policies.filter(issue_date__gte=rule.issued_from)
    if rule.issued_to:
        policies = policies.filter(issue_date__lte=rule.issued_to)
    paths = rule.reach_paths()
    if paths:
        scope = Q()
        for path in paths:
            scope |= Q(branch__path__startswith=path)
        policies = policies.filter(scope)
    return policies.order_by("pk")


def _run_policies(run: BatchRun):
    policies = batch_policies(
        rule=run.rule, branch=run.branch, issued_from=run.issued_from, issued_to=run.issued_to
    )
    # The run covers the policies that existed when it was prepared.
    upto = run.report.get("selection", {}).get("max_policy_id")
    return policies.filter(pk__lte=upto) if upto is not None else policies


def batch_run_prepare(
    *,
    actor,
    rule: Rule,
    branch: Branch | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    dry_run: bool = False,
) -> BatchRun:
    """Record a batch run of ``rule`` (not started): its selection and how many policies;
    a real one with ``actor`` as its maker, awaiting approval."""
    maker = recorded(actor)
    if not dry_run and maker is None:
        raise ValidationError(
            _("A real batch run needs a named maker: a second person then approves it.")
        )
    if rule.status != RuleStatus.ACTIVE:
        raise ValidationError(
            _("Rule %(rule)s is not active (%(status)s).")
            % {"rule": rule.code, "status": rule.get_status_display()}
        )
    if issued_from and issued_to and issued_from > issued_to:
        raise ValidationError(_("The issue dates are the wrong way round."))
    policies = batch_policies(
        rule=rule, branch=branch, issued_from=issued_from, issued_to=issued_to
    )
    upto = Policy.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    selection = {
        "rule": rule.code,
        "branch": branch.code if branch else None,
        "issued_from": issued_from.isoformat() if issued_from else None,
        "issued_to": issued_to.isoformat() if issued_to else None,
        "max_policy_id": upto,
    }
    return BatchRun.objects.create(
        rule=rule,
        branch=branch,
        issued_from=issued_from,
        issued_to=issued_to,
        dry_run=dry_run,
        total=policies.filter(pk__lte=upto).count(),
        report={"selection": selection},
        status=BatchStatus.PENDING if dry_run else BatchStatus.AWAITING_APPROVAL,
        created_by=maker,
    )


def batch_run_stop(*, actor, run: BatchRun) -> BatchRun:
    """Ask the run to stop after the chunk it is in; a run not running stops at once."""
    BatchRun.objects.filter(pk=run.pk).update(stop_requested=True)
    BatchRun.objects.filter(pk=run.pk, status=BatchStatus.PENDING).update(
        status=BatchStatus.STOPPED
    )
    run.refresh_from_db()
    return run


def batch_run_execute(
    *,
    actor,
    run: BatchRun,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[BatchRun], None] | None = None,
) -> BatchRun:
    """Process the run's remaining policies, a chunk per transaction; returns the run.

    A real run must have been approved (four eyes). Ends completed, or stopped
    (``batch_run_stop``, the rule paused, Ctrl-C); call it again to resume. An error
    marks the run failed (nothing of the failing chunk is kept) and is raised again.
    """
    run.refresh_from_db()
    if run.status == BatchStatus.COMPLETED:
        return run
    if run.status == BatchStatus.AWAITING_APPROVAL:
        raise ValidationError(_("This batch run awaits approval by a second person."))
    if run.status == BatchStatus.REJECTED:
        raise ValidationError(_("This batch run was rejected; it never runs."))
    if not run.dry_run and run.checker_id is None:
        raise ValidationError(_("This batch run was never approved."))
    if run.status not in RESUMABLE:
        raise ValidationError(_("This batch run cannot be executed."))
    if chunk_size < 1:
        raise ValidationError(_("The chunk size must be at least 1."))
    BatchRun.objects.filter(pk=run.pk).update(
        status=BatchStatus.RUNNING,
        stop_requested=False,
        error="",
        started_at=run.started_at or timezone.now(),
        finished_at=None,
    )
    run.refresh_from_db()
    policies = _run_policies(run)
    try:
        with statements_not_prepared():
            while True:
                if BatchRun.objects.filter(pk=run.pk, stop_requested=True).exists():
                    return _finish(run, BatchStatus.STOPPED)
                ids = list(
                    policies.filter(pk__gt=run.last_policy_id).values_list("pk", flat=True)[
                        :chunk_size
                    ]
                )
                if not ids:
                    return _finish(run, BatchStatus.COMPLETED)
                _chunk(run, actor, ids)
                if progress is not None:
                    progress(run)
    except RuleNotLive as exc:
        run.refresh_from_db()
        return _finish(run, BatchStatus.STOPPED, error=str(exc))
    except RunBusy:
        run.refresh_from_db()
        raise
    except KeyboardInterrupt:
        run.refresh_from_db()
        _finish(run, BatchStatus.STOPPED, error=_("Interrupted; resume to continue."))
        raise
    except Exception as exc:
        logger.exception("batch run %s failed", run.pk)
        run.refresh_from_db()
        _finish(run, BatchStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        raise


def _finish(run: BatchRun, status: str, error: str = "") -> BatchRun:
    fields = {"status": status, "error": error}
    if status == BatchStatus.COMPLETED:
        fields["finished_at"] = timezone.now()
        fields["total"] = max(run.total, run.processed)
    BatchRun.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run


# --- one chunk -----------------------------------------------------------------------------


def _chunk(run: BatchRun, actor, ids: list[int]) -> None:
    """Process ``ids`` in one transaction; redo it per policy if the database refuses it."""
    try:
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                with transaction.atomic():
                    cursor = _lock_run(run)
                    report = _chunk_set_based(run, actor, ids)
                    _advance(run, cursor, ids, report)
                break
            except OperationalError as exc:
                # The chunk was rolled back whole; another transaction took locks in
                # another order (e.g. a counter hand-out's gifts): try the chunk again.
                if attempt == DEADLOCK_RETRIES or not _is_deadlock(exc):
                    raise
                logger.warning("batch run %s: deadlock, chunk retried", run.pk)
                run.refresh_from_db()
    except (IntegrityError, ChunkConflict) as exc:
        logger.warning("batch run %s: chunk after %s redone per policy: %s", run.pk, ids[0], exc)
        run.refresh_from_db()
        with transaction.atomic():
            cursor = _lock_run(run)
            report = _chunk_per_policy(run, actor, ids)
            _advance(run, cursor, ids, report)
    run.refresh_from_db()


def _is_deadlock(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) in ("40P01", "40001") or "deadlock" in str(exc)


def _lock_run(run: BatchRun) -> int:
    """Lock the run's row for the chunk; two executions of one run cannot both commit."""
    locked = BatchRun.objects.select_for_update().get(pk=run.pk)
    if locked.last_policy_id != run.last_policy_id:
        raise RunBusy(_("Another process is executing this batch run."))
    return locked.last_policy_id


def _advance(run: BatchRun, cursor: int, ids: list[int], report: ChunkReport) -> None:
    BatchRun.objects.filter(pk=run.pk, last_policy_id=cursor).update(
        last_policy_id=ids[-1],
        processed=run.processed + report.policies,
        distributed=run.distributed + report.distributed,
        refused=run.refused + report.refused,
        report=report.merge_into(run.report),
    )


def _live_specs(rule: Rule, now):
    # Exact voucher counts: a chunk plans many policies against one count.
    all_rules = rulebook.live_rule_specs(now, voucher_cap=None)
    ours = next((s for s in all_rules if s.rule_id == rule.pk), None)
    if ours is None:
        raise RuleNotLive(_("Rule %(rule)s is not active.") % {"rule": rule.code})
    return ours, all_rules


def _chunk_set_based(run: BatchRun, actor, ids: list[int]) -> ChunkReport:
    now = timezone.localtime()
    rule = run.rule
    quotas = loaders.quota_specs()
    per_policy = [q.quota_id for q in quotas if quota_period(q) == PER_POLICY]
    real = not run.dry_run
    # Lock order: policies, pool counters, gifts (as distribution_create takes them).
    chunk = load_chunk_facts(ids, rule.code, per_policy, lock=real)
    ours, all_rules = _live_specs(rule, now)
    pools = lock_pools(pools_for(ours, quotas), now, lock=real)
    gifts = lock_gifts(ours, lock=real)
    # Supply: stock from the locked rows, voucher codes as the loaders count them.
    supply = {r.gift_id: r.available for s in all_rules for r in s.rewards}
    supply.update({g.gift_id: g.stock for g in gifts.values() if g.kind == "physical"})
    pool_used = {quota_id: pool.used for quota_id, pool in pools.items()}
    if run.dry_run:
        # Nothing was written by earlier chunks: take what they would have taken.
        for quota_id, amount in pool_taken(run.report).items():
            if quota_id in pool_used:
                pool_used[quota_id] += amount
        codes = {r.gift_code: r.gift_id for s in all_rules for r in s.rewards}
        for code, n in supply_taken(run.report).items():
            if code in codes:
                supply[codes[code]] -= n
    planner = ChunkPlanner(
        rule=ours,
        all_rules=all_rules,
        quotas=tuple(quotas),
        pool_used=pool_used,
        supply=supply,
        now=now,
    )
    report = ChunkReport(ours, quotas, {g.gift_id for g in gifts.values() if g.has_codes})
    handouts = []
    for row in chunk.rows:
        decision = planner.decide(chunk.facts[row.policy_id], chunk.policy_used[row.policy_id])
        if decision.plan is None:
            report.add_refusal(decision.reasons)
        else:
            report.add_plan(decision.plan)
            handouts.append((row, decision.plan))
    missing = len(ids) - len(chunk.rows)  # deleted since selected: nothing to give
    report.policies += missing
    report.refused += missing
    if real:
        write_chunk(
            run=run, actor=actor, rule=rule, handouts=handouts, gifts=gifts, pools=pools, now=now
        )
    return report


def _chunk_per_policy(run: BatchRun, actor, ids: list[int]) -> ChunkReport:
    """The slow path: each policy through ``distribution_create`` (its own savepoint)."""
    from distribution.services.handout import DistributionRefused, distribution_create

    now = timezone.localtime()
    rule = run.rule
    quotas = loaders.quota_specs()
    ours, _rules = _live_specs(rule, now)
    gifts = lock_gifts(ours, lock=False)
    report = ChunkReport(ours, quotas, {g.gift_id for g in gifts.values() if g.has_codes})
    for policy in Policy.objects.filter(pk__in=ids).select_related("branch").order_by("pk"):
        facts = loaders.policy_facts(policy)
        snapshot = loaders.quotas_for_policy(policy.pk, now)
        verdict = engine.evaluate(facts, [ours], snapshot, now).verdicts[0]
        tries = batch_choices(verdict) if verdict.matched else [{}]
        if not any(r.option_group for r in ours.rewards):
            tries = [{}]
        reasons: tuple[str, ...] = ()
        for choices in tries:
            try:
                plan = engine.plan(facts, ours, snapshot, now, choices)
                distribution_create(
                    actor=actor,
                    policy=policy,
                    rule=rule,
                    choices=choices,
                    idempotency_key=idempotency_key(run.pk, policy.pk, rule.code),
                    batch_run=run,
                    now=now,
                )
            except (engine.PlanRefused, DistributionRefused) as refused:
                reasons = reasons or tuple(refused.reasons)
                continue
            report.add_plan(plan)
            break
        else:
            report.add_refusal(reasons or verdict.reasons)
    return report
