"""Stream the rows of one sheet of an .xlsx or .csv file, with their Excel row numbers.

python-calamine reads workbooks fast, a piece of the sheet at a time (``stream``), so
memory stays bounded whatever the size; cells come from column A. A sheet that cannot
be cut into pieces is read whole by calamine or, if its XML is too large to hold in
memory, streamed by openpyxl in read-only mode (constant memory, slow).
CSV is decoded as UTF-8 (with or without BOM) or, failing that, GB18030 (a superset
of the GBK that Chinese Excel writes).
"""

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path

import python_calamine
from defusedxml import ElementTree
from django.conf import settings
from django.utils.translation import gettext as _

from giftplatform.sheets import stream
from giftplatform.sheets.files import InspectedFile, SheetFileError
from giftplatform.validators import fold_width

HEADER_SEARCH_ROWS = 30
TOTAL_WORDS = ("合计", "总计", "小计", "total", "subtotal", "grandtotal")
_TOTAL_INITIALS = frozenset("合总小TtSsGg")
# The whole cell is the label (合计, 总计：, Total (元)); "合计礼盒" or "TotalEnergies机油" is data.
_TOTAL_LABEL = re.compile(rf"^(?:{'|'.join(TOTAL_WORDS)})(?:[(（][^)）]*[)）])?$")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def normalize_header(text: object) -> str:
    """Header text for matching: widths folded, spaces and line breaks and '*' removed."""
    if text is None:
        return ""
    value = fold_width(str(text))
    return re.sub(r"[\s*:：]+", "", value).lower()


@dataclass
class Sheet:
    """An opened sheet: its name, and its rows as lists of raw cell values."""

    name: str
    rows: Iterator[tuple[int, list]]  # (Excel row number, cells)
    available: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _SheetInfo:
    name: str
    state: str  # visible | hidden | veryHidden
    part: str  # path of the sheet XML inside the zip


def open_sheet(inspected: InspectedFile, sheet_name: str | None = None) -> Sheet:
    if inspected.format == "csv":
        return Sheet(name="CSV", rows=_csv_rows(inspected.path))
    return _open_xlsx(inspected.path, sheet_name)


# --- xlsx --------------------------------------------------------------------------------


