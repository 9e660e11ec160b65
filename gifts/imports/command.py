"""The base of the import_* management commands: same pipeline, same rules as the admin."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from gifts.imports.pipeline import run_import
from gifts.models import ImportStatus


class CommandLineActor:
    """The operator at the server's shell: full rights, recorded as no user."""

    pk = None
    id = None
    is_active = True
    is_staff = True
    is_superuser = True
    branch = None

    def has_perm(self, perm, obj=None) -> bool:
        return True

    def __str__(self) -> str:
        return "command line"


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser):
        parser.add_argument("file", help="an .xlsx or .csv file")
        parser.add_argument("--dry-run", action="store_true", help="check and count; write nothing")
        parser.add_argument("--sheet", help="the sheet to read (default: the visible active one)")
        parser.add_argument("--user", help="import as this user, within their branches")

    def handle(self, *args, **options):
        actor = self._actor(options["user"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"file not found: {path}")
        try:
            job = run_import(
                actor=actor,
                kind=self.kind,
                path=path,
                file_name=path.name,
                sheet=options["sheet"],
                dry_run=options["dry_run"],
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        if job.status in (ImportStatus.REJECTED, ImportStatus.FAILED):
            for error in job.errors:
                self.stderr.write(_format_error(error))
            hidden = job.rejected_count - len({e["row"] for e in job.errors if e["row"]})
            if hidden > 0:
                self.stderr.write(f"... and {hidden} more rows with errors")
            raise SystemExit(1)
        verb = "checked (dry run, nothing written)" if options["dry_run"] else "imported"
        self.stdout.write(
            f"{verb}: {job.total_rows} rows from {job.file_name} [{job.sheet}]: "
            f"created {job.created_count}, updated {job.updated_count}, "
            f"unchanged {job.unchanged_count}, rejected {job.rejected_count} "
            f"({job.duration_ms} ms)"
        )

    def _actor(self, username):
        if not username:
            return CommandLineActor()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user


def _format_error(error: dict) -> str:
    if not error["row"]:
        return error["message"]
    column = " ".join((error["column"] or "-").split())  # one line per problem
    message = " ".join(error["message"].split())
    return f"row {error['row']}, column {column}: {message}"
