from django.urls import path

from . import views

urlpatterns = [
    path("places/<str:code>/dashboard/", views.place_dashboard, name="dashboard"),
    path("places/<str:code>/dashboard.xlsx", views.place_dashboard_xlsx, name="dashboard_xlsx"),
    path("places/<str:code>/dashboard.pdf", views.place_dashboard_pdf, name="dashboard_pdf"),
]
