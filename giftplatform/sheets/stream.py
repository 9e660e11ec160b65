"""Stream a large sheet through python-calamine a piece at a time.

calamine is fast but loads a whole sheet: a million rows would take gigabytes, and
nothing can be done with the first row until the last one is read. Here the sheet's
XML is decompressed as a stream and cut after a ``</row>`` end tag into pieces of a few
megabytes; each piece is wrapped as the only sheet of a small in-memory workbook (with
the original styles, for dates, and shared strings) and read by calamine. Memory stays
bounded by the piece size, and the first rows are available at once.

Cutting is exact: in XML, ``<`` cannot occur inside text or attribute values, so the
bytes ``</row>`` are an end tag unless they sit in a comment, a CDATA section or a
processing instruction; pieces are only cut where none of those has occurred. Each
piece must start with a row that states its number (``r="..."``) and its cells their
references, so calamine places every cell where the whole-sheet read would; rows come
out with absolute column positions. A sheet that cannot be cut this way (no row
numbers, another encoding than UTF-8, comments) makes ``pieces`` raise ``Unsplittable``
before any row is produced, and the caller reads it another way.

calamine never expands entities or reads DTDs; the pieces are the file's own bytes.
"""

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import python_calamine
from django.utils.translation import gettext as _

from giftplatform.sheets.files import SheetFileError

READ_BLOCK = 1024 * 1024
FIRST_PIECE = 4 * 1024 * 1024  # the first rows arrive quickly
PIECE = 16 * 1024 * 1024  # calamine holds about 5 times a piece; so does the copying
LARGEST_PIECE = 64 * 1024 * 1024  # bigger pieces for a big shared-strings table, but no more
MIN_PIECE = 256 * 1024
MAX_PROLOG = 16 * 1024 * 1024

_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet\b[^>]*>")
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData\b[^>]*?(/?)>")
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']+)["']""")
_SST_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?sst\b[^>]*>")
_ROW_NUMBERED = re.compile(rb"""\s*<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*\sr\s*=\s*["']\d""")

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/styles.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
).encode()
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
).encode()
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{_REL}"><workbookPr date1904="%s"/>'
    '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)


class Unsplittable(Exception):
    """The sheet cannot be cut into pieces; nothing has been read from it yet."""


def calamine_rows(
    path: Path, part: str, *, date1904: bool, max_piece: int
) -> Iterator[tuple[int, list]]:
    """(Excel row number, cells from column A) of the sheet stored at ``part``, read in
    pieces of at most ``max_piece`` bytes of XML.

    Raises ``Unsplittable`` (before yielding anything) when the sheet must be read whole.
    """
    if max_piece < MIN_PIECE:
        raise Unsplittable("pieces this small are not worth it")
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo(part).file_size or 1
        strings = _SharedStrings(_member(archive, "xl/sharedStrings.xml"))
        styles = _member(archive, "xl/styles.xml")
        # Pieces may re-read many shared strings: with a large table, cut bigger pieces.
        largest = min(max(PIECE, len(strings.data or b"")), LARGEST_PIECE, max_piece)
        sizes = _sizes(min(FIRST_PIECE, largest), largest)
        with archive.open(part) as stream:
            first, consumed = True, 0
            for body, head, tail in pieces(stream, sizes):
                consumed += len(body)
                sheet = head + body + tail
                del body
                try:
                    rows = _read_piece(sheet, strings, styles, consumed / size, date1904)
                except SheetFileError as exc:
                    if first:  # let the whole-sheet reader give its own verdict
                        raise Unsplittable(str(exc)) from exc
                    raise
                first = False
                del sheet
                yield from rows


class _SharedStrings:
    """The shared-strings part, offered to a piece as a prefix when possible.

    Excel and the libraries number shared strings in order of first use, so the rows of
    the first part of a sheet need only about as large a part of the table; a piece that
    uses a string beyond the prefix makes calamine report a missing string (never a wrong
    one: a prefix keeps every number), and is read again with the whole table.
    """

    def __init__(self, data: bytes | None):
        self.data = data
        self.cut = False
        if data:
            root = _SST_ROOT.search(data, 0, 4096)
            if root and data.find(b"<!") < 0 and data.find(b"<?", root.end()) < 0:
                prefix = root.group(1) or b""
                self.item_end = b"</" + prefix + b"si>"
                self.closing = b"</" + prefix + b"sst>"
                self.cut = True

    def part(self, fraction: float) -> bytes | None:
        """Enough of the table for rows up to ``fraction`` of the sheet, with a margin."""
        if not self.cut or fraction > 0.8:
            return self.data
        at = self.data.find(self.item_end, int(len(self.data) * (fraction * 1.2 + 0.01)))
        if at < 0:
            return self.data
        return self.data[: at + len(self.item_end)] + self.closing


def _sizes(first: int, largest: int) -> Iterator[int]:
    """Piece sizes: small at first so that rows flow at once, then doubling."""
    size = first
    while True:
        yield size
        size = min(size * 2, largest)


