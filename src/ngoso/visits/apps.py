from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "ngoso.visits"
    label = "visits"
    verbose_name = "Thăm hộ và kỹ năng / Visits and skills"

    def ready(self):
        from ngoso.accounts import audit

        from .models import Assignment

        audit.register(Assignment, lambda a: a.household.village.path)

        from ngoso.people import services as people_services

        from . import hooks

        people_services.PEOPLE_CHANGED_HOOKS.append(hooks.people_changed)
        people_services.SUBJECT_DATA_EXTENSIONS.append(hooks.subject_data)

        from . import tasks  # noqa: F401 - the counters' new-year run on the schedule (core.jobs)
