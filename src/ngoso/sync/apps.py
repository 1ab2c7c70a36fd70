from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "ngoso.sync"
    label = "sync"
    verbose_name = "Đồng bộ ứng dụng thực địa / Field app sync"

    def ready(self):
        from ngoso.accounts import audit

        from .models import SyncConflict

        audit.register(SyncConflict, lambda c: c.place_path)  # who resolved which conflict, and how
        from ngoso.core import changes

        from . import services

        changes.connect(changes.SUBJECT_DATA, services.subject_data)  # the person's own copy of their data