def _workbook_sheets(path: Path) -> tuple[list[_SheetInfo], int, bool]:
    """Sheets in workbook order with their visibility, the active tab index, and whether
    dates count from 1904 (old Mac workbooks)."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        try:
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
        except KeyError:
            targets = {}
    infos = []
    for element in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(element.get(f"{_REL_NS}id"), "")
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        infos.append(_SheetInfo(element.get("name"), element.get("state", "visible"), part))
    view = workbook.find(f"{_MAIN_NS}bookViews/{_MAIN_NS}workbookView")
    active = int(view.get("activeTab", "0")) if view is not None else 0
    properties = workbook.find(f"{_MAIN_NS}workbookPr")
    date1904 = properties is not None and properties.get("date1904", "") in ("1", "true")
    return infos, active, date1904


def _choose_sheet(infos: list[_SheetInfo], active: int, wanted: str | None) -> _SheetInfo:
    if not infos:
        raise SheetFileError(_("The workbook has no sheets."))
    if wanted:
        for info in infos:
            if info.name == wanted or info.name.strip() == wanted.strip():
                return info
        names = "、".join(info.name for info in infos if info.state == "visible")
        raise SheetFileError(
            _("There is no sheet named “%(name)s”; visible sheets: %(names)s")
            % {"name": wanted, "names": names}
        )
    # The visible active sheet; a hidden one is never read unless asked for by name.
    if 0 <= active < len(infos) and infos[active].state == "visible":
        return infos[active]
    for info in infos:
        if info.state == "visible":
            return info
    raise SheetFileError(_("The workbook has no visible sheet; name the sheet to import."))


def sheet_data_size(inspected: InspectedFile, sheet_name: str | None = None) -> int:
    """Roughly how much there is to read: the sheet's XML size (a CSV counts four times
    its size, XML spending about that much on markup per cell)."""
    if inspected.format == "csv":
        return inspected.size * 4
    infos, active, _date1904 = _xlsx_sheets(inspected.path)
    return _part_size(inspected.path, _choose_sheet(infos, active, sheet_name))


def _xlsx_sheets(path: Path) -> tuple[list[_SheetInfo], int, bool]:
    try:
        return _workbook_sheets(path)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise SheetFileError(_("The workbook is damaged and cannot be opened.")) from exc
    except Exception as exc:  # defusedxml refuses entities and DTDs with its own errors
        raise SheetFileError(_("The workbook contains unsafe XML; refused.")) from exc


def _part_size(path: Path, info: _SheetInfo) -> int:
    with zipfile.ZipFile(path) as archive:
        try:
            return archive.getinfo(info.part).file_size
        except KeyError:
            return 0


def _open_xlsx(path: Path, wanted: str | None) -> Sheet:
    infos, active, date1904 = _xlsx_sheets(path)
    info = _choose_sheet(infos, active, wanted)
    visible = [i.name for i in infos if i.state == "visible"]
    return Sheet(name=info.name, rows=_xlsx_rows(path, info, date1904), available=visible)


def _xlsx_rows(path: Path, info: _SheetInfo, date1904: bool) -> Iterator[tuple[int, list]]:
    """calamine reading the sheet a piece at a time (bounded memory, rows at once); a sheet
    that cannot be cut is read whole by calamine, or streamed by openpyxl if too large.
    IMPORT_CALAMINE_MAX_XML_BYTES caps what calamine holds at once (0: openpyxl only)."""
    limit = settings.IMPORT_CALAMINE_MAX_XML_BYTES
    rows = stream.calamine_rows(path, info.part, date1904=date1904, max_piece=limit)
    try:
        first = next(rows)
    except StopIteration:
        return
    except stream.Unsplittable:
        if _part_size(path, info) > limit:
            yield from _openpyxl_rows(path, info.name)
        else:
            yield from _calamine_rows(path, info.name)
        return
    yield first
    yield from rows


def _calamine_rows(path: Path, name: str) -> Iterator[tuple[int, list]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_name(name)
    except python_calamine.PasswordError as exc:
        raise SheetFileError(
            _("Encrypted workbooks cannot be imported; remove the password.")
        ) from exc
    except (
        python_calamine.CalamineError,
        python_calamine.XmlError,
        python_calamine.ZipError,
    ) as exc:
        raise SheetFileError(_("The workbook is damaged and cannot be opened.")) from exc
    if not sheet.start:
        return
    first_row, first_column = sheet.start
    rows = sheet.iter_rows()
    if _iter_rows_from_top():
        rows = islice(rows, first_row, None)
    pad = [""] * first_column
    for offset, cells in enumerate(rows):
        yield first_row + 1 + offset, pad + cells if pad else cells


@cache
def _iter_rows_from_top() -> bool:
    """Whether ``iter_rows`` starts at row 1 even when the first used row is lower down
    (python-calamine 0.9 does; ``start`` says where the used rows begin)."""
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="'
        b'http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="3"><c r="A3"><v>1</v></c></row></sheetData></worksheet>'
    )
    book = stream.one_sheet_workbook(sheet, None, None, date1904=False)
    probe = python_calamine.CalamineWorkbook.from_filelike(book).get_sheet_by_index(0)
    return len(list(probe.iter_rows())) == 3


def _openpyxl_rows(path: Path, name: str) -> Iterator[tuple[int, list]]:
    import openpyxl  # uses defusedxml: asserted at start-up by giftplatform.xmlsafety
    from defusedxml import DefusedXmlException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            worksheet = workbook[name]
            for row in worksheet.iter_rows():
                cells = [cell.value for cell in row]
                number = next((c.row for c in row if getattr(c, "row", None)), None)
                if number is not None:
                    yield number, cells
        finally:
            workbook.close()
    except DefusedXmlException as exc:
        raise SheetFileError(_("The workbook contains unsafe XML; refused.")) from exc
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        ValueError,
        ElementTree.ParseError,
    ) as exc:
        raise SheetFileError(_("The workbook is damaged and cannot be opened.")) from exc


# --- csv ---------------------------------------------------------------------------------


def _csv_encoding(path: Path) -> str:
    """utf-8-sig if the whole file decodes as UTF-8, otherwise GB18030."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        try:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            return "gb18030"


def _csv_rows(path: Path) -> Iterator[tuple[int, list]]:
    encoding = _csv_encoding(path)
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        try:
            sample = text.read(8192)
        except UnicodeDecodeError as exc:
            raise SheetFileError(_("The file is neither UTF-8 nor GBK text.")) from exc
        text.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        try:
            # Excel shows one row per record, even when a quoted cell holds a line break.
            yield from enumerate(reader, start=1)
        except UnicodeDecodeError as exc:
            raise SheetFileError(_("The file is neither UTF-8 nor GBK text.")) from exc
        except csv.Error as exc:
            raise SheetFileError(
                _("The CSV file is malformed: %(error)s") % {"error": exc}
            ) from exc


def is_total_row(cells: list) -> bool:
    """A 合计/总计 row at the bottom of a sheet: the first filled cells name it."""
    filled = 0
    for cell in cells:
        if cell is None or cell == "" or (isinstance(cell, str) and not cell.strip()):
            continue
        if (
            isinstance(cell, str)
            and cell.lstrip()[:1] in _TOTAL_INITIALS
            and _TOTAL_LABEL.match(normalize_header(cell))
        ):
            return True
        filled += 1
        if filled == 2:
            return False
    return False
