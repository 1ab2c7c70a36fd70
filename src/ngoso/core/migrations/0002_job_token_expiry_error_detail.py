"""Jobs get an unguessable address (token), an expiry for their file and a staff-only error detail."""

import secrets

from django.db import migrations, models

import ngoso.core.models


def fill_tokens(apps, schema_editor):
    Job = apps.get_model("core", "Job")
    for pk in Job.objects.values_list("pk", flat=True):
        Job.objects.filter(pk=pk).update(token=secrets.token_urlsafe(24))


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="error_detail",
            field=models.TextField(blank=True, help_text="The traceback, for staff in the admin only."),
        ),
        migrations.AlterField(
            model_name="job",
            name="error",
            field=models.TextField(blank=True, help_text="What the user is told (Vietnamese / English)."),
        ),
        migrations.AddField(
            model_name="job",
            name="expires_at",
            field=models.DateTimeField(blank=True, db_index=True, help_text="The file is deleted at this time (exports).",
                                       null=True),
        ),
        migrations.AddField(
            model_name="job",
            name="token",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="job",
            name="token",
            field=models.CharField(default=ngoso.core.models.new_token, editable=False, max_length=64, unique=True),
        ),
    ]
