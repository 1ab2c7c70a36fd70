from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from ngoso.accounts.scope import can_see_place, scoped, within
from ngoso.insights.stats import children_figures, place_figures
from ngoso.people import privacy
from ngoso.people.models import Household
from ngoso.core.text import street_order, vi_order

from .models import Level, Place


@login_required
def place_detail(request, code):
    place = get_object_or_404(Place.objects.select_related("type", "parent", "former_parent"), code=code)
    if not can_see_place(request.user, place):
        raise PermissionDenied
    user_root = request.user.place
    crumbs = [p for p in place.ancestors() if user_root is None or p.path.startswith(user_root.path)]
    context = {"place": place, "crumbs": crumbs, "stats": place_figures(place), "can_export": request.user.can("export")}
    if place.level == Level.VILLAGE:
        context["page"] = None  # radio operators hold no personal data: no household list (decision 0007)
    if place.level == Level.VILLAGE and privacy.may_open_people(request.user):
        households = within(scoped(Household.objects.all(), request.user), place) \
            .prefetch_related("residents").order_by(*street_order())
        context["page"] = Paginator(households, 50).get_page(request.GET.get("page"))
        responsible = set() if privacy.role_fields(request.user) else set(
            Household.objects.filter(id__in=privacy.responsible_household_ids(request.user)).values_list("id", flat=True))
        for hh in context["page"]:
            hh.see_poverty = "poverty" in privacy.visible_fields(request.user, hh, responsible=hh.pk in responsible)
    elif place.level != Level.VILLAGE:
        children = list(Place.objects.filter(parent=place).select_related("type").order_by(vi_order("name"), "code"))
        if not place.is_current:
            children += list(Place.objects.formerly_under(place).filter(former_parent=place)
                             .select_related("type", "parent"))
            children = [c for c in children if can_see_place(request.user, c)]
        counts = children_figures(children)
        for child in children:
            child.counts = counts[child.pk]
        if not place.is_current and place.level == Level.COMMUNE:
            context["successors"] = [s.successor for s in place.successions.select_related("successor")]
        context["children"] = children
    if place.is_current and place.level == Level.COMMUNE:
        context["predecessors"] = [s.predecessor for s in place.predecessions.select_related("predecessor")]
    return render(request, "places/place.html", context)
