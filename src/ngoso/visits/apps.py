from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "ngoso.visits"
    label = "visits"
    verbose_name = "Thăm hộ và kỹ năng / Visits and skills"

    def ready(self):
        from ngoso.accounts import audit

        from .models import Assignment

        audit.register(Assignment, lambda a: a.household.village.path)

        from ngoso.core import changes

        from . import hooks

        changes.connect(changes.PEOPLE, hooks.people_changed)
        changes.connect(changes.SUBJECT_DATA, hooks.subject_data)
