from django.urls import path

from . import views

urlpatterns = [
    path("app/", views.field_app, name="field_app"),
    path("app/sw.js", views.service_worker, name="app_sw"),
    path("app/manifest.webmanifest", views.manifest, name="app_manifest"),
    path("conflicts/", views.conflicts, name="sync_conflicts"),
    path("devices/<int:pk>/revoke/", views.revoke_device, name="revoke_device"),
]
