"""Spreadsheet XML is parsed with defusedxml: entity expansion and external entities refused."""

from django.core.exceptions import ImproperlyConfigured


def harden_xml_parsing() -> None:
    """Fail at start-up unless openpyxl parses XML through defusedxml.

    openpyxl switches to defusedxml on import when the package is installed; we
    check the switch took effect rather than trust it.
    """
    try:
        import defusedxml  # noqa: F401
        from openpyxl import DEFUSEDXML
    except ImportError as exc:  # pragma: no cover - install problem
        raise ImproperlyConfigured("defusedxml must be installed for safe xlsx parsing") from exc
    if not DEFUSEDXML:
        raise ImproperlyConfigured("openpyxl is not using defusedxml; refusing to start")
