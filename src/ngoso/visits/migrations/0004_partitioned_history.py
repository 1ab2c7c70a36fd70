# Issue 20: visits (by visit date) and skill records (by observation date) partitioned by year on PostgreSQL,
# rows kept (core/partitions.convert); nothing on SQLite. Decision 0020.

from django.db import migrations

from ngoso.core import partitions


def forwards(apps, schema_editor):
    partitions.convert(schema_editor, "visits_visit", "visited_on", partitions.YEAR)
    partitions.convert(schema_editor, "visits_skillrecord", "observed_on", partitions.YEAR)


def backwards(apps, schema_editor):
    partitions.unconvert(schema_editor, "visits_skillrecord", "observed_on")
    partitions.unconvert(schema_editor, "visits_visit", "visited_on")
    # the foreign keys convert dropped (Visit.present's table) come back as Django made them
    partitions.restore_foreign_keys(schema_editor, apps, "visits_skillrecord")
    partitions.restore_foreign_keys(schema_editor, apps, "visits_visit")


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("visits", "0003_no_constraints_into_history"),
        ("lessons", "0002_no_constraint_into_history"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
