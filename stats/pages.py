"""What every statistics page shares: the permission check, the drill-down branch (in
scope or 404, as a missing one), its trail back up to the user's scope, and the filters
carried over into links."""

from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from giftplatform.access import branch_scope, get_or_404
from giftplatform.db import statements_not_prepared
from giftplatform.models import Branch

PERMISSION = "stats.view_statistics"


def stats_page(view):
    """Staff only (others to the admin sign-in), GET only, 403 without the permission.
    Its queries are not prepared: a statistics query prepared after a few runs on a
    connection may settle on PostgreSQL's generic plan, which cannot see how wide a date
    range is (a two-year question went from 50 to 380 ms in bench_stats)."""

    @staff_member_required
    @require_GET
    @never_cache
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        with statements_not_prepared():
            return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def drill_branch(request, form) -> Branch | None:
    """The drill-down branch of the URL, in scope or 404."""
    branch_id = form.cleaned_data.get("branch") if form.is_valid() else None
    if not branch_id:
        return None
    return get_or_404(Branch.objects.all(), request.user, "view", pk=branch_id)


def branch_trail(request, branch: Branch | None) -> list[Branch]:
    """The branches from the user's scope root down to ``branch`` (drill-up links)."""
    if branch is None:
        return []
    root = branch_scope(request.user)
    codes = [code for code in branch.path.split("/") if code]
    found = {b.code: b for b in Branch.objects.filter(code__in=codes)}
    trail = [found[code] for code in codes if code in found]
    if root is not None and not request.user.is_superuser:
        trail = [b for b in trail if b.path.startswith(root.path)]
    return trail


def page_context(request, form) -> tuple[Branch | None, dict]:
    """The drill-down branch (in scope or 404) and the context every page starts from."""
    branch = drill_branch(request, form)
    return branch, {"form": form, "branch": branch, "trail": branch_trail(request, branch)}


def query_string(request, drop=()) -> str:
    """The page's GET parameters without ``drop`` (for links that keep the filters)."""
    pairs = [(k, v) for k, values in request.GET.lists() for v in values if k not in drop]
    return urlencode(pairs)
