from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamsConfig(AppConfig):
    name = "ngoso.teams"
    label = "teams"
    verbose_name = _("Teams")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.accounts import audit

        from .models import Member, Membership

        audit.register(Member, lambda m: m.place.path)
        audit.register(Membership, lambda m: m.team.place.path)
