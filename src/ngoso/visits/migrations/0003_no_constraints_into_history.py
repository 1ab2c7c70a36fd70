# Issue 20: visits and skill records are partitioned on PostgreSQL; no foreign key may point into them (decision 0020).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('visits', '0002_counters_moved_to_insights'),
    ]

    operations = [
        migrations.AlterField(
            model_name='skillrecord',
            name='supersedes',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='superseded_by', to='visits.skillrecord'),
        ),
        migrations.AlterField(
            model_name='skillrecord',
            name='visit',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='skill_records', to='visits.visit'),
        ),
        migrations.AlterField(
            model_name='visit',
            name='corrects',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text="A correction of an earlier visit's note or next date.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='corrections', to='visits.visit'),
        ),
    ]
