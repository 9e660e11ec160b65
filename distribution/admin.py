"""The distribution admin pages, one module per area; importing them registers them."""

from distribution import (  # noqa: F401
    admin_changes,
    admin_distributions,
    admin_quotas,
    admin_rules,
    admin_runs,
    admin_settlements,
)
