"""Issue 19: a conflicting offline edit waits for a leader instead of overwriting (SyncConflict.status).
The rows from before were the phone's value written over the server's: ``kept`` is the phone's (``mine``),
``overwritten`` the server's (``theirs``), and they read as resolved ``mine``."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_registration_duplicates_merge"),
        ("sync", "0002_devicetoken_device_key"),
    ]

    operations = [
        migrations.RenameField(model_name="syncconflict", old_name="kept", new_name="mine"),
        migrations.RenameField(model_name="syncconflict", old_name="overwritten", new_name="theirs"),
        migrations.AddField(model_name="syncconflict", name="status",
                            field=models.CharField(default="mine", max_length=10, db_index=True, choices=[
                                ("pending", "Waiting for a decision"), ("mine", "The phone's value kept"),
                                ("theirs", "The server's value kept")])),
        migrations.AlterField(model_name="syncconflict", name="status",
                              field=models.CharField(default="pending", max_length=10, db_index=True, choices=[
                                  ("pending", "Waiting for a decision"), ("mine", "The phone's value kept"),
                                  ("theirs", "The server's value kept")])),
        migrations.AddField(model_name="syncconflict", name="base", field=models.TextField(blank=True)),
        migrations.AddField(model_name="syncconflict", name="edit_uuid",
                            field=models.UUIDField(blank=True, db_index=True, null=True)),
        migrations.AddField(model_name="syncconflict", name="edited_by",
                            field=models.CharField(blank=True, max_length=150)),
        migrations.AddField(model_name="syncconflict", name="household",
                            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="sync_conflicts", to="people.household")),
        migrations.AddField(model_name="syncconflict", name="resident",
                            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                                    related_name="sync_conflicts", to="people.resident")),
        migrations.AddField(model_name="syncconflict", name="resolved_at",
                            field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="syncconflict", name="resolved_by",
                            field=models.CharField(blank=True, max_length=150)),
        migrations.AddField(model_name="syncconflict", name="value", field=models.JSONField(blank=True, null=True)),
    ]
