# PlaceCounter and CounterState now belong to insights (same tables): state only, no data moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("visits", "0001_initial"),
        ("insights", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="PlaceCounter"),
                migrations.DeleteModel(name="CounterState"),
            ],
            database_operations=[],
        ),
    ]
