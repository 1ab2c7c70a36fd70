# Issue 20: a play log's received_at (the partition key on PostgreSQL) is kept within RECEIVED_EARLY before and
# RECEIVED_LATE after its scheduled time (radio/services.received_at_for), so the report's query can bound the
# partition key; the logs stored before that are moved to the nearest edge once. Nothing to undo: the reverse keeps
# them where they are.

import datetime

from django.db import migrations
from django.db.models import F

# the values of radio/services.RECEIVED_EARLY and RECEIVED_LATE when this migration was written
EARLY = datetime.timedelta(days=1)
LATE = datetime.timedelta(days=7)


def forwards(apps, schema_editor):
    PlayLog = apps.get_model("radio", "PlayLog")
    logs = PlayLog.objects.using(schema_editor.connection.alias).filter(scheduled_at__isnull=False)
    logs.filter(received_at__gt=F("scheduled_at") + LATE).update(received_at=F("scheduled_at") + LATE)
    logs.filter(received_at__lt=F("scheduled_at") - EARLY).update(received_at=F("scheduled_at") - EARLY)


class Migration(migrations.Migration):

    dependencies = [("radio", "0005_partitioned_playlog")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
