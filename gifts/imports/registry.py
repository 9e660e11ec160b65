"""Importer classes by kind. Apps register theirs in AppConfig.ready()."""

_IMPORTERS: dict[str, type] = {}


def register(importer_class: type) -> type:
    _IMPORTERS[importer_class.kind] = importer_class
    return importer_class


def get_importer(kind: str) -> type:
    return _IMPORTERS[kind]


def registered_kinds() -> list[str]:
    return list(_IMPORTERS)
