from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('radio', '0003_command_withdraw'),
    ]

    operations = [
        migrations.AddField(
            model_name='speakercluster',
            name='last_seq',
            field=models.PositiveIntegerField(default=0),
        ),
    ]
