from gifts.imports.command import ImportCommand
from gifts.models import ImportKind


class Command(ImportCommand):
    help = "Import a providers sheet (.xlsx or .csv), all or nothing."
    kind = ImportKind.PROVIDERS
