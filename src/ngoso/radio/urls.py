from django.urls import path

from . import device, views

urlpatterns = [
    path("device/v1/register", device.register, name="radio_device_register"),
    path("device/v1/hello", device.hello, name="radio_device_hello"),
    path("device/v1/heartbeat", device.heartbeat, name="radio_device_heartbeat"),
    path("device/v1/programme", device.programme, name="radio_device_programme"),
    path("device/v1/logs", device.logs, name="radio_device_logs"),
    path("device/v1/audio/<str:name>", device.audio, name="radio_device_audio"),
    path("", views.home, name="radio"),
    path("clusters/", views.clusters, name="radio_clusters"),
    path("clusters/new/", views.cluster_new, name="radio_cluster_new"),
    path("clusters/<str:code>/", views.cluster_detail, name="radio_cluster"),
    path("bulletins/", views.bulletins, name="radio_bulletins"),
    path("bulletins/new/", views.bulletin_edit, name="radio_bulletin_new"),
    path("bulletins/preview/", views.preview, name="radio_preview"),
    path("preview.json", views.preview, name="radio_preview_json"),
    path("abbreviations/", views.abbreviations, name="radio_abbreviations"),
    path("abbreviations/<int:pk>/", views.abbreviation_edit, name="radio_abbreviation"),
    path("abbreviations/file.xlsx", views.abbreviations_download, name="radio_abbreviations_file"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="radio_bulletin"),
    path("bulletins/<int:pk>/edit/", views.bulletin_edit, name="radio_bulletin_edit"),
    path("bulletins/<int:pk>/audio/", views.bulletin_audio, name="radio_bulletin_audio"),
    path("programmes/", views.programmes, name="radio_programmes"),
    path("programmes/new/", views.programme_new, name="radio_programme_new"),
    path("programmes/<int:pk>/stop/", views.programme_stop, name="radio_programme_stop"),
    path("emergency/", views.emergency, name="radio_emergency"),
    path("emergency/<int:pk>/stop/", views.emergency_stop, name="radio_emergency_stop"),
    path("alerts/<int:pk>/ack/", views.alert_ack, name="radio_alert_ack"),
    path("reports/", views.reports, name="radio_reports"),
    path("reports/download/", views.report_download, name="radio_report_download"),
]
