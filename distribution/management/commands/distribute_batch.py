"""manage.py distribute_batch --rule CODE [--branch CODE] [--issued-from DATE --issued-to DATE]
[--dry-run] [--resume RUN_ID] [--chunk-size N]"""

import time
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from distribution.batch import DEFAULT_CHUNK_SIZE, batch_run_execute, batch_run_prepare
from distribution.batch_report import report_lines
from distribution.models import BatchRun, BatchStatus, Rule, RuleStatus
from giftplatform.models import Branch

INTERRUPTED = 130


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Hand out one rule's rewards to every policy that qualifies, in chunks; "
        "--dry-run reports what would go out; --resume RUN_ID continues a stopped run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rule", help="code of an active rule")
        parser.add_argument("--branch", help="branch code: only policies of its subtree")
        parser.add_argument("--issued-from", help="only policies issued on or after (YYYY-MM-DD)")
        parser.add_argument("--issued-to", help="only policies issued on or before (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="write nothing; report only")
        parser.add_argument("--resume", type=int, metavar="RUN_ID", help="continue this run")
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)

    def handle(self, *args, **options):
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        run = self._resumed(options) if options["resume"] else self._prepared(options)
        kind = "dry run" if run.dry_run else "run"
        self.stdout.write(
            f"batch {kind} #{run.pk}: rule {run.rule.code}, {run.total} policies selected, "
            f"{run.processed} already processed"
        )
        started = time.perf_counter()
        try:
            run = batch_run_execute(
                actor=None, run=run, chunk_size=options["chunk_size"], progress=self._progress
            )
        except KeyboardInterrupt:
            run.refresh_from_db()
            self.stderr.write(
                f"interrupted: run #{run.pk} stopped after {run.processed} policies; "
                f"continue with --resume {run.pk}"
            )
            raise CommandError("interrupted", returncode=INTERRUPTED) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except Exception as exc:
            run.refresh_from_db()
            raise CommandError(
                f"run #{run.pk} failed after {run.processed} policies: {exc}; "
                f"fix the cause, then --resume {run.pk}"
            ) from exc
        seconds = time.perf_counter() - started
        self.stdout.write("")
        for line in report_lines(run.report):
            self.stdout.write(line)
        self.stdout.write(
            f"run #{run.pk} {run.get_status_display()} in {seconds:.1f}s"
            + (f": {run.error}" if run.error else "")
        )
        if run.status != BatchStatus.COMPLETED:
            raise CommandError(
                f"run #{run.pk} is {run.status}; continue with --resume {run.pk}", returncode=3
            )

    def _progress(self, run: BatchRun) -> None:
        self.stdout.write(
            f"  {run.processed}/{run.total} ({run.progress_percent}%): "
            f"{run.distributed} handed out, {run.refused} refused"
        )

    def _prepared(self, options) -> BatchRun:
        if not options["rule"]:
            raise CommandError("--rule CODE is required (or --resume RUN_ID)")
        code = options["rule"].strip().upper()
        rule = Rule.objects.filter(code__iexact=code).order_by("-version").first()
        if rule is None:
            raise CommandError(f"unknown rule {code!r}")
        live = Rule.objects.filter(code=rule.code, status=RuleStatus.ACTIVE).first()
        if live is None:
            raise CommandError(f"rule {rule.code} is not active ({rule.get_status_display()})")
        branch = None
        if options["branch"]:
            branch = Branch.objects.filter(code=options["branch"].strip()).first()
            if branch is None:
                raise CommandError(f"unknown branch {options['branch']!r}")
        issued_from = _date(options["issued_from"]) if options["issued_from"] else None
        issued_to = _date(options["issued_to"]) if options["issued_to"] else None
        try:
            return batch_run_prepare(
                actor=None,
                rule=live,
                branch=branch,
                issued_from=issued_from,
                issued_to=issued_to,
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _resumed(self, options) -> BatchRun:
        run = BatchRun.objects.select_related("rule").filter(pk=options["resume"]).first()
        if run is None:
            raise CommandError(f"no batch run #{options['resume']}")
        if run.status == BatchStatus.COMPLETED:
            raise CommandError(f"run #{run.pk} is already completed")
        return run
