# FiguresStamp now belongs to insights (same table): state only, no data moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("livelihoods", "0001_initial"),
        ("insights", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="FiguresStamp")],
            database_operations=[],
        ),
    ]
