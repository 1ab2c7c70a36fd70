from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="devicetoken",
            name="device_key",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
    ]
