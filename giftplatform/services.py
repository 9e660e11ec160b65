"""Writes for the organisation tree, and the export log."""

from django.db import transaction

from giftplatform.models import Branch, ExportLog


def _path_for(code: str, parent: Branch | None) -> str:
    return f"{parent.path if parent else ''}{code}/"


@transaction.atomic
def branch_save(
    *, code: str, name: str, parent: Branch | None, is_active: bool = True
) -> tuple[Branch, bool]:
    """Create or update a branch by code, keeping the materialized paths of its subtree."""
    branch = Branch.objects.select_for_update().filter(code=code).first()
    new_path = _path_for(code, parent)
    if parent is not None and branch is not None and parent.path.startswith(branch.path):
        raise ValueError("a branch cannot be moved below itself")
    if branch is None:
        branch = Branch.objects.create(
            code=code,
            name=name,
            parent=parent,
            path=new_path,
            depth=new_path.count("/") - 1,
            is_active=is_active,
        )
        return branch, True
    old_path = branch.path
    branch.name, branch.parent, branch.is_active = name, parent, is_active
    branch.path, branch.depth = new_path, new_path.count("/") - 1
    branch.save()
    if old_path != new_path:
        for child in Branch.objects.filter(path__startswith=old_path).exclude(pk=branch.pk):
            child.path = new_path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 1
            child.save(update_fields=["path", "depth"])
    return branch, False


def export_record(
    *,
    actor,
    model_label: str,
    filters: str,
    query_string: str,
    row_count: int,
    full_personal_data: bool,
    full_voucher_codes: bool,
) -> ExportLog:
    """Log one export (who, when, which list, filters, rows); it shows on the audit page."""
    log = ExportLog(
        user=actor,
        branch=getattr(actor, "branch", None),
        model_label=model_label,
        filters=filters,
        query_string=query_string,
        row_count=row_count,
        full_personal_data=full_personal_data,
        full_voucher_codes=full_voucher_codes,
    )
    # simple-history reads the request's user only inside a request: say it outright.
    log._history_user = actor
    log.save()
    return log
