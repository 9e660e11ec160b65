"""Columns of a sheet kind, the header row, and parsing raw cells into clean values."""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from giftplatform.sheets.files import SheetFileError
from giftplatform.sheets.reader import HEADER_SEARCH_ROWS, is_total_row, normalize_header
from giftplatform.sheets.values import is_blank


@dataclass(frozen=True)
class Column:
    """One column of a sheet kind. ``headers``: the Chinese template header first, then aliases."""

    key: str
    headers: tuple[str, ...]
    parse: Callable[[object], object]
    required: bool = False
    example: object = ""
    default: object = None

    @property
    def title(self) -> str:
        return self.headers[0]


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        if not self.row:
            return self.message
        return _("row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column or "-",
            "message": self.message,
        }


@dataclass
class ParsedRow:
    number: int
    values: dict
    errors: list[RowError] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, str(message)))


@dataclass
class HeaderMap:
    row: int
    positions: dict[str, int]  # column key -> cell index
    titles: dict[str, str]  # column key -> header text as written in the sheet

    def title(self, column: Column) -> str:
        return self.titles.get(column.key, column.title)


def _aliases(columns: tuple[Column, ...]) -> dict[str, str]:
    return {normalize_header(h): c.key for c in columns for h in (*c.headers, c.key)}


def locate_header(
    rows: Iterator[tuple[int, list]], columns: tuple[Column, ...]
) -> tuple[HeaderMap, list[tuple[int, list]]]:
    """Find the header row among the first rows (title rows and blank rows above it are fine).

    Returns the header map and the rows read past the header, to be processed first.
    """
    aliases = _aliases(columns)
    required = {c.key for c in columns if c.required}
    seen: list[tuple[int, list]] = []
    best: tuple[int, int, list] | None = None  # (matches, row number, cells)
    for number, cells in rows:
        seen.append((number, cells))
        keys = {aliases.get(normalize_header(cell)) for cell in cells} - {None}
        if keys and (best is None or len(keys) > best[0]):
            best = (len(keys), number, cells)
        if required <= keys and keys:
            break
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    if best is None or best[0] < min(2, len(required) or 1):
        raise SheetFileError(
            _("No header row found; the first row should hold column names such as %(names)s.")
            % {"names": "、".join(c.title for c in columns[:4])}
        )
    header_number, cells = best[1], best[2]
    positions: dict[str, int] = {}
    titles: dict[str, str] = {}
    for index, cell in enumerate(cells):
        key = aliases.get(normalize_header(cell))
        if key is None:
            continue
        if key in positions:
            raise SheetFileError(
                _("Column %(name)s appears twice in the header row.") % {"name": str(cell).strip()}
            )
        positions[key] = index
        titles[key] = str(cell).strip()
    missing = [c.title for c in columns if c.required and c.key not in positions]
    if missing:
        raise SheetFileError(
            _("Required columns missing from the header row (row %(row)d): %(names)s")
            % {"row": header_number, "names": "、".join(missing)}
        )
    after = [(n, c) for n, c in seen if n > header_number]
    return HeaderMap(header_number, positions, titles), after


class ParsedColumns(NamedTuple):
    """A parsed batch column by column: row numbers, one value list per column, and the
    errors by position in the batch (each row's errors in column order)."""

    numbers: list[int]
    columns: list[list]
    errors: dict[int, list[RowError]]


def build_rows(keys: list[str], batch: ParsedColumns) -> list[ParsedRow]:
    """The rows of a parsed batch, values keyed by ``keys`` (the columns' keys, in order)."""
    numbers, columns, errors = batch
    if not numbers:
        return []
    rows = [
        ParsedRow(number, dict(zip(keys, values, strict=True)), [])
        for number, values in zip(numbers, zip(*columns, strict=True), strict=True)
    ]
    for position, row_errors in errors.items():
        rows[position].errors = row_errors
    return rows


