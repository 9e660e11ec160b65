"""Each gift line keeps its hand-out's time, and both are indexed for the statistics.

A period's lines were found through their hand-outs: PostgreSQL read every line (5M in
the benchmark) to join them to a month's hand-outs. With the time on the line and an
index on it, it reads the month's lines alone. The indexes (not in the model state, as
0008's):
- PostgreSQL: ``item_time_facts`` (handed_out_at) INCLUDE what the statistics sum and
  group lines by, and ``distribution_time_facts``, which replaces 0008's
  ``distribution_time_reach`` with the id added, so the join to the hand-outs reads
  both sides from their indexes alone;
- SQLite: ``item_time_facts`` on (handed_out_at), without INCLUDE (SQLite has none).
"""

from django.db import migrations, models

COPY_TIME = """
UPDATE {table} SET handed_out_at = (
    SELECT d.created_at FROM distribution_distribution d
    WHERE d.id = {table}.distribution_id
)
"""
ITEM_INDEX = "item_time_facts"
ITEM_INCLUDE = (
    "distribution_id, gift_id, category_id, kind, provider_id, quantity, unit_value, unit_cost"
)
HANDOUT_INDEX = "distribution_time_facts"
HANDOUT_INCLUDE = (
    "id, status, branch_id, policy_id, rule_code, product, channel, agent_code, vehicle_type"
)


def copy_time(apps, schema_editor):
    for table in ("distribution_distributionitem", "distribution_historicaldistributionitem"):
        schema_editor.execute(COPY_TIME.format(table=table))


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {ITEM_INDEX} ON distribution_distributionitem "
            f"(handed_out_at) INCLUDE ({ITEM_INCLUDE})"
        )
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {HANDOUT_INDEX} ON distribution_distribution "
            f"(created_at) INCLUDE ({HANDOUT_INCLUDE})"
        )
        schema_editor.execute("DROP INDEX IF EXISTS distribution_time_reach")
    else:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {ITEM_INDEX} "
            "ON distribution_distributionitem (handed_out_at)"
        )


def drop_indexes(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {ITEM_INDEX}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {HANDOUT_INDEX}")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS distribution_time_reach ON distribution_distribution "
            "(created_at) INCLUDE (status, branch_id, policy_id, rule_code, product, channel, "
            "agent_code, vehicle_type)"
        )


class Migration(migrations.Migration):
    dependencies = [("distribution", "0008_distribution_time_reach_index")]

    operations = [
        migrations.AddField(
            model_name="distributionitem",
            name="handed_out_at",
            field=models.DateTimeField(null=True, verbose_name="handed out at"),
        ),
        migrations.AddField(
            model_name="historicaldistributionitem",
            name="handed_out_at",
            field=models.DateTimeField(null=True, verbose_name="handed out at"),
        ),
        migrations.RunPython(copy_time, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="distributionitem",
            name="handed_out_at",
            field=models.DateTimeField(verbose_name="handed out at"),
        ),
        migrations.AlterField(
            model_name="historicaldistributionitem",
            name="handed_out_at",
            field=models.DateTimeField(verbose_name="handed out at"),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
