"""Panels that the household and resident pages include: ``{% load livelihoods %}{% livelihoods_household hh %}``."""

from django import template
from ngoso.accounts.scope import scoped

register = template.Library()


@register.inclusion_tag("livelihoods/household_panel.html", takes_context=True)
def livelihoods_household(context, hh):
    from .. import services
    from ..models import ArticleSend

    user = context["request"].user
    return {"hh": hh, "producers": list(hh.producers.all()), "can_edit": services.can_edit(user),
            "sends": scoped(ArticleSend.objects.filter(household=hh).select_related("article", "sent_by"), user)[:20]}


@register.inclusion_tag("livelihoods/resident_panel.html", takes_context=True)
def livelihoods_resident(context, r):
    from .. import services

    user = context["request"].user
    return {"r": r, "stories": list(r.stories.all()), "can_edit": services.can_edit(user)}
