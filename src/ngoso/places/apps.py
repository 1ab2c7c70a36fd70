from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "ngoso.places"
    label = "places"
    verbose_name = "Địa bàn / Places"
