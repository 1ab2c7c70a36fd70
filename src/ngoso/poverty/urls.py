from django.urls import path

from . import views

urlpatterns = [
    path("places/<str:code>/access/", views.access_page, name="access"),
    path("places/<str:code>/access.xlsx", views.access_xlsx, name="access_xlsx"),
    path("places/<str:code>/poverty/", views.poverty_page, name="poverty"),
    path("places/<str:code>/poverty.xlsx", views.poverty_xlsx, name="poverty_xlsx"),
    path("import/<slug:kind>/", views.import_page, name="import_kind"),
]
