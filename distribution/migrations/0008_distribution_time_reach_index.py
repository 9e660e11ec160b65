"""A covering index for the statistics' reach questions (PostgreSQL only).

The policies reached in a period read each live hand-out's time, status, branch, policy,
rule, and the policy attributes it keeps (product, channel, agent, vehicle type); with
those in the index, PostgreSQL answers from the index alone (an index-only scan) instead
of visiting a heap page per hand-out: on 5M gift lines, a month by branch with cost /
premium went from 553 to 331 ms, a quarter by agent with the policies reached from 825
to (see bench/bench_stats.py). SQLite has no INCLUDE columns, and its data is small: it
gets nothing.
"""

from django.db import migrations

NAME = "distribution_time_reach"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON distribution_distribution (created_at) "
            "INCLUDE (status, branch_id, policy_id, rule_code, product, channel, agent_code, "
            "vehicle_type)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("distribution", "0007_handout_policy_snapshot")]

    operations = [migrations.RunPython(create, drop)]
