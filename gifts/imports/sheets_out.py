"""Sheets the import pages hand back: a template per kind, the sheet with its errors, a sample."""

from collections import defaultdict
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from giftplatform.sheets.files import SheetFileError, inspect_file
from giftplatform.sheets.reader import open_sheet
from giftplatform.sheets.schema import RowParser, locate_header
from giftplatform.sheets.values import to_text
from giftplatform.sheets.writer import write_workbook
from gifts.imports.registry import get_importer
from gifts.models import ImportJob


def write_template(kind: str, target) -> None:
    """Headers of ``kind`` (required ones marked *) and one example row."""
    columns = get_importer(kind).columns
    headers = [f"{c.title}*" if c.required else c.title for c in columns]
    write_workbook(target, headers, [[c.example for c in columns]], sheet_name=_("Import"))


def stored_path(job: ImportJob) -> Path:
    return Path(settings.MEDIA_ROOT) / job.stored_file


def write_error_sheet(job: ImportJob, target) -> None:
    """The uploaded rows as read, from the header row on, with an error column added."""
    by_row: dict[int, list[str]] = defaultdict(list)
    for error in job.errors:
        if error["row"]:
            by_row[error["row"]].append(f"{error['column']}: {error['message']}")
    inspected = inspect_file(stored_path(job), job.file_name)
    sheet = open_sheet(inspected, job.sheet or None)
    columns = get_importer(job.kind).columns
    header, pending = locate_header(sheet.rows, columns)
    width = max(header.positions.values()) + 1
    header_cells = [""] * width
    for key, index in header.positions.items():
        header_cells[index] = header.titles[key]

    def rows():
        for number, cells in chain(pending, sheet.rows):
            cells = list(cells[:width]) + [""] * (width - len(cells))
            yield [number, *cells, "；".join(by_row.get(number, []))]

    write_workbook(
        target,
        [_("Row"), *header_cells, _("Errors")],
        rows(),
        sheet_name=_("Errors"),
        highlight_column=width + 1,
    )


def sample_rows(job: ImportJob, limit: int = 10) -> tuple[list[str], list[list[str]]]:
    """The first rows of a stored upload, normalized as the import reads them."""
    columns = get_importer(job.kind).columns
    try:
        sheet = open_sheet(inspect_file(stored_path(job), job.file_name), job.sheet or None)
        header, pending = locate_header(sheet.rows, columns)
    except (SheetFileError, FileNotFoundError):
        return [], []
    present = [c for c in columns if c.key in header.positions]
    parser = RowParser(tuple(present), header)
    labels = _choice_labels(get_importer(job.kind).model)
    samples = []
    for number, cells in chain(pending, sheet.rows):
        row = parser.parse(number, cells)
        if row is None:
            continue
        samples.append(
            [number, *(_display(row.values.get(c.key), labels.get(c.key)) for c in present)]
        )
        if len(samples) >= limit:
            break
    return [_("Row"), *(header.title(c) for c in present)], samples


def _choice_labels(model) -> dict[str, dict]:
    """Field name -> {stored value: label}, so a preview shows 实物 rather than physical."""
    return {f.name: dict(f.flatchoices) for f in model._meta.fields if f.choices}


def _display(value, labels: dict | None = None) -> str:
    if value is None:
        return ""
    if labels and value in labels:
        return str(labels[value])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "，".join(f"{k} {v}" for k, v in value.items())
    return to_text(value)