def pieces(stream, sizes: Iterator[int]) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(rows, opening, closing): the sheet's rows in pieces of about the given sizes, with
    the XML that makes each one a worksheet. Raises ``Unsplittable`` before the first."""
    read = _reader(stream)
    buffer = bytearray()
    while not _SHEET_DATA.search(buffer):
        block = read()
        if not block or len(buffer) > MAX_PROLOG:
            raise Unsplittable("no sheetData element near the start")
        buffer += block
    start = _SHEET_DATA.search(buffer)
    prolog = bytes(buffer[: start.start()])
    _check_prolog(prolog)
    root = _ROOT.search(prolog)
    if root is None:
        raise Unsplittable("no worksheet element")
    prefix = (start.group(1) or b"").decode("ascii")
    root_prefix = (root.group(1) or b"").decode("ascii")
    head = _XML_DECLARATION + root.group(0) + f"<{prefix}sheetData>".encode()
    tail = f"</{prefix}sheetData></{root_prefix}worksheet>".encode()
    if start.group(2):  # <sheetData/>: no rows at all
        return
    del buffer[: start.end()]
    row_end = f"</{prefix}row>".encode()
    data_end = f"</{prefix}sheetData>".encode()
    produced = False
    target = next(sizes)
    while True:
        while len(buffer) < target:
            block = read()
            if not block:
                break
            buffer += block
        end = buffer.find(data_end)
        if end >= 0:
            body = bytes(buffer[:end])
            if b"<!" in body or b"<?" in body:
                # A comment or CDATA among the rows may hide markup: only a sheet read as
                # one piece from the start may hold them.
                if produced:
                    raise SheetFileError(_unusual())
                raise Unsplittable("comments or processing instructions among the rows")
            yield body, head, tail
            return
        if len(buffer) < target:  # the stream ended inside sheetData
            raise SheetFileError(_("The workbook is damaged and cannot be opened."))
        cut = _cut(buffer, row_end)
        if cut is None:
            if not produced:
                raise Unsplittable("no place to cut the rows")
            raise SheetFileError(_unusual())
        body = bytes(buffer[:cut])
        del buffer[:cut]
        produced = True
        yield body, head, tail
        target = next(sizes)


def _reader(stream):
    """``stream.read`` of a block; a damaged member (bad CRC, a size it lies about, broken
    compressed data) is the user's problem, not a crash."""

    def read() -> bytes:
        try:
            return stream.read(READ_BLOCK)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise SheetFileError(_("The workbook is damaged and cannot be opened.")) from exc

    return read


def _unusual() -> str:
    return _(
        "The sheet is written in an unusual way (XML comments or rows without numbers) "
        "and is too large to read; save it again from Excel and retry."
    )


def _cut(buffer: bytearray, row_end: bytes) -> int | None:
    """Where to cut: after the last ``</row>`` whose following row states its number,
    provided nothing before it is a comment, CDATA section or processing instruction."""
    limit = len(buffer)
    for _attempt in range(16):
        at = buffer.rfind(row_end, 0, limit)
        if at < 0:
            return None
        cut = at + len(row_end)
        following = bytes(buffer[cut : cut + 2048])
        if b">" in following and _ROW_NUMBERED.match(following):
            if buffer.find(b"<!", 0, cut) >= 0 or buffer.find(b"<?", 0, cut) >= 0:
                return None
            return cut
        limit = at
    return None


def _check_prolog(prolog: bytes) -> None:
    if prolog.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in prolog[:4]:
        raise Unsplittable("not UTF-8")
    declared = _DECLARED_ENCODING.match(prolog.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower().replace(b"-", b"") != b"utf8":
        raise Unsplittable("not UTF-8")
    declaration_end = prolog.find(b"?>") + 2 if prolog.lstrip().startswith(b"<?xml") else 0
    rest = prolog[declaration_end:]
    if b"<!" in rest or b"<?" in rest:
        raise Unsplittable("a DTD, comment or processing instruction in the prolog")


def _member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        return archive.read(name)
    except KeyError:
        return None


def one_sheet_workbook(
    sheet: bytes, shared: bytes | None, styles: bytes | None, *, date1904: bool
) -> io.BytesIO:
    """An in-memory .xlsx holding ``sheet`` as its only worksheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", (_WORKBOOK % ("1" if date1904 else "0")).encode())
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        if styles is not None:
            book.writestr("xl/styles.xml", styles)
        if shared is not None:
            book.writestr("xl/sharedStrings.xml", shared)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    out.seek(0)
    return out


def _read_piece(
    sheet: bytes, strings: _SharedStrings, styles: bytes | None, fraction: float, date1904: bool
) -> list[tuple[int, list]]:
    """The rows of one piece, numbered as in Excel, cells from column A."""
    shared = strings.part(fraction)
    try:
        return _calamine_piece(one_sheet_workbook(sheet, shared, styles, date1904=date1904))
    except SheetFileError:
        if shared is strings.data:
            raise
    strings.cut = False  # strings are not numbered in order of use here: stop guessing
    return _calamine_piece(one_sheet_workbook(sheet, strings.data, styles, date1904=date1904))


def _calamine_piece(book: io.BytesIO) -> list[tuple[int, list]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(book)
        sheet = workbook.get_sheet_by_index(0)
        start = sheet.start
        # to_python (unlike iter_rows) starts at the first used row and column.
        rows = sheet.to_python() if start else []
    except (
        python_calamine.CalamineError,
        python_calamine.XmlError,
        python_calamine.ZipError,
    ) as exc:
        raise SheetFileError(_("The workbook is damaged and cannot be opened.")) from exc
    if not rows:
        return []
    first_row, first_column = start
    if first_column:
        pad = [""] * first_column
        rows = [pad + cells for cells in rows]
    return list(zip(range(first_row + 1, first_row + 1 + len(rows)), rows, strict=True))
