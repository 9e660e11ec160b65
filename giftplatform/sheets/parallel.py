"""Read and parse a large sheet in a child process while this process checks and writes.

The child opens the sheet, finds the header row and parses rows in batches with the
columns' own parsers (the same rules as the serial path, the same row numbers, the
same messages in the same language); it sends each batch as plain lists through a
pipe. The pipe holds about one batch, so the child runs at most a batch or two ahead
and memory stays bounded.

The child never touches the database. It is forked when this process runs a single
thread (the command line, a test, a sync worker): nothing to start, and it inherits
the settings and the active language as they are. With other threads running (a
threaded web server), forking could copy a lock held by another thread, so the child
is spawned instead: a fresh interpreter that sets Django up again (about half a
second), which is why small sheets are not sent to a child at all.
"""

import contextlib
import gc
import importlib
import multiprocessing
import os
import queue
import signal
import threading
import traceback
from collections.abc import Iterator
from itertools import chain, islice
from multiprocessing.connection import wait
from multiprocessing.reduction import ForkingPickler

from django.conf import settings
from django.utils import translation

from giftplatform.sheets.files import InspectedFile, SheetFileError
from giftplatform.sheets.reader import open_sheet, sheet_data_size
from giftplatform.sheets.schema import HeaderMap, ParsedColumns, RowParser, locate_header

# Below this much sheet data (about 2,700 policy rows) a child costs more than it saves.
DEFAULT_MIN_BYTES = 2 * 1024 * 1024
# While an import runs: collections of the cyclic GC (see work() and
# gifts.imports.pipeline.fewer_gc_passes) after this many new objects, not 700.
GC_FIRST_THRESHOLD = 50_000
# Batches the child may have parsed before the parent takes them (memory: a few MB each).
AHEAD = 4


def worth_it(inspected: InspectedFile, sheet_name: str | None) -> bool:
    """Whether to read ``inspected`` in a child process (settings IMPORT_PARALLEL and
    IMPORT_PARALLEL_MIN_BYTES; never on a single CPU)."""
    if not getattr(settings, "IMPORT_PARALLEL", True) or _cpus() < 2:
        return False
    threshold = getattr(settings, "IMPORT_PARALLEL_MIN_BYTES", DEFAULT_MIN_BYTES)
    return sheet_data_size(inspected, sheet_name) >= threshold


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def start_method() -> str:
    configured = getattr(settings, "IMPORT_PARALLEL_START_METHOD", "")
    if configured:
        return configured
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


class CannotStart(Exception):
    """No child process could be started (the caller reads the sheet itself)."""


class ParallelSheet:
    """A sheet read and parsed by a child process; use as a context manager.

    On entry the child has found the header: ``sheet_name`` and ``header`` are set, or
    the file's problem is raised as ``SheetFileError``. ``batches()`` then yields the
    parsed batches in sheet order. Leaving the block stops the child.
    """

    def __init__(
        self,
        inspected: InspectedFile,
        sheet_name: str | None,
        importer_class: type,
        *,
        batch_size: int,
        row_cap: int,
    ):
        self.inspected = inspected
        self.wanted = sheet_name
        self.columns_ref = f"{importer_class.__module__}:{importer_class.__qualname__}"
        self.batch_size = batch_size
        self.row_cap = row_cap
        self.sheet_name = ""
        self.header: HeaderMap | None = None
        self.process = None
        self.receiver = None

    def __enter__(self) -> "ParallelSheet":
        if self.process is not None:  # already started
            return self
        context = multiprocessing.get_context(start_method())
        self.receiver, sender = context.Pipe(duplex=False)
        overrides = {
            name: getattr(settings, name) for name in dir(settings) if name[:7] == "IMPORT_"
        }
        self.process = context.Process(
            target=work,
            name="sheet-reader",
            daemon=True,
            args=(
                sender,
                self.inspected,
                self.wanted,
                self.columns_ref,
                translation.get_language(),
                overrides,
                self.batch_size,
                self.row_cap,
            ),
        )
        try:
            self.process.start()
        except (OSError, AssertionError, ValueError) as exc:  # no fork, no room, a daemon
            self.receiver.close()
            self.process = None
            raise CannotStart(str(exc)) from exc
        finally:
            sender.close()  # the child holds the only writing end: its exit is our EOF
        try:
            _kind, self.sheet_name, self.header = self._receive()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def batches(self) -> Iterator[ParsedColumns]:
        while True:
            message = self._receive()
            if message[0] == "end":
                return
            yield message[1]

    def _receive(self) -> tuple:
        receiver, process = self.receiver, self.process
        while True:
            ready = wait([receiver, process.sentinel])
            if receiver in ready:
                try:
                    message = receiver.recv()
                except EOFError:
                    message = None
                break
            if not receiver.poll():
                message = None
                break
        if message is None:
            process.join(timeout=5)
            raise RuntimeError(
                f"the sheet reader stopped unexpectedly (exit code {process.exitcode})"
            )
        if message[0] == "error":
            raise SheetFileError(message[1])
        if message[0] == "crash":
            raise RuntimeError(f"the sheet reader failed:\n{message[1]}")
        return message

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.receiver is not None:
            self.receiver.close()
        process = self.process
        if process is not None:
            process.join(timeout=0.5 if exc_type is None else 0)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():  # pragma: no cover - ignored SIGTERM
                process.kill()
                process.join()
            process.close()
            self.process = None


