"""The stock ledger is append-only in the database itself (PostgreSQL): a row-level
trigger refuses UPDATE and DELETE of gifts_stockmovement, whatever the client."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION gifts_stockmovement_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are append-only (%% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER gifts_stockmovement_append_only
    BEFORE UPDATE OR DELETE ON gifts_stockmovement
    FOR EACH ROW EXECUTE FUNCTION gifts_stockmovement_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS gifts_stockmovement_append_only ON gifts_stockmovement;
DROP FUNCTION IF EXISTS gifts_stockmovement_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("gifts", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
