from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.db.models.signals import post_migrate


def _load_reference_data(**kwargs):
    """The catalogue of place types is data: (re)loaded after every migrate, idempotently, with the models as they are now."""
    from .services import load_place_types  # models are not loaded when apps.py is imported

    load_place_types()


class PlacesConfig(AppConfig):
    name = "ngoso.places"
    label = "places"
    verbose_name = _("Places")

    def ready(self):
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="ngoso-places-reference-data")
