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
from .shipments import (
    TRACKING_FORMATS,
    Courier,
    Shipment,
    ShipmentLine,
    normalize_tracking_no,
    tracking_error,
)
from .totals import Facet, HandoutDayFacet, HandoutDayTotal, HandoutMonthFacet

__all__ = [
    "LIVE_STATUSES",
    "TRACKING_FORMATS",
    "BatchRun",
    "BatchStatus",
    "ChangeKind",
    "ChangeRequest",
    "ChangeStatus",
    "Courier",
    "Distribution",
    "DistributionItem",
    "DistributionStatus",
    "Facet",
    "HandoutDayFacet",
    "HandoutDayTotal",
    "HandoutMonthFacet",
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
    "Shipment",
    "ShipmentLine",
    "TaxTreatment",
    "normalize_tracking_no",
    "tracking_error",
]
