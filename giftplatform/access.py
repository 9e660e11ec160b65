"""The one place that decides what a user may see or do.

Staff see rows of their branch subtree (one indexed prefix condition on the branch
path); superusers see everything. Rows outside scope are treated as missing (404),
never as forbidden, so ids cannot be probed. Rows with no branch (gifts for every
branch) are visible to all staff but changed only by staff of a top-level branch.
The roles and guardian object permissions of the access issue plug in here.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from giftplatform.models import Branch

# Where each model keeps its branch, as a lookup path to Branch.
BRANCH_PATHS = {
    "giftplatform.branch": "",
    "giftplatform.user": "branch",
    "gifts.gift": "branch",
    "gifts.stockmovement": "gift__branch",
    "gifts.vouchercode": "gift__branch",
    "policies.policy": "branch",
    "policies.piireveal": "policy__branch",
    "distribution.rule": "branch",
    "distribution.quota": "branch",
    "distribution.quotausage": "quota__branch",
    "distribution.changerequest": "branch",
    "distribution.batchrun": "rule__branch",
    "distribution.distribution": "branch",
    "distribution.distributionitem": "distribution__branch",
}
# Models whose rows with no branch are shared with every staff member.
SHARED_WHEN_NO_BRANCH = {
    "gifts.gift",
    "gifts.stockmovement",
    "gifts.vouchercode",
    "distribution.rule",
    "distribution.quota",
    "distribution.quotausage",
    "distribution.changerequest",
    "distribution.batchrun",
}
# Models whose rows belong to the user who made them.
OWNED_BY = {"gifts.importjob": "actor"}


def recorded(actor):
    """The user to record as having acted: None for the command-line operator."""
    return actor if getattr(actor, "pk", None) else None


def sees_everything(user) -> bool:
    return bool(user.is_active and user.is_superuser)


def branch_scope(user) -> Branch | None:
    """The root of the subtree this user works in (None: no branch data at all)."""
    return getattr(user, "branch", None) if user.is_active else None


def restrict(queryset: QuerySet, user, action: str = "view") -> QuerySet:
    """``queryset`` narrowed to the rows ``user`` may ``action``."""
    if sees_everything(user):
        return queryset
    label = queryset.model._meta.label_lower
    if label in OWNED_BY:
        return queryset.filter(**{OWNED_BY[label]: user}) if user.pk else queryset.none()
    if label not in BRANCH_PATHS:
        # Reference data (providers, categories, ...) is visible to every active staff member.
        return queryset if (user.is_active and user.is_staff) else queryset.none()
    root = branch_scope(user)
    if root is None:
        return queryset.none()
    field = BRANCH_PATHS[label]
    path_lookup = f"{field}__path__startswith" if field else "path__startswith"
    condition = Q(**{path_lookup: root.path})
    if label in SHARED_WHEN_NO_BRANCH and (action == "view" or root.parent_id is None):
        condition |= Q(**{f"{field}__isnull": True})
    return queryset.filter(condition)


def get_or_404(queryset: QuerySet, user, action: str = "view", **lookup):
    """The object if it exists and is in scope; otherwise 404, the same either way."""
    try:
        return restrict(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def branches_for(user) -> QuerySet:
    return restrict(Branch.objects.all(), user, "view")
