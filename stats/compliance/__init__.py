"""The compliance views' reads (see ``common`` for how they are made): gift value against
premium (``ratios``), cash equivalents and contract-service uses (``findings``), and the
casual-income tax report (``tax``)."""

from stats.compliance.common import LIST_LIMIT, WORST_LIMIT, ComplianceQuery
from stats.compliance.findings import (
    CashEquivalents,
    ContractUses,
    ServiceUses,
    cash_equivalents,
    contract_uses,
)
from stats.compliance.ratios import (
    ProductRatios,
    QuotaLevels,
    WorstPolicy,
    premium_ratio_quotas,
    premium_ratios,
)
from stats.compliance.tax import TaxRow, casual_distributions, casual_income

__all__ = [
    "LIST_LIMIT",
    "WORST_LIMIT",
    "CashEquivalents",
    "ComplianceQuery",
    "ContractUses",
    "ProductRatios",
    "QuotaLevels",
    "ServiceUses",
    "TaxRow",
    "WorstPolicy",
    "cash_equivalents",
    "casual_distributions",
    "casual_income",
    "contract_uses",
    "premium_ratio_quotas",
    "premium_ratios",
]
