from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """Every counter, dashboard structure, figure and export of figures. Reads the other apps; writes only its
    own tables; other apps add their figures as providers (``providers.register``) and tell it what changed
    through ``ngoso.core.changes``."""

    name = "ngoso.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self):
        from . import counters, tasks  # noqa: F401 - tasks: the counters' schedule and the dashboard PDF job (core.jobs)

        counters.listen()
