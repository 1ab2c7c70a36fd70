from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyConfig(AppConfig):
    name = "ngoso.poverty"
    label = "poverty"
    verbose_name = _("Access and poverty")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.accounts import audit

        from .models import PovertyReview

        audit.register(PovertyReview, lambda r: r.household.village.path)
