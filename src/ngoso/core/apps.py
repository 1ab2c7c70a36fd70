from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The kernel: jobs, XLSX, snapshots, cleaning, text helpers, navigation. It imports no domain app; each app
    loads its own reference data after ``migrate`` (its ``AppConfig.ready``)."""

    name = "ngoso.core"
    label = "core"
    verbose_name = "Ngõ Số"

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.core import plurals

        plurals.apply()
