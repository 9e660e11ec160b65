"""Batch runs, the writing half: one chunk's hand-outs in a handful of set-based statements.

The same rules as ``distribution_create`` (services/handout.py), for many policies at once:

- the chunk's policy rows, then its pool counters, then its gift rows are locked with
  SELECT ... FOR UPDATE, each in id order (the order ``distribution_create`` takes its
  policy, pools and stock), so the chunk plans against numbers nobody else can move;
- each pool counter gets ONE conditional UPDATE (``used + chunk total <= limit``), each
  gift ONE conditional UPDATE (``stock >= chunk total``); they must succeed under the
  locks, and if one does not, the chunk fails and leaves nothing;
- voucher codes are claimed with SELECT ... FOR UPDATE SKIP LOCKED LIMIT n per gift;
- Distribution rows carry a free slot, so the partial unique constraint
  ``distribution_max_per_policy`` stays the database's backstop; an IntegrityError
  (or fewer free codes than planned) rolls the chunk back and the caller redoes it
  policy by policy through ``distribution_create``.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from distribution import engine
from distribution.batch_plan import PolicyRow
from distribution.models import (
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    QuotaCharge,
    QuotaUsage,
    Rule,
    TaxTreatment,
    gift_snapshot,
)
from distribution.periods import local_date, period_start
from distribution.quota_math import quota_period
from distribution.rulebook import UNLIMITED
from distribution.services.handout import CASUAL_INCOME_RATE
from distribution.services.totals import totals_add
from distribution.specs import PER_POLICY, Plan, QuotaSpec, RuleSpec
from giftplatform.access import recorded
from gifts.models import Gift, GiftKind, MovementReason, StockMovement, VoucherCode, VoucherStatus

CENT = Decimal("0.01")


class ChunkConflict(Exception):
    """The chunk cannot be written set-based (a constraint fired, codes were taken by
    someone else); nothing of it was written and it is redone policy by policy."""


class BatchInvariantBroken(Exception):
    """A conditional update failed although its row was locked: never expected."""


@dataclass(frozen=True)
class Pool:
    quota: QuotaSpec
    usage_id: int
    period_start: object
    used: Decimal


@dataclass(frozen=True)
class GiftRow:
    gift_id: int
    kind: str
    provider_id: int
    stock: int
    has_codes: bool
    category_id: int | None


def pools_for(rule: RuleSpec, quotas) -> list[QuotaSpec]:
    """Pool quotas that may charge this rule's hand-outs (scope by rule and gift; the
    branch and product scopes depend on the policy, so those pools are locked too)."""
    gifts = {r.gift_id for r in rule.rewards}
    return [
        q
        for q in quotas
        if quota_period(q) != PER_POLICY
        and (not q.rule_code or q.rule_code == rule.code)
        and (q.gift_id is None or q.gift_id in gifts)
    ]


def lock_pools(pools: list[QuotaSpec], now: datetime, *, lock: bool = True) -> dict[int, Pool]:
    """The period counters of ``pools``, created if missing and locked in id order."""
    if not pools:
        return {}
    starts = {q.quota_id: period_start(q.period, now) for q in pools}
    if lock:
        QuotaUsage.objects.bulk_create(
            [QuotaUsage(quota_id=k, period_start=v, used=0) for k, v in starts.items()],
            ignore_conflicts=True,
        )
    wanted = Q(pk__in=[])
    for quota_id, start in starts.items():
        wanted |= Q(quota_id=quota_id, period_start=start)
    rows = QuotaUsage.objects.filter(wanted).order_by("pk")
    if lock:
        rows = rows.select_for_update(no_key=True)
    found = {
        quota_id: (pk, used) for pk, quota_id, used in rows.values_list("pk", "quota_id", "used")
    }
    by_id = {q.quota_id: q for q in pools}
    return {
        quota_id: Pool(
            quota=by_id[quota_id],
            usage_id=found.get(quota_id, (0, 0))[0],
            period_start=starts[quota_id],
            used=Decimal(found.get(quota_id, (0, 0))[1]),
        )
        for quota_id in starts
    }


def lock_gifts(rule: RuleSpec, *, lock: bool = True) -> dict[int, GiftRow]:
    """The rule's gift rows, locked in id order; ``has_codes`` as ``distribution_create``
    decides it (a service always; a contract service when it has any codes)."""
    gift_ids = sorted({r.gift_id for r in rule.rewards})
    available = {r.gift_id: r.available for r in rule.rewards}
    rows = Gift.objects.filter(pk__in=gift_ids).order_by("pk")
    if lock:
        rows = rows.select_for_update(no_key=True)
    out = {}
    found = rows.values_list("pk", "kind", "provider_id", "stock", "category_id")
    for pk, kind, provider_id, stock, category_id in found:
        has_codes = kind == GiftKind.SERVICE or (
            kind == GiftKind.CONTRACT_SERVICE and available.get(pk) != UNLIMITED
        )
        out[pk] = GiftRow(pk, kind, provider_id, stock, has_codes, category_id)
    return out


def batch_number(now: datetime, run_id: int, policy_id: int) -> str:
    """Distinct from ``distribution_create``'s D<date><8 hex>: the 'R' is not a hex digit,
    and (run, policy) is unique, so a big run never collides on the number."""
    return f"D{timezone.localtime(now):%y%m%d}R{_b36(run_id)}-{_b36(policy_id)}"


def _b36(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def idempotency_key(run_id: int, policy_id: int, rule_code: str) -> str:
    return f"batch:{run_id}:{policy_id}:{rule_code}"


def _status(plan: Plan, gifts: dict[int, GiftRow]) -> str:
    if plan.needs_approval:
        return DistributionStatus.PENDING_APPROVAL
    physical = any(gifts[line.gift_id].kind == GiftKind.PHYSICAL for line in plan.lines)
    return DistributionStatus.FULFILLING if physical else DistributionStatus.COMPLETED


def _withholding(plan: Plan) -> Decimal:
    if plan.tax_treatment != TaxTreatment.CASUAL:
        return Decimal(0)
    return (plan.total_value * CASUAL_INCOME_RATE).quantize(CENT)


def _claim_codes(handouts, gifts: dict[int, GiftRow], today) -> dict[int, deque]:
    need: Counter = Counter()
    for _row, plan in handouts:
        for line in plan.lines:
            if gifts[line.gift_id].has_codes:
                need[line.gift_id] += line.quantity
    claimed = {}
    for gift_id in sorted(need):
        ids = list(
            VoucherCode.objects.select_for_update(skip_locked=True)
            .filter(gift_id=gift_id, status=VoucherStatus.AVAILABLE)
            .exclude(expires_on__lt=today)
            .order_by("expires_on", "id")
            .values_list("pk", flat=True)[: need[gift_id]]
        )
        if len(ids) < need[gift_id]:
            raise ChunkConflict(f"gift {gift_id}: {len(ids)} free codes, {need[gift_id]} planned")
        claimed[gift_id] = deque(ids)
    return claimed


def _value(v):
    return v.value if isinstance(v, Enum) else v


def _insert(model, rows: list[dict]) -> None:
    """Insert ``rows`` (attname -> value, every row the same keys): COPY on PostgreSQL,
    bulk_create elsewhere. Both write exactly the values given."""
    if not rows:
        return
    # A field added later (with a default) gets it, as the ORM would give it.
    stamp = timezone.now()
    defaults = {
        f.attname: stamp
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in model._meta.concrete_fields
        if f.attname not in rows[0] and not f.primary_key
    }
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    names = list(rows[0])
    columns = ", ".join(connection.ops.quote_name(fields[n]) for n in names)
    table = connection.ops.quote_name(model._meta.db_table)
    # wrap_database_errors: a constraint hit is Django's IntegrityError, as with the ORM.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([_value(row[n]) for n in names])


def _insert_distributions(rows: list[dict], user, now) -> None:
    """Insert the Distribution rows and their history rows (``distribution_create``'s
    ``objects.create`` records one each); sets each row's ``id``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [Distribution._meta.db_table, len(rows)],
            )
            for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
                row["id"] = pk
        _insert(Distribution, rows)
    else:
        objs = Distribution.objects.bulk_create([Distribution(**row) for row in rows])
        for row, obj in zip(rows, objs, strict=True):
            # created_at too: the ORM stamps its own (auto_now_add); the lines copy it.
            row["id"], row["created_at"] = obj.pk, obj.created_at
    history = Distribution.history.model
    own = {f.attname for f in history._meta.concrete_fields} - {"history_id"}
    extra = {
        "history_date": now,
        "history_change_reason": "",
        "history_type": "+",
        "history_user_id": getattr(user, "pk", None),
    }
    _insert(
        history,
        [{**{k: v for k, v in row.items() if k in own}, **extra} for row in rows],
    )


