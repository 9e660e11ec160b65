"""History rows for the shipping writes, many at once.

simple-history's ``bulk_history_create`` builds a historical model instance per row and
hands them to ``bulk_create``, which prepares every value through its field: most of a
5,000-row sheet's commit went there (a historical item has fifteen columns). These are
the same rows (every column of the historical table, the row's values as they are in
memory after the write, who, when, '+' or '~') inserted with one ``executemany``, values
adapted once per column type instead of once per field call.
"""

from django.db import connection
from django.utils import timezone

CREATED, CHANGED = "+", "~"


def _adapter(field):
    kind = field.get_internal_type()
    ops = connection.ops
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DecimalField":
        return lambda value: ops.adapt_decimalfield_value(
            value, field.max_digits, field.decimal_places
        )
    return None


def record_history(model, objs, *, user, history_type: str, when=None) -> None:
    """One history row per object of ``model`` (its current attribute values)."""
    if not objs:
        return
    history = model.history.model
    when = when or timezone.now()
    special = {
        "history_date": when,
        "history_change_reason": None,
        "history_type": history_type,
        "history_user_id": getattr(user, "pk", None),
    }
    columns, getters = [], []
    for field in history._meta.concrete_fields:
        if field.primary_key:  # history_id: numbered by the database
            continue
        columns.append(connection.ops.quote_name(field.column))
        adapt = _adapter(field)
        if field.attname in special:
            fixed = special[field.attname]
            value = adapt(fixed) if adapt and fixed is not None else fixed
            getters.append((True, value, None))
        else:
            getters.append((False, field.attname, adapt))
    rows = []
    for obj in objs:
        row = []
        for fixed, what, adapt in getters:
            if fixed:
                row.append(what)
                continue
            value = getattr(obj, what)
            row.append(adapt(value) if adapt and value is not None else value)
        rows.append(row)
    table = connection.ops.quote_name(history._meta.db_table)
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
