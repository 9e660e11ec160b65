"""What every sheet kind provides: its columns, its checks, its writes."""

from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from giftplatform import access
from giftplatform.models import Branch
from giftplatform.sheets.schema import Column, ParsedRow


class Counts:
    def __init__(self) -> None:
        self.created = self.updated = self.unchanged = 0


class SheetImporter:
    """Subclasses set ``kind``, ``columns``, ``key``, ``model``; implement ``check`` and ``write``.

    ``check(rows)`` sees a batch of parsed rows without errors in their cells and adds
    row errors for references, scope and cross-field rules (with bulk look-ups: no
    query per row). ``write(rows, counts)`` upserts a batch of good rows.
    """

    kind: str
    model: type
    columns: tuple[Column, ...]
    key: str | tuple[str, ...]
    permissions: tuple[str, ...] = ()

    def __init__(self, *, actor, job=None):
        self.actor = actor
        self.job = job
        self.check_permission()

    def check_permission(self) -> None:
        if not self.actor.is_active or not all(self.actor.has_perm(p) for p in self.permissions):
            raise PermissionDenied(_("You may not import this kind of sheet."))

    def key_of(self, row: ParsedRow):
        if isinstance(self.key, str):
            return row.values.get(self.key)
        return tuple(row.values.get(k) for k in self.key)

    def column_title(self, key: str) -> str:
        header = getattr(self, "header", None)
        column = next(c for c in self.columns if c.key == key)
        return header.title(column) if header else column.title

    def check(self, rows: list[ParsedRow]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, rows: list[ParsedRow], counts: Counts) -> None:  # pragma: no cover
        raise NotImplementedError

    def check_lengths(self, rows: list[ParsedRow]) -> None:
        """Text longer than its model field allows is a row error, not a database error."""
        limits = getattr(type(self), "_limits", None)
        if limits is None:
            names = {f.name: f for f in self.model._meta.fields}
            limits = {
                c.key: names[c.key].max_length
                for c in self.columns
                if c.key in names
                and names[c.key].get_internal_type() == "CharField"
                and not names[c.key].is_relation
            }
            type(self)._limits = limits
        for row in rows:
            for key, limit in limits.items():
                value = row.values.get(key)
                if isinstance(value, str) and len(value) > limit:
                    row.error(
                        self.column_title(key),
                        _("At most %(limit)d characters (this has %(n)d).")
                        % {"limit": limit, "n": len(value)},
                    )

    def finish(self, counts: Counts) -> None:
        """Called once after the last batch (bulk paths flush here)."""

    # --- helpers for subclasses -----------------------------------------------------------

    def branches_in_scope(self) -> dict[str, Branch]:
        if not hasattr(self, "_branches"):
            self._branches = {b.code: b for b in access.branches_for(self.actor)}
        return self._branches

    def resolve_branch(self, row: ParsedRow, key: str = "branch") -> None:
        """Replace a branch code with the Branch, or add the error (unknown and foreign alike)."""
        code = row.values.get(key)
        if code is None:
            return
        branch = self.branches_in_scope().get(code)
        if branch is None:
            row.error(
                self.column_title(key),
                _("Branch %(code)s does not exist or is outside your branches.") % {"code": code},
            )
        row.values[key] = branch


def changed_fields(instance, values: dict, fields: list[str]) -> list[str]:
    return [f for f in fields if getattr(instance, f) != values[f]]


def upsert_by_code(model, rows, existing: dict, fields: list[str], counts: Counts, clean=None):
    """Create the rows whose code is new, update those that differ, count the rest.

    ``existing`` maps code -> instance (from the importer's check); ``clean`` may
    adjust a row's field values before they are compared and written.
    """
    created, updated = [], []
    for row in rows:
        values = {f: row.values[f] for f in fields}
        if clean is not None:
            clean(values)
        instance = existing.get(row.values["code"])
        if instance is None:
            created.append(model(code=row.values["code"], **values))
        elif changed_fields(instance, values, fields):
            for name, value in values.items():
                setattr(instance, name, value)
            updated.append(instance)
        else:
            counts.unchanged += 1
    now = timezone.now()  # bulk_update never applies auto_now
    for instance in updated:
        instance.updated_at = now
    model.objects.bulk_create(created, batch_size=1000)
    model.objects.bulk_update(updated, [*fields, "updated_at"], batch_size=1000)
    counts.created += len(created)
    counts.updated += len(updated)


def group_by(items, key):
    groups = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return groups
