"""Database connection tuning that a workload may need to switch for its duration."""

from contextlib import contextmanager

from django.db import connections


@contextmanager
def statements_not_prepared(using: str = "default"):
    """Run the block with psycopg's automatic prepared statements off on this connection.

    The web requests gain from them (settings: DATABASE_PREPARED_STATEMENTS): their
    statements repeat with a few parameters each. Bulk work sends the same statement
    with thousands of different ids (chunks of a batch run); once prepared, PostgreSQL
    may settle on a generic plan that ignores those ids, which made batch runs 40% slower.
    Elsewhere (SQLite, prepared statements off) this does nothing.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        if connection.connection is raw:  # not closed and reopened meanwhile
            raw.prepare_threshold = saved
