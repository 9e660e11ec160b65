"""Writes of the distribution app: one function per business action, each a transaction."""

from .batch_approval import batch_run_approve, batch_run_reject
from .changes import (
    category_request_cash_enable,
    change_approve,
    change_reject,
    change_withdraw,
    quota_change_limit,
    quota_request_activation,
    rule_request_activation,
)
from .handout import (
    DistributionRefused,
    distribution_approve,
    distribution_cancel,
    distribution_create,
    distribution_mark_recovery,
    distribution_reject,
    handouts_move,
)
from .rules import (
    rule_clone,
    rule_close,
    rule_is_editable,
    rule_new_version,
    rule_pause,
    rule_problems,
    rule_resume,
)

__all__ = [
    "DistributionRefused",
    "batch_run_approve",
    "batch_run_reject",
    "category_request_cash_enable",
    "change_approve",
    "change_reject",
    "change_withdraw",
    "distribution_approve",
    "distribution_cancel",
    "distribution_create",
    "distribution_mark_recovery",
    "distribution_reject",
    "handouts_move",
    "quota_change_limit",
    "quota_request_activation",
    "rule_clone",
    "rule_close",
    "rule_is_editable",
    "rule_new_version",
    "rule_pause",
    "rule_problems",
    "rule_request_activation",
    "rule_resume",
]
