from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(**kwargs):
    """The 54 ethnic groups are data: (re)loaded after every migrate, idempotently, with the models as they are now."""
    from .services import load_ethnicities  # models are not loaded when apps.py is imported

    load_ethnicities()


class PeopleConfig(AppConfig):
    name = "ngoso.people"
    label = "people"
    verbose_name = "Hộ gia đình và người dân / Households and residents"

    def ready(self):
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="ngoso-people-reference-data")
        from ngoso.accounts import audit

        from .models import Consent, Household, MoveRequest, Resident

        audit.register(Household, lambda h: h.village.path)
        audit.register(Resident, lambda r: r.household.village.path)
        audit.register(MoveRequest, lambda m: m.household.village.path)
        audit.register(Consent, lambda c: c.resident.household.village.path)

        from . import io  # noqa: F401 - registers the import and export job handlers (core.jobs)
        from . import tasks  # noqa: F401 - the nightly duplicate scan on the schedule (core.jobs)
