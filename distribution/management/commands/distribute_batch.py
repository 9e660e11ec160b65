"""manage.py distribute_batch: dry runs, real runs (made here, approved in the admin), and
executing approved runs. See ``Command.help``."""

import time
from argparse import RawDescriptionHelpFormatter
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from distribution.batch import DEFAULT_CHUNK_SIZE, batch_run_execute, batch_run_prepare
from distribution.batch_admin import RUN_PERMISSION
from distribution.batch_report import report_lines
from distribution.models import BatchRun, BatchStatus, Rule, RuleStatus
from giftplatform.access import branches_for, restrict, sees_everything
from giftplatform.models import Branch

INTERRUPTED = 130
NOT_FINISHED = 3

HELP = """Hand out one rule's rewards to every policy that qualifies, in chunks.

Three uses:
  --rule CODE [selection] --dry-run
      report what would go out (policies, gifts, quota and stock, refusals); writes
      nothing and needs no approval.
  --rule CODE [selection] --user MAKER
      record a REAL run with MAKER as the person asking for it. Nothing is handed out:
      the run waits until ANOTHER person with the approver role approves it in the admin
      (Batch runs -> the run -> Approve), signed in as themselves. The command prints
      the run's id.
  --run RUN_ID [--user OPERATOR]
      execute an approved run, or resume a stopped or failed one after its last
      committed chunk (nothing is given twice). OPERATOR, if given, is recorded on the
      hand-outs.

Approval is never given from the command line: a shell account cannot prove who is
typing, so the second pair of eyes signs in to the admin, where the decision is
recorded with who and when. MAKER must be an active user allowed to start batch runs;
rules and branches outside MAKER's branch subtree are unknown, and MAKER must give
--branch (their branch or one below it) unless they are a superuser.

Exit status: 0 done (or recorded awaiting approval), 1 refused or failed, 3 stopped
(resume with --run), 130 interrupted (resume with --run)."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", RawDescriptionHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--rule", help="code of an active rule")
        parser.add_argument("--branch", help="branch code: only policies of its subtree")
        parser.add_argument("--issued-from", help="only policies issued on or after (YYYY-MM-DD)")
        parser.add_argument("--issued-to", help="only policies issued on or before (YYYY-MM-DD)")
        parser.add_argument("--dry-run", action="store_true", help="write nothing; report only")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="with --rule: the maker of a real run (required); with --run: the operator",
        )
        parser.add_argument(
            "--run",
            "--resume",
            dest="run",
            type=int,
            metavar="RUN_ID",
            help="execute this approved run, or resume it (--resume is the same)",
        )
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE)

    def handle(self, *args, **options):
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        user = self._user(options["user"]) if options["user"] else None
        if options["run"]:
            run = self._approved(options)
        else:
            run = self._prepared(options, user)
            if run.status == BatchStatus.AWAITING_APPROVAL:
                self.stdout.write(
                    f"batch run #{run.pk}: rule {run.rule.code}, {run.total} policies selected, "
                    f"requested by {user.username}; it awaits approval by another person "
                    f"with the approver role (admin: Batch runs, #{run.pk}); once approved, "
                    f"execute it with --run {run.pk}"
                )
                return
        self._execute(run, user, options["chunk_size"])

    def _execute(self, run: BatchRun, user, chunk_size: int) -> None:
        kind = "dry run" if run.dry_run else "run"
        self.stdout.write(
            f"batch {kind} #{run.pk}: rule {run.rule.code}, {run.total} policies selected, "
            f"{run.processed} already processed"
        )
        started = time.perf_counter()
        try:
            run = batch_run_execute(
                actor=user, run=run, chunk_size=chunk_size, progress=self._progress
            )
        except KeyboardInterrupt:
            run.refresh_from_db()
            self.stderr.write(
                f"interrupted: run #{run.pk} stopped after {run.processed} policies; "
                f"continue with --run {run.pk}"
            )
            raise CommandError("interrupted", returncode=INTERRUPTED) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except Exception as exc:
            run.refresh_from_db()
            raise CommandError(
                f"run #{run.pk} failed after {run.processed} policies: {exc}; "
                f"fix the cause, then --run {run.pk}"
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
                f"run #{run.pk} is {run.status}; continue with --run {run.pk}",
                returncode=NOT_FINISHED,
            )

    def _progress(self, run: BatchRun) -> None:
        self.stdout.write(
            f"  {run.processed}/{run.total} ({run.progress_percent}%): "
            f"{run.distributed} handed out, {run.refused} refused"
        )

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"unknown or inactive user {username!r}")
        return user

    def _prepared(self, options, user) -> BatchRun:
        if not options["rule"]:
            raise CommandError("--rule CODE is required (or --run RUN_ID)")
        if not options["dry_run"]:
            if user is None:
                raise CommandError(
                    "a real run needs --user MAKER: it then awaits approval by another "
                    "person in the admin (or use --dry-run)"
                )
            if not user.has_perm(RUN_PERMISSION):
                raise CommandError(f"user {user.username} may not start batch runs")
        rules = Rule.objects.all() if user is None else restrict(Rule.objects.all(), user, "view")
        branches = Branch.objects.all() if user is None else branches_for(user)
        code = options["rule"].strip().upper()
        rule = rules.filter(code__iexact=code).order_by("-version").first()
        if rule is None:
            raise CommandError(f"unknown rule {code!r}")
        live = rules.filter(code=rule.code, status=RuleStatus.ACTIVE).first()
        if live is None:
            raise CommandError(f"rule {rule.code} is not active ({rule.get_status_display()})")
        branch = None
        if options["branch"]:
            branch = branches.filter(code=options["branch"].strip()).first()
            if branch is None:
                raise CommandError(f"unknown branch {options['branch']!r}")
        elif user is not None and not sees_everything(user):
            # As in the admin: a run never reaches policies its maker may not see.
            raise CommandError(f"user {user.username} must give --branch (their subtree)")
        issued_from = _date(options["issued_from"]) if options["issued_from"] else None
        issued_to = _date(options["issued_to"]) if options["issued_to"] else None
        try:
            return batch_run_prepare(
                actor=user,
                rule=live,
                branch=branch,
                issued_from=issued_from,
                issued_to=issued_to,
                dry_run=options["dry_run"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def _approved(self, options) -> BatchRun:
        if options["rule"] or options["dry_run"]:
            raise CommandError("--run takes no --rule or --dry-run: the run keeps its own")
        run = BatchRun.objects.select_related("rule").filter(pk=options["run"]).first()
        if run is None:
            raise CommandError(f"no batch run #{options['run']}")
        if run.status == BatchStatus.COMPLETED:
            raise CommandError(f"run #{run.pk} is already completed")
        if run.status == BatchStatus.AWAITING_APPROVAL:
            raise CommandError(
                f"run #{run.pk} awaits approval by another person with the approver role "
                f"(admin: Batch runs, #{run.pk})"
            )
        if run.status == BatchStatus.REJECTED:
            raise CommandError(f"run #{run.pk} was rejected: {run.decision_note}")
        return run
