from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RadioConfig(AppConfig):
    name = "ngoso.radio"
    label = "radio"
    verbose_name = _("Smart radio")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.core import partitions

        # partitioned by month on PostgreSQL (migration 0005), archived after NGOSO_PLAYLOG_RETENTION_MONTHS
        partitions.register("radio_playlog", "received_at", partitions.MONTH,
                            retention_setting="PLAYLOG_RETENTION_MONTHS")
        from ngoso.accounts import audit

        from .models import Bulletin, Emergency, LocalAbbreviation, Programme, SpeakerCluster

        audit.register(SpeakerCluster, lambda c: c.place.path)
        audit.register(Bulletin, lambda b: b.place.path)
        audit.register(Programme, lambda p: p.place.path)
        audit.register(Emergency, lambda e: e.place.path)
        audit.register(LocalAbbreviation, lambda a: a.place.path)

        from . import tasks  # noqa: F401 - job handlers and periodic checks (core.jobs)
