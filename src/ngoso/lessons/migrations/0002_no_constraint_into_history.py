# Issue 20: skill records are partitioned on PostgreSQL; no foreign key may point into them (decision 0020).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('lessons', '0001_initial'),
        ('visits', '0003_no_constraints_into_history'),
    ]

    operations = [
        migrations.AlterField(
            model_name='selfcheck',
            name='skill_record',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='self_check', to='visits.skillrecord'),
        ),
    ]
