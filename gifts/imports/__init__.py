"""Spreadsheet imports: one importer class per sheet kind, one pipeline for all of them."""

from gifts.imports.pipeline import import_commit, import_preview, run_import
from gifts.imports.registry import get_importer, register

__all__ = ["get_importer", "import_commit", "import_preview", "register", "run_import"]
