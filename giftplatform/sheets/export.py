"""Write a queryset to an .xlsx file on disk, in bounded memory whatever its size.

A sheet is described by columns: a ``values_list`` path each, with its header (by
default the field's verbose name) and, for secrets and personal data, a mask that
applies unless the user holds the permission that shows the value in full. Rows are
read with ``values_list(...).iterator(chunk_size)`` (one query, however many rows) and
streamed to disk by xlsxwriter in constant-memory mode through ``write_workbook``,
which neutralizes every formula-like string.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Field, Model, QuerySet
from django.utils import timezone

from giftplatform.sheets.writer import write_workbook

CHUNK_SIZE = 2000
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONEY_FORMAT = "#,##0.00"


@dataclass(frozen=True)
class Column:
    """One column of an export: ``path`` as for ``values_list`` (``"branch__name"``)."""

    path: str
    header: str | None = None  # lazy text welcome; default: the field's verbose name
    mask: Callable[[str], str] | None = None
    # Holders of this permission see the value in full; everyone else sees it masked.
    full_with: str | None = None


def local_zone() -> ZoneInfo:
    """Times in sheets are the platform's local time (Asia/Shanghai), as on its pages."""
    return ZoneInfo(settings.TIME_ZONE)


def _fields_on(model: type[Model], path: str) -> list[Field]:
    fields = []
    for part in path.split("__"):
        field = model._meta.get_field(part)
        fields.append(field)
        model = field.related_model
    return fields


def column_header(model: type[Model], column: Column) -> str:
    """The column's header, or the verbose name of the first field its path names
    (``branch__name`` is headed 机构, ``items__quantity`` 数量)."""
    if column.header is not None:
        return str(column.header)
    forward = [field for field in _fields_on(model, column.path) if field.concrete]
    return str(forward[0].verbose_name)


def shows_in_full(column: Column, user) -> bool:
    return column.mask is None or bool(column.full_with and user.has_perm(column.full_with))


def _converter(model: type[Model], column: Column, user, zone: ZoneInfo) -> Callable:
    field = _fields_on(model, column.path)[-1]
    labels = {value: str(label) for value, label in field.flatchoices} if field.choices else {}
    mask = None if shows_in_full(column, user) else column.mask

    def convert(value):
        if value is None:
            return None
        if labels:
            value = labels.get(value, value)
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value, zone)
        if mask is not None and value != "":
            value = mask(str(value))
        return value

    return convert


def export_rows(
    queryset: QuerySet, columns: Sequence[Column], *, user, chunk_size: int = CHUNK_SIZE
) -> Iterator[list]:
    """The rows of ``queryset`` as cell values, masked for ``user``: one query in all."""
    zone = local_zone()
    converters = [_converter(queryset.model, column, user, zone) for column in columns]
    values = queryset.values_list(*(column.path for column in columns))
    for row in values.iterator(chunk_size=chunk_size):
        yield [convert(value) for convert, value in zip(converters, row, strict=True)]


class _Counted:
    """Counts the rows as the writer consumes them (the count goes to the export log)."""

    def __init__(self, rows: Iterable):
        self.rows = rows
        self.count = 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def write_export(
    path: str,
    *,
    headers: list[str],
    rows: Iterable[Iterable[object]],
    notes: list[str],
    sheet_name: str,
) -> int:
    """Write the sheet to the file ``path`` (constant memory); return the data row count."""
    counted = _Counted(rows)
    write_workbook(
        path,
        headers,
        counted,
        sheet_name=sheet_name,
        notes=notes,
        datetime_format=DATETIME_FORMAT,
        decimal_format=MONEY_FORMAT,
    )
    return counted.count