# --- the child ---------------------------------------------------------------------------


def work(
    connection,
    inspected: InspectedFile,
    wanted: str | None,
    columns_ref: str,
    language: str | None,
    overrides: dict,
    batch_size: int,
    row_cap: int,
) -> None:
    """Child process: read, find the header, parse and send batches; never the database."""
    # Ctrl-C reaches the whole process group: the parent decides, and stops the child.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not a web server's graceful handler
    # Parsed batches wait in the outbox: full passes of the cyclic GC over them would
    # cost about a tenth of the child's time, and they hold no cycles (as the parent's
    # pipeline.fewer_gc_passes; a forked child inherits that already, a spawned one not).
    first, *rest = gc.get_threshold()
    if first:
        gc.set_threshold(max(first, GC_FIRST_THRESHOLD), *rest)
    outbox = _Outbox(connection, AHEAD)
    try:
        _setup(overrides, language)
        columns = _resolve(columns_ref).columns
        opened = open_sheet(inspected, wanted)
        header, pending = locate_header(opened.rows, columns)
        outbox.put(("header", opened.name, header))
        parser = RowParser(columns, header)
        rows = chain(pending, opened.rows)
        sent = 0
        while chunk := list(islice(rows, batch_size)):
            batch = parser.parse_columns(chunk)
            if batch.numbers:
                outbox.put(("rows", batch))
                sent += len(batch.numbers)
                if sent > row_cap:  # the parent refuses the sheet; no need to read on
                    break
        outbox.put(("end",))
    except SheetFileError as exc:
        outbox.put(("error", str(exc)))
    except BrokenPipeError:
        pass  # the parent stopped listening (it found the sheet bad, or was interrupted)
    except BaseException:
        outbox.put(("crash", traceback.format_exc()))
    finally:
        outbox.close()


class _Outbox:
    """Messages sent by a thread, so that parsing runs up to ``ahead`` batches in front of
    the parent (reading a piece of the sheet releases the GIL, sending mostly waits)."""

    _DONE = object()

    def __init__(self, connection, ahead: int):
        self.connection = connection
        self.queue: queue.Queue = queue.Queue(maxsize=ahead)
        self.broken = False
        self.thread = threading.Thread(target=self._run, name="sheet-sender", daemon=True)
        self.thread.start()

    def put(self, message) -> None:
        if self.broken:
            raise BrokenPipeError
        self.queue.put(ForkingPickler.dumps(message))

    def _run(self) -> None:
        while (data := self.queue.get()) is not self._DONE:
            if self.broken:
                continue
            try:
                self.connection.send_bytes(data)
            except OSError:
                self.broken = True

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.queue.put(self._DONE)
        self.thread.join()
        self.connection.close()


def _setup(overrides: dict, language: str | None) -> None:
    from django.apps import apps

    if not apps.ready:  # spawned: a fresh interpreter
        import django

        django.setup()
    for name, value in overrides.items():
        setattr(settings, name, value)
    if language:
        translation.activate(language)


def _resolve(ref: str):
    module, _, qualname = ref.partition(":")
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target
