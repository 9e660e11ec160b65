"""Two ways to write checked policy rows; both count created / updated / unchanged.

``BulkPolicyWriter`` works on any database: per batch, one query for the existing
rows, then bulk_create / bulk_update of what differs. ``CopyPolicyWriter`` is the
PostgreSQL fast path: per batch, a binary COPY into a temporary staging table, then
one set-based ``INSERT ... ON CONFLICT DO UPDATE ... WHERE IS DISTINCT FROM``.

Upserting batch by batch (rather than once at the end), from a thread, lets the
database insert one batch while this process prepares the next; the whole import is
still one transaction on one connection (psycopg serializes its use).
"""

import io
import json
import threading
from operator import itemgetter

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from psycopg.copy import Copy, FileWriter

from policies.models import Policy

STAGING = "policy_import_staging"


def _row_values(row, fields):
    values = row.values
    return {f: values[f] for f in fields}


class BulkPolicyWriter:
    def __init__(self, fields: list[str]):
        self.fields = fields

    def add(self, rows, counts) -> None:
        existing = {
            p.policy_no: p
            for p in Policy.objects.filter(policy_no__in=[r.values["policy_no"] for r in rows])
        }
        created, updated = [], []
        now = timezone.now()
        for row in rows:
            values = _row_values(row, self.fields)
            policy = existing.get(row.values["policy_no"])
            if policy is None:
                created.append(
                    Policy(policy_no=row.values["policy_no"], source=row.values["source"], **values)
                )
                continue
            if any(getattr(policy, f) != v for f, v in values.items()):
                for name, value in values.items():
                    setattr(policy, name, value)
                policy.updated_at = now
                updated.append(policy)
            else:
                counts.unchanged += 1
        Policy.objects.bulk_create(created, batch_size=1000)
        Policy.objects.bulk_update(updated, [*self.fields, "updated_at"], batch_size=1000)
        counts.created += len(created)
        counts.updated += len(updated)

    def finish(self, counts) -> None:
        pass


