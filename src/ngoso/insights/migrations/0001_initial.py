# The models moved here from visits and livelihoods with their tables (Meta.db_table): state only, no data moves.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("places", "0001_initial"),
        ("visits", "0001_initial"),
        ("livelihoods", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CounterState",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("year", models.PositiveSmallIntegerField()),
                        ("rebuilt_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={"db_table": "visits_counterstate"},
                ),
                migrations.CreateModel(
                    name="FiguresStamp",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("token", models.CharField(default="", max_length=32)),
                    ],
                    options={"db_table": "livelihoods_figuresstamp"},
                ),
                migrations.CreateModel(
                    name="PlaceCounter",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("key", models.CharField(max_length=60)),
                        ("value", models.BigIntegerField(default=0)),
                        ("place", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                                    to="places.place")),
                    ],
                    options={
                        "db_table": "visits_placecounter",
                        "constraints": [models.UniqueConstraint(fields=("place", "key"),
                                                                name="place_counter_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
