from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.db.models.signals import post_migrate


def _load_reference_data(**kwargs):
    """The priority factors are data: (re)loaded after every migrate, idempotently, with the models as they are now."""
    from .services import load_priority_factors  # models are not loaded when apps.py is imported

    load_priority_factors()


class VisitsConfig(AppConfig):
    name = "ngoso.visits"
    label = "visits"
    verbose_name = _("Visits and skills")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="ngoso-visits-reference-data")
        from ngoso.core import partitions

        # partitioned by year on PostgreSQL (migration 0004); kept for ever (docs/operations.md)
        partitions.register("visits_visit", "visited_on", partitions.YEAR)
        partitions.register("visits_skillrecord", "observed_on", partitions.YEAR)
        from ngoso.accounts import audit

        from .models import Assignment

        audit.register(Assignment, lambda a: a.household.village.path)

        from ngoso.core import changes

        from . import hooks

        changes.connect(changes.PEOPLE, hooks.people_changed)
        changes.connect(changes.SUBJECT_DATA, hooks.subject_data)
        changes.connect(changes.HOUSEHOLDS_MERGING, hooks.households_merging)
        changes.connect(changes.RESIDENTS_MOVED, hooks.residents_moved)
        changes.connect(changes.REGISTERED, hooks.registered)
        changes.connect(changes.MEMBER_LEFT, hooks.member_left)

        from ngoso.people import privacy

        privacy.answered_for(hooks.households_answered_for)
