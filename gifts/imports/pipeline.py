"""The one import pipeline: inspect, read, parse, check, write; all or nothing.

Rows stream through in batches, so memory stays bounded whatever the sheet size.
Writes happen inside one transaction while no error has been seen; after the first
error the rest of the sheet is still checked (every bad row is reported) and the
transaction is rolled back at the end. A preview is the same run, always rolled
back, so its counts are exactly what a commit would do.
"""

import gc
import logging
import shutil
import threading
import time
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from giftplatform.access import recorded
from giftplatform.sheets import parallel
from giftplatform.sheets.files import SheetFileError, file_sha256, inspect_file
from giftplatform.sheets.reader import open_sheet
from giftplatform.sheets.schema import RowError, RowParser, build_rows, locate_header
from gifts.imports.base import Counts
from gifts.imports.registry import get_importer
from gifts.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)
MAX_STORED_ERRORS = 10_000


class _Rollback(Exception):
    pass


# A large import keeps tens of thousands of rows (dicts, lists) alive at a time: each
# full pass of the cyclic garbage collector walks them all, with every object Django
# holds, and the default thresholds run several such passes per 100,000 rows (about a
# tenth of the import's CPU). Rows hold no reference cycles (reference counting frees
# them), so while imports run, passes are spaced out; a few more megabytes of cyclic
# garbage may wait for the next one.
_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextmanager
def fewer_gc_passes():
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            if _gc_saved[0]:  # 0: automatic collection is off; leave it so
                gc.set_threshold(max(_gc_saved[0], parallel.GC_FIRST_THRESHOLD), *_gc_saved[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def _store_upload(job: ImportJob, path: Path) -> None:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{job.pk}-{job.sha256[:16]}{Path(job.file_name).suffix.lower()}"
    shutil.copyfile(path, target)
    job.stored_file = str(target.relative_to(settings.MEDIA_ROOT))


def run_import(
    *,
    actor,
    kind: str,
    path: Path,
    file_name: str,
    sheet: str | None = None,
    dry_run: bool = False,
    job: ImportJob | None = None,
    keep_file: bool = False,
) -> ImportJob:
    """Import ``path`` as a sheet of ``kind``; the job says what came of it.

    Raises PermissionDenied when the actor may not import this kind.
    """
    started = time.monotonic()
    importer = get_importer(kind)(actor=actor)
    if job is None:
        job = ImportJob(kind=kind, file_name=Path(file_name).name[:255], actor=recorded(actor))
    job.sheet, job.dry_run = sheet or "", dry_run
    job.status = ImportStatus.PREVIEWED
    job.save()
    importer.job = job
    errors: list[RowError] = []
    counts = Counts()
    total = 0
    try:
        # Hashed before any check: a refused (perhaps hostile) file is recorded too.
        job.size, job.sha256 = Path(path).stat().st_size, file_sha256(Path(path))
        inspected = inspect_file(Path(path), file_name, sha256=job.sha256)
        if keep_file:
            _store_upload(job, Path(path))
        with (
            fewer_gc_passes(),
            _parsed_batches(importer, inspected, sheet) as (sheet_name, header, batches),
        ):
            job.sheet = sheet_name
            importer.header = header
            total = _process(importer, batches, errors, counts, dry_run)
    except SheetFileError as exc:
        errors.insert(0, RowError(0, "", str(exc)))
    except Exception:
        # Nothing was written (the transaction rolled back); the job must not look clean.
        logger.exception("import job %s failed", job.pk)
        job.status, job.total_rows = ImportStatus.FAILED, total
        job.errors = [
            RowError(0, "", _("The import failed unexpectedly; nothing was written.")).as_dict()
        ]
        job.duration_ms = int((time.monotonic() - started) * 1000)
        job.save()
        return job
    job.total_rows = total
    job.errors = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]
    job.rejected_count = len({e.row for e in errors if e.row})
    if errors:
        job.status = ImportStatus.REJECTED
        job.created_count = job.updated_count = job.unchanged_count = 0
    else:
        job.created_count, job.updated_count = counts.created, counts.updated
        job.unchanged_count = counts.unchanged
        job.status = ImportStatus.PREVIEWED if dry_run else ImportStatus.COMMITTED
        if not dry_run:
            job.committed_at = timezone.now()
    job.duration_ms = int((time.monotonic() - started) * 1000)
    job.save()
    return job


@contextmanager
def _parsed_batches(importer, inspected, sheet: str | None):
    """(sheet name, header, batches of parsed rows): read here, or by a child process for
    a large sheet, so that reading and parsing overlap checking and writing."""
    columns, size = importer.columns, settings.IMPORT_BATCH_SIZE
    if parallel.worth_it(inspected, sheet):
        child = parallel.ParallelSheet(
            inspected, sheet, type(importer), batch_size=size, row_cap=settings.IMPORT_MAX_ROWS
        )
        try:
            child.__enter__()
        except parallel.CannotStart:
            logger.warning("no child process to read the sheet; reading it here", exc_info=True)
        else:
            with child:
                keys = [c.key for c in columns]
                yield (
                    child.sheet_name,
                    child.header,
                    (build_rows(keys, batch) for batch in child.batches()),
                )
            return
    opened = open_sheet(inspected, sheet)
    header, pending = locate_header(opened.rows, columns)
    parser = RowParser(columns, header)
    yield (
        opened.name,
        header,
        (parser.parse_batch(chunk) for chunk in _batches(chain(pending, opened.rows), size)),
    )


def _process(importer, batches, errors, counts, dry_run) -> int:
    """Check (and, while clean, write) every row; roll everything back on any error."""
    first_seen: dict = {}
    total = 0
    key_title = importer.column_title(
        importer.key if isinstance(importer.key, str) else importer.key[-1]
    )
    row_cap = settings.IMPORT_MAX_ROWS
    try:
        with transaction.atomic():
            for batch in batches:
                if not batch:
                    continue
                total += len(batch)
                if total > row_cap:
                    raise SheetFileError(
                        _("The sheet has more than %(cap)d rows; split it into smaller sheets.")
                        % {"cap": row_cap}
                    )
                for row in batch:
                    key = importer.key_of(row)
                    if key is None or (isinstance(key, tuple) and None in key):
                        continue
                    earlier = first_seen.setdefault(key, row.number)
                    if earlier != row.number:
                        row.error(
                            key_title,
                            _("Duplicate of row %(row)d in this sheet.") % {"row": earlier},
                        )
                clean = [row for row in batch if not row.errors]
                if clean:
                    importer.check(clean)
                for row in batch:
                    errors.extend(row.errors)
                if not errors:
                    importer.write(batch, counts)
            if not errors:
                importer.finish(counts)
            if errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return total


def import_preview(*, actor, kind: str, path: Path, file_name: str, sheet: str | None = None):
    """Check a sheet and count what a commit would do; nothing is written but the job."""
    return run_import(
        actor=actor,
        kind=kind,
        path=path,
        file_name=file_name,
        sheet=sheet,
        dry_run=True,
        keep_file=True,
    )


def import_commit(*, actor, job: ImportJob) -> ImportJob:
    """Commit a previewed job from its stored file, checking everything again."""
    if job.status != ImportStatus.PREVIEWED or not job.stored_file:
        raise ValueError("only a previewed job with a stored file can be committed")
    path = Path(settings.MEDIA_ROOT) / job.stored_file
    return run_import(
        actor=actor,
        kind=job.kind,
        path=path,
        file_name=job.file_name,
        sheet=job.sheet or None,
        dry_run=False,
        job=job,
    )
