# Issue 20: play logs partitioned by month of receipt on PostgreSQL (archived after NGOSO_PLAYLOG_RETENTION_MONTHS),
# rows kept (core/partitions.convert); nothing on SQLite. Decision 0020.

from django.db import migrations

from ngoso.core import partitions


def forwards(apps, schema_editor):
    partitions.convert(schema_editor, "radio_playlog", "received_at", partitions.MONTH)


def backwards(apps, schema_editor):
    partitions.unconvert(schema_editor, "radio_playlog", "received_at")
    partitions.restore_foreign_keys(schema_editor, apps, "radio_playlog")


class Migration(migrations.Migration):

    dependencies = [("radio", "0004_cluster_last_seq")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
