from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.db.models.signals import post_migrate


def _load_reference_data(**kwargs):
    """The skill catalogue is data: (re)loaded after every migrate, idempotently, with the models as they are now."""
    from .services import load_catalogue  # models are not loaded when apps.py is imported

    load_catalogue()


class SkillsConfig(AppConfig):
    name = "ngoso.skills"
    label = "skills"
    verbose_name = _("Digital skills")

    def ready(self):
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="ngoso-skills-reference-data")
