"""First look at an uploaded file: is it what it claims, and is it safe to open?"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, .doc
TEXT_SNIFF_BYTES = 64 * 1024


class SheetFileError(Exception):
    """The file as a whole cannot be imported; the message is for the user."""


@dataclass(frozen=True)
class InspectedFile:
    path: Path
    format: str  # "xlsx" | "csv"
    size: int
    sha256: str


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, file_name: str, *, sha256: str | None = None) -> InspectedFile:
    """Check size, real type against the extension, and zip-bomb limits; no parsing yet."""
    path = Path(path)
    size = path.stat().st_size
    if size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise SheetFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "size": round(size / 1024 / 1024, 1),
                "limit": round(settings.IMPORT_MAX_UPLOAD_BYTES / 1024 / 1024, 1),
            }
        )
    if size == 0:
        raise SheetFileError(_("The file is empty."))
    with open(path, "rb") as handle:
        head = handle.read(TEXT_SNIFF_BYTES)
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx":
        if not head.startswith(ZIP_MAGIC):
            if head.startswith(OLE_MAGIC):
                raise SheetFileError(
                    _("This is an old Excel 97-2003 file renamed to .xlsx; save it as .xlsx.")
                )
            raise SheetFileError(_("The file is not an Excel .xlsx workbook."))
        _check_xlsx_container(path)
        fmt = "xlsx"
    elif suffix == ".csv":
        if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC) or b"\x00" in head:
            raise SheetFileError(_("The file is not a text CSV file."))
        fmt = "csv"
    elif suffix == ".xls":
        raise SheetFileError(_("Excel 97-2003 (.xls) files are not accepted; save as .xlsx."))
    else:
        raise SheetFileError(_("Only .xlsx and .csv files can be imported."))
    return InspectedFile(path=path, format=fmt, size=size, sha256=sha256 or file_sha256(path))


def _check_xlsx_container(path: Path) -> None:
    """Refuse zip bombs and things that are zips but not workbooks, before any parser runs."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise SheetFileError(_("The workbook is damaged and cannot be opened.")) from None
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise SheetFileError(_("The file is a zip archive but not an Excel workbook."))
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise SheetFileError(_("Encrypted workbooks cannot be imported; remove the password."))
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > settings.IMPORT_MAX_COMPRESSION_RATIO:
            raise SheetFileError(
                _("The workbook expands to an implausible size (zip bomb); refused.")
            )
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise SheetFileError(_("The workbook is too large once uncompressed; refused."))
