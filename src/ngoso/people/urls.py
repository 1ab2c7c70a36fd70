from django.urls import path

from . import moves, views

urlpatterns = [
    path("places/<str:code>/export/", views.export_place, name="export_place"),
    path("households/<str:code>/", views.household_detail, name="household"),
    path("residents/<uuid:uuid>/", views.resident_detail, name="resident"),
    path("residents/<uuid:uuid>/data.json", views.resident_data, name="resident_data"),
    path("residents/<uuid:uuid>/erase/", views.resident_erase, name="resident_erase"),
    path("search/", views.search, name="search"),
    path("moves/", moves.move_requests, name="move_requests"),
    path("moves/new/", moves.move_new, name="move_new"),
    path("moves/<int:pk>/", moves.move_complete, name="move_complete"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
