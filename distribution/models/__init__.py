from .quotas import Quota, QuotaBasis, QuotaPeriod, QuotaStatus, QuotaUsage
from .records import (
    LIVE_STATUSES,
    Distribution,
    DistributionItem,
    DistributionStatus,
    ItemStatus,
    QuotaCharge,
    RecoveryStatus,
)
from .rules import Rule, RuleCondition, RuleReward, RuleStatus, TaxTreatment
from .runs import BatchRun, BatchStatus, ChangeKind, ChangeRequest, ChangeStatus

__all__ = [
    "LIVE_STATUSES",
    "BatchRun",
    "BatchStatus",
    "ChangeKind",
    "ChangeRequest",
    "ChangeStatus",
    "Distribution",
    "DistributionItem",
    "DistributionStatus",
    "ItemStatus",
    "Quota",
    "QuotaBasis",
    "QuotaCharge",
    "QuotaPeriod",
    "QuotaStatus",
    "QuotaUsage",
    "RecoveryStatus",
    "Rule",
    "RuleCondition",
    "RuleReward",
    "RuleStatus",
    "TaxTreatment",
]
