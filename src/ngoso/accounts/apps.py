from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ngoso.accounts"
    label = "accounts"
    verbose_name = "Tài khoản / Accounts"

    def ready(self):
        from ngoso.core import partitions

        # partitioned by year on PostgreSQL (migration 0002); kept for ever (docs/operations.md)
        partitions.register("accounts_auditentry", "at", partitions.YEAR)
