from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "ngoso.sync"
    label = "sync"
    verbose_name = "Đồng bộ ứng dụng thực địa / Field app sync"
