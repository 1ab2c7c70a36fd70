from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "ngoso.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.core import jobs, partitions

        from .scope import can_see_path

        jobs.area_check(can_see_path)  # who may open a job: the area part (core knows no area)

        # partitioned by year on PostgreSQL (migration 0002); kept for ever (docs/operations.md)
        partitions.register("accounts_auditentry", "at", partitions.YEAR)
