from django.urls import path

from . import views

urlpatterns = [
    path("places/<str:code>/", views.place_detail, name="place"),
]
