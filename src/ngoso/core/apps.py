from django.apps import AppConfig
from django.db.models.signals import post_migrate


def load_reference_data(**kwargs):
    """Catalogues are data: place types, the 54 ethnic groups and the skill catalogue are (re)loaded after
    every migrate, idempotently, with the models as they are now (so no data migration goes stale)."""
    from ngoso.people.services import load_ethnicities
    from ngoso.places.services import load_place_types
    from ngoso.skills.services import load_catalogue

    load_place_types()
    load_ethnicities()
    load_catalogue()
    from ngoso.visits.services import load_priority_factors

    load_priority_factors()


class CoreConfig(AppConfig):
    name = "ngoso.core"
    label = "core"
    verbose_name = "Ngõ Số"

    def ready(self):
        from ngoso.core import plurals

        plurals.apply()
        post_migrate.connect(load_reference_data, sender=self, dispatch_uid="ngoso-reference-data")
