from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.db.models.signals import post_migrate


def _load_articles(**kwargs):
    from .services import load_starter_articles

    load_starter_articles()


class LivelihoodsConfig(AppConfig):
    name = "ngoso.livelihoods"
    label = "livelihoods"
    verbose_name = _("Digital livelihoods")

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.accounts import audit
        from ngoso.core import changes
        from ngoso.insights import providers

        from . import hooks
        from .models import (ArticleSend, OnlineChannel, Producer, Product, PublicConsent, SuccessStory)

        audit.register(Producer, lambda p: p.household.village.path)
        audit.register(Product, lambda p: p.producer.household.village.path)
        audit.register(OnlineChannel, lambda c: c.producer.household.village.path)
        audit.register(PublicConsent, lambda c: c.resident.household.village.path)
        audit.register(ArticleSend, lambda s: s.household.village.path)
        audit.register(SuccessStory, lambda s: s.resident.household.village.path)
        changes.connect(changes.SUBJECT_DATA, hooks.subject_data)
        # the dashboard's livelihood figures are cached until one of these changes
        from django.db.models.signals import post_delete, post_save

        from ngoso.people.models import Household

        from .indicators import livelihood_figures, report_tables

        providers.register("livelihoods", livelihood_figures, report=report_tables,
                           template="livelihoods/dashboard_section.html")
        touch = providers.touch

        for model in (Producer, OnlineChannel, SuccessStory, Household):
            post_save.connect(touch, sender=model, dispatch_uid=f"livelihoods-figures-save-{model.__name__}")
            post_delete.connect(touch, sender=model, dispatch_uid=f"livelihoods-figures-del-{model.__name__}")
        changes.connect(changes.PEOPLE, touch)
        post_migrate.connect(_load_articles, sender=self, dispatch_uid="ngoso-livelihoods-articles")
