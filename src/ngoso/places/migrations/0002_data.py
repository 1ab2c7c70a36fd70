from django.db import migrations


def forwards(apps, schema_editor):
    # Byte-order collation on PostgreSQL so that the path range scans (``path >= p AND path < p~``) mean
    # "starts with" whatever the cluster's locale is. SQLite compares bytes already.
    if schema_editor.connection.vendor == "postgresql":
        for column in ("path", "former_path"):
            schema_editor.execute(
                f'ALTER TABLE places_place ALTER COLUMN {column} TYPE varchar(255) COLLATE "C"'
            )


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
