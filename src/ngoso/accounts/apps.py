from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ngoso.accounts"
    label = "accounts"
    verbose_name = "Tài khoản / Accounts"
