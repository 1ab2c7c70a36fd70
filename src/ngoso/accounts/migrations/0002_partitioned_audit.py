# Issue 20: audit entries partitioned by year on PostgreSQL, rows kept (core/partitions.convert); nothing on
# SQLite. Decision 0020.

from django.db import migrations

from ngoso.core import partitions


def forwards(apps, schema_editor):
    partitions.convert(schema_editor, "accounts_auditentry", "at", partitions.YEAR)


def backwards(apps, schema_editor):
    partitions.unconvert(schema_editor, "accounts_auditentry", "at")
    partitions.restore_foreign_keys(schema_editor, apps, "accounts_auditentry")


class Migration(migrations.Migration):

    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
