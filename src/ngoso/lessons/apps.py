from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.db.models.signals import post_migrate


def load_lessons(**kwargs):
    from .services import load_package_lessons

    load_package_lessons()


class LessonsConfig(AppConfig):
    name = "ngoso.lessons"
    label = "lessons"
    verbose_name = _("Lessons")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.accounts import audit

        from . import tasks  # noqa: F401 - handouts and read-aloud on the queue (core.jobs)
        from .models import LessonVersion, SelfCheck

        audit.register(LessonVersion, lambda v: "")
        audit.register(SelfCheck, lambda s: s.resident.household.village.path)
        post_migrate.connect(load_lessons, sender=self, dispatch_uid="ngoso-lessons")
