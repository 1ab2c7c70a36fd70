from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    name = "ngoso.sync"
    label = "sync"
    verbose_name = _("Field app sync")

    def ready(self):
        from ngoso.accounts import audit

        from .models import SyncConflict

        audit.register(SyncConflict, lambda c: c.place_path)  # who resolved which conflict, and how
        from ngoso.core import changes

        from . import services

        changes.connect(changes.SUBJECT_DATA, services.subject_data)  # the person's own copy of their data
