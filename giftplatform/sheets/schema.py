"""Columns of a sheet kind, the header row, and row-by-row parsing into clean values."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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


class RowParser:
    """Turns raw cells into typed values, collecting one error per bad cell.

    Sheets repeat themselves (products, dates, branches, yes/no), so each column
    remembers what its recent text cells parsed to; the memo is bounded.
    """

    MEMO_LIMIT = 50_000
    _FAILED = object()

    def __init__(self, columns: tuple[Column, ...], header: HeaderMap):
        self.header = header
        self.plan = [
            (
                c.key,
                header.positions.get(c.key),
                c.parse,
                c.required,
                header.title(c),
                c.default,
                {},
            )
            for c in columns
        ]

    def parse(self, number: int, cells: list) -> ParsedRow | None:
        """A parsed row, or None for a blank row or a totals row."""
        if not any(cells) and all(is_blank(cell) for cell in cells):
            return None
        if is_total_row(cells):
            return None
        row = ParsedRow(number, {})
        values = row.values
        size = len(cells)
        failed = self._FAILED
        for key, index, parse, required, title, default, memo in self.plan:
            raw = cells[index] if index is not None and index < size else None
            is_text = raw.__class__ is str
            if is_text:
                value = memo.get(raw, failed)
                if value is not failed:  # blank text is never remembered
                    values[key] = value
                    continue
            if raw is None or raw == "" or (is_text and not raw.strip()):
                if required:
                    row.error(title, _("This column is required."))
                values[key] = default
                continue
            try:
                value = parse(raw)
            except ValidationError as exc:
                row.error(title, " ".join(exc.messages))
                values[key] = None
                continue
            values[key] = value
            if is_text:
                if len(memo) >= self.MEMO_LIMIT:
                    memo.clear()
                memo[raw] = value
        return row