def write_chunk(
    *,
    run,
    actor,
    rule: Rule,
    handouts: list[tuple[PolicyRow, Plan]],
    gifts: dict[int, GiftRow],
    pools: dict[int, Pool],
    now: datetime,
) -> None:
    """Write ``handouts`` (planned under the locks) in the caller's transaction."""
    if not handouts:
        return
    user = recorded(actor)
    user_id = getattr(user, "pk", None)
    today = local_date(now)
    codes = _claim_codes(handouts, gifts, today)
    distributions = [
        {
            "number": batch_number(now, run.pk, row.policy_id),
            "policy_id": row.policy_id,
            "rule_id": rule.pk,
            "rule_code": rule.code,
            "slot": engine.free_slot(row.taken_slots, rule.max_per_policy),
            "slot_limit": rule.max_per_policy,
            "branch_id": row.branch_id,
            "status": _status(plan, gifts),
            **row.snapshot,
            "tax_treatment": plan.tax_treatment,
            "total_value": plan.total_value,
            "total_cost": plan.total_cost,
            "withholding": _withholding(plan),
            "idempotency_key": idempotency_key(run.pk, row.policy_id, rule.code),
            "recipient_name": row.insured_name,
            "recipient_phone": row.phone,
            "delivery_address": "",
            "batch_run_id": run.pk,
            "created_by_id": user_id,
            "created_at": now,
            "decided_at": None,
            "cancelled_at": None,
            "cancel_reason": "",
            "recovery": "",
            "decided_by_id": None,
            "cancelled_by_id": None,
        }
        for row, plan in handouts
    ]
    _insert_distributions(distributions, user, now)

    items, charges, movements = [], [], []
    stock = {gift_id: g.stock for gift_id, g in gifts.items()}
    taken: Counter = Counter()
    pool_total: Counter = Counter()
    issued: list[int] = []
    for distribution, (_row, plan) in zip(distributions, handouts, strict=True):
        reserved = plan.needs_approval
        for line in plan.lines:
            gift = gifts[line.gift_id]
            item = {
                "distribution_id": distribution["id"],
                "handed_out_at": distribution["created_at"],
                "gift_id": gift.gift_id,
                "quantity": line.quantity,
                "unit_value": line.face_value,
                "unit_cost": line.unit_cost,
                **gift_snapshot(gift),
                "contract_service": line.contract_service,
                "status": "",
                "voucher_id": None,
                "shipment_id": None,
            }
            if gift.kind == GiftKind.PHYSICAL:
                stock[gift.gift_id] -= line.quantity
                taken[gift.gift_id] += line.quantity
                movements.append(
                    {
                        "gift_id": gift.gift_id,
                        "quantity": -line.quantity,
                        "reason": MovementReason.DISTRIBUTION,
                        "reference": distribution["number"],
                        "unit_cost": None,
                        "note": "",
                        "stock_after": stock[gift.gift_id],
                        "actor_id": user_id,
                        "import_job_id": None,
                        "created_at": now,
                    }
                )
                item["status"] = ItemStatus.RESERVED if reserved else ItemStatus.TO_SHIP
                items.append(item)
                continue
            item["status"] = ItemStatus.RESERVED if reserved else ItemStatus.ISSUED
            if not gift.has_codes:
                items.append(item)
                continue
            for _n in range(line.quantity):
                code_id = codes[gift.gift_id].popleft()
                issued.append(code_id)
                items.append({**item, "quantity": 1, "voucher_id": code_id})
        for charge in plan.charges:
            pool = charge.period != PER_POLICY
            charges.append(
                {
                    "distribution_id": distribution["id"],
                    "quota_id": charge.quota_id,
                    "period_start": pools[charge.quota_id].period_start if pool else None,
                    "amount": charge.amount,
                    "returned": False,
                }
            )
            if pool:
                pool_total[charge.quota_id] += charge.amount

    for quota_id in sorted(pool_total):
        pool = pools[quota_id]
        amount = pool_total[quota_id]
        done = QuotaUsage.objects.filter(
            pk=pool.usage_id, used__lte=pool.quota.limit - amount
        ).update(used=F("used") + amount, updated_at=now)
        if done != 1:
            raise BatchInvariantBroken(f"pool {pool.quota.code} refused {amount} under its lock")
    for gift_id in sorted(taken):
        n = taken[gift_id]
        done = Gift.objects.filter(pk=gift_id, stock__gte=n).update(stock=F("stock") - n)
        if done != 1:
            raise BatchInvariantBroken(f"gift {gift_id} refused {n} units under its lock")
    if issued:
        VoucherCode.objects.filter(pk__in=issued).update(status=VoucherStatus.ISSUED, issued_at=now)
    _insert(DistributionItem, _known(DistributionItem, items))
    _insert(QuotaCharge, charges)
    _insert(StockMovement, movements)
    totals_add(row["id"] for row in distributions)


def _known(model, rows: list[dict]) -> list[dict]:
    """``rows`` without the keys ``model`` does not have (a field another issue adds)."""
    if not rows:
        return rows
    names = {f.attname for f in model._meta.concrete_fields}
    keep = [k for k in rows[0] if k in names]
    return [{k: row[k] for k in keep} for row in rows]
