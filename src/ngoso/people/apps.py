from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "ngoso.people"
    label = "people"
    verbose_name = "Hộ gia đình và người dân / Households and residents"

    def ready(self):
        from ngoso.accounts import audit

        from .models import Consent, Household, Resident

        audit.register(Household, lambda h: h.village.path)
        audit.register(Resident, lambda r: r.household.village.path)
        audit.register(Consent, lambda c: c.resident.household.village.path)

        from . import io  # noqa: F401 - registers the import and export job handlers (core.jobs)
        from . import tasks  # noqa: F401 - the nightly duplicate scan on the schedule (core.jobs)
