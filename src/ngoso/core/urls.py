from django.contrib.auth import views as auth_views
from django.urls import path

from ngoso.people import views as people
from ngoso.places import views as places

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("places/<str:code>/", places.place_detail, name="place"),
    path("places/<str:code>/export/", people.export_place, name="export_place"),
    path("households/<str:code>/", people.household_detail, name="household"),
    path("residents/<uuid:uuid>/", people.resident_detail, name="resident"),
    path("residents/<uuid:uuid>/data.json", people.resident_data, name="resident_data"),
    path("residents/<uuid:uuid>/erase/", people.resident_erase, name="resident_erase"),
    path("search/", people.search, name="search"),
    path("import/", people.import_page, name="import"),
    path("import/template.xlsx", people.import_template, name="import_template"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/status.json", views.job_status, name="job_status"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
