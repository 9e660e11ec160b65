"""Two ways to write checked policy rows; both count created / updated / unchanged.

``BulkPolicyWriter`` works on any database: per batch, one query for the existing
rows, then bulk_create / bulk_update of what differs. ``CopyPolicyWriter`` is the
PostgreSQL fast path: COPY every batch into a temporary staging table, then one
set-based ``INSERT ... ON CONFLICT DO UPDATE ... WHERE IS DISTINCT FROM``.
"""

import json

from django.db import connection
from django.utils import timezone

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
    def __init__(self, fields: list[str]):
        self.fields = fields
        self.columns = [Policy._meta.get_field(f).column for f in fields]
        self.staged = 0
        self._created_table = False

    def _ensure_table(self, cursor) -> None:
        if self._created_table:
            return
        cursor.execute(
            f"CREATE TEMP TABLE {STAGING} ON COMMIT DROP AS "  # noqa: S608 - fixed names
            f"SELECT policy_no, source, {', '.join(self.columns)} "
            f"FROM {Policy._meta.db_table} WITH NO DATA"
        )
        self._created_table = True

    def add(self, rows, counts) -> None:
        with connection.cursor() as cursor:
            self._ensure_table(cursor)
            names = ", ".join(["policy_no", "source", *self.columns])
            with cursor.cursor.copy(f"COPY {STAGING} ({names}) FROM STDIN") as copy:
                for row in rows:
                    values = row.values
                    record = [values["policy_no"], values["source"]]
                    for field in self.fields:
                        value = values[field]
                        if field == "branch":
                            value = value.pk
                        elif field == "contract_services":
                            value = json.dumps(value, ensure_ascii=False)
                        record.append(value)
                    copy.write_row(record)
        self.staged += len(rows)

    def finish(self, counts) -> None:
        if not self.staged:
            return
        table = Policy._meta.db_table
        columns = ["source", *self.columns]
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)
        current = ", ".join(f"{table}.{c}" for c in columns)
        incoming = ", ".join(f"EXCLUDED.{c}" for c in columns)
        sql = f"""
            WITH upsert AS (
                INSERT INTO {table} (policy_no, {", ".join(columns)}, created_at, updated_at)
                SELECT policy_no, {", ".join(columns)}, now(), now() FROM {STAGING}
                ON CONFLICT (policy_no) DO UPDATE SET {assignments}, updated_at = now()
                WHERE ({current}) IS DISTINCT FROM ({incoming})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
            FROM upsert
        """  # noqa: S608 - names come from the model, values from the staging table
        with connection.cursor() as cursor:
            cursor.execute(sql)
            created, updated = cursor.fetchone()
            cursor.execute(f"DROP TABLE {STAGING}")
        counts.created += created
        counts.updated += updated
        counts.unchanged += self.staged - created - updated