class RowParser:
    """Turns raw cells into typed values, collecting one error per bad cell.

    Sheets repeat themselves (products, dates, branches, yes/no), so each column
    remembers what its recent cells parsed to; the memo is bounded. Column parsers
    are pure functions of the raw cell, which is what makes remembering them sound.
    ``parse_batch`` works column by column (the fast path of the pipeline); ``parse``
    takes one row. Both give the same values and the same errors.
    """

    MEMO_LIMIT = 50_000
    _FAILED = object()
    # Raw cell types whose parsed values are remembered, each type in its own memo so
    # that 1, 1.0 and True (equal as dict keys) never stand in for one another.
    _MEMO_TYPES = (str, float, int, datetime.date, datetime.datetime)

    def __init__(self, columns: tuple[Column, ...], header: HeaderMap):
        self.header = header
        self.keys = [c.key for c in columns]
        self.plan = []
        for c in columns:
            memos = {kind: {} for kind in self._MEMO_TYPES}
            self.plan.append(
                (
                    c.key,
                    header.positions.get(c.key),
                    c.parse,
                    c.required,
                    header.title(c),
                    c.default,
                    memos,
                )
            )

    @staticmethod
    def _skipped(cells: list) -> bool:
        """A blank row or a totals row."""
        return (not any(cells) and all(is_blank(cell) for cell in cells)) or is_total_row(cells)

    def parse(self, number: int, cells: list) -> ParsedRow | None:
        """A parsed row, or None for a blank row or a totals row."""
        if self._skipped(cells):
            return None
        return self.parse_batch([(number, cells)])[0]

    def parse_batch(self, rows: list[tuple[int, list]]) -> list[ParsedRow]:
        """The parsed rows of a batch of (row number, cells), blank and totals rows left out."""
        return build_rows(self.keys, self.parse_columns(rows))

    def parse_columns(self, rows: list[tuple[int, list]]) -> "ParsedColumns":
        """``parse_batch`` without the row objects: plain lists, cheap to send elsewhere."""
        skipped = self._skipped
        numbers, grid = [], []
        for number, cells in rows:
            if not skipped(cells):
                numbers.append(number)
                grid.append(cells)
        errors: dict[int, list[RowError]] = {}
        if not grid:
            return ParsedColumns(numbers, [], errors)
        columns = list(zip_longest(*grid))
        width = len(columns)
        blank = (None,) * len(grid)
        parsed = []
        for _key, index, parse, required, title, default, memos in self.plan:
            raws = columns[index] if index is not None and index < width else blank
            parsed.append(
                self._parse_column(raws, parse, required, title, default, memos, numbers, errors)
            )
        return ParsedColumns(numbers, parsed, errors)

    def _parse_column(self, raws, parse, required, title, default, memos, numbers, errors):
        """One column's values; errors go to ``errors`` by row position, in column order."""
        values: list = []
        append = values.append
        failed = self._FAILED
        limit = self.MEMO_LIMIT
        misses = 0
        for raw in raws:
            memo = memos.get(raw.__class__)
            if memo is not None:
                value = memo.get(raw, failed)
                if value is not failed:  # blank text is never remembered
                    append(value)
                    continue
            if raw is None or raw == "" or (raw.__class__ is str and not raw.strip()):
                if required:
                    position = len(values)
                    errors.setdefault(position, []).append(
                        RowError(numbers[position], title, _("This column is required."))
                    )
                append(default)
                continue
            try:
                value = parse(raw)
            except ValidationError as exc:
                position = len(values)
                errors.setdefault(position, []).append(
                    RowError(numbers[position], title, " ".join(exc.messages))
                )
                append(None)
                continue
            append(value)
            if memo is not None:
                misses += 1
                if len(memo) >= limit:
                    memo.clear()
                memo[raw] = value
        if misses * 10 > len(raws) * 9 and len(raws) >= 1000:
            memos.clear()  # values that never repeat (numbers, IDs): remembering costs more
        return values