class CopyPolicyWriter:
    """Per batch: COPY into a staging table, then one upsert run by a thread.

    The database is the slowest worker of the import, so it is kept busy: a batch's
    COPY data is formatted (binary, into memory) while the previous batch's upsert is
    still running, and is then sent in one piece. contract_services is staged as JSON
    text (dumped once per distinct value: the parser hands out the same dict for the
    same cell) and cast to jsonb by the upsert.
    """

    def __init__(self, fields: list[str]):
        self.fields = fields
        self.columns = [Policy._meta.get_field(f).column for f in fields]
        self.branch_at = 2 + fields.index("branch")
        self.services_at = 2 + fields.index("contract_services")
        self._types: list[int] | None = None
        self._foreign_keys: list[str] = []
        self._formatter = None  # a cursor of the connection, for its adapters only
        self._pending: _Upsert | None = None

    def _prepare(self, cursor) -> None:
        """Create the staging table once per transaction; check foreign keys as rows go in."""
        table = Policy._meta.db_table
        selected = [
            f"{c}::text AS {c}" if c == "contract_services" else c
            for c in ["policy_no", "source", *self.columns]
        ]
        cursor.execute(
            f"CREATE TEMP TABLE {STAGING} ON COMMIT DROP AS "  # noqa: S608 - fixed names
            f"SELECT {', '.join(selected)} FROM {table} WITH NO DATA"
        )
        cursor.execute(
            "SELECT atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [STAGING],
        )
        self._types = [oid for (oid,) in cursor.fetchall()]
        self._formatter = cursor.cursor.connection.cursor()
        # Deferred foreign-key checks would all run at COMMIT, after the last batch; run
        # them with each batch's INSERT instead, while the next batch is being prepared.
        constraints = connection.introspection.get_constraints(cursor, table)
        self._foreign_keys = sorted(
            name for name, info in constraints.items() if info.get("foreign_key")
        )
        for name in self._foreign_keys:
            cursor.execute(f"SET CONSTRAINTS {connection.ops.quote_name(name)} IMMEDIATE")

    def add(self, rows, counts) -> None:
        if not rows:
            return
        if self._types is None:
            self.wait()
            with connection.cursor() as cursor:
                self._prepare(cursor)
        data = self._copy_data(rows)  # while the last batch's upsert runs
        self.wait()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {STAGING}")
            names = ", ".join(["policy_no", "source", *self.columns])
            with cursor.cursor.copy(f"COPY {STAGING} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(data)
        database = connections[DEFAULT_DB_ALIAS]  # this thread's, not the per-thread proxy
        self._pending = _Upsert(database, self._upsert_sql(), counts, len(rows))

    def _copy_data(self, rows) -> bytes:
        """The rows in COPY's binary format, formatted without using the connection."""
        record_of = itemgetter("policy_no", "source", *self.fields)
        branch_at, services_at = self.branch_at, self.services_at
        dumped: dict[int, str] = {}  # id() of a dict held by a row of this batch -> JSON
        buffer = io.BytesIO()
        with Copy(self._formatter, binary=True, writer=FileWriter(buffer)) as copy:
            copy.set_types(self._types)
            write_row = copy.write_row
            for row in rows:
                record = list(record_of(row.values))
                record[branch_at] = record[branch_at].pk
                services = record[services_at]
                text = dumped.get(id(services))
                if text is None:
                    text = dumped[id(services)] = json.dumps(services)
                record[services_at] = text
                write_row(record)
        return buffer.getvalue()

    def wait(self) -> None:
        """Wait for the last batch's upsert, which runs while the next batch is prepared
        (reading, parsing, checking: the database connection is locked meanwhile, so any
        query waits its turn). Raises what the upsert raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _upsert_sql(self) -> str:
        table = Policy._meta.db_table
        columns = ["source", *self.columns]
        selected = ", ".join(
            f"{c}::jsonb" if c == "contract_services" else c for c in ["policy_no", *columns]
        )
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
        current = ", ".join(f"{table}.{c}" for c in columns)
        incoming = ", ".join(f"EXCLUDED.{c}" for c in columns)
        return f"""
            WITH upsert AS (
                INSERT INTO {table} (policy_no, {", ".join(columns)}, created_at, updated_at)
                SELECT {selected}, now(), now() FROM {STAGING}
                ON CONFLICT (policy_no) DO UPDATE SET {assignments}, updated_at = now()
                WHERE ({current}) IS DISTINCT FROM ({incoming})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
            FROM upsert
            """  # noqa: S608 - names come from the model, values from the staging table

    def finish(self, counts) -> None:
        self.wait()
        if self._types is None:
            return
        with connection.cursor() as cursor:
            for name in self._foreign_keys:
                cursor.execute(f"SET CONSTRAINTS {connection.ops.quote_name(name)} DEFERRED")
            cursor.execute(f"DROP TABLE {STAGING}")
        self._formatter.close()
        self._types = self._formatter = None


class _Upsert:
    """One batch's upsert, run by a thread on the transaction's own connection (shared
    with the thread the Django way, so that query logging and wrappers still apply)."""

    def __init__(self, database, sql: str, counts, staged: int):
        self.counts, self.staged = counts, staged
        self.outcome: tuple | BaseException | None = None
        database.inc_thread_sharing()
        self.thread = threading.Thread(
            target=self._run, args=(database, sql), name="policy-upsert", daemon=True
        )
        self.thread.start()

    def _run(self, database, sql: str) -> None:
        try:
            with database.cursor() as cursor:
                cursor.execute(sql)
                self.outcome = cursor.fetchone()
        except BaseException as exc:  # handed to the importing thread by result()
            self.outcome = exc
        finally:
            database.dec_thread_sharing()

    def result(self) -> None:
        self.thread.join()
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        created, updated = self.outcome
        self.counts.created += created
        self.counts.updated += updated
        self.counts.unchanged += self.staged - created - updated
