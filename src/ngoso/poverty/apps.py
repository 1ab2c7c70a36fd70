from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PovertyConfig(AppConfig):
    name = "ngoso.poverty"
    label = "poverty"
    verbose_name = _("Access and poverty")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.accounts import audit
        from ngoso.insights import counters, providers

        from . import figures, hooks
        from .models import PovertyReview

        audit.register(PovertyReview, lambda r: r.household.village.path)
        # poverty's figures are counters like every other figure, and a section of the dashboard (issue 15)
        counters.contribute(households=figures.household_counts, villages=figures.village_counts)
        # who sees the section: the poverty pages' own rule, looked up at each call (one function answers both)
        providers.register("poverty", figures.poverty_figures, report=figures.report_tables,
                           visible=lambda user, place: figures.may_see_figures(user, place),
                           template="poverty/dashboard_section.html")
        hooks.listen()
