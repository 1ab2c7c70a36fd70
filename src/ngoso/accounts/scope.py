"""The one scoping function: every query on personal data goes through ``scoped``.

A user is bound to a place and sees that place's subtree, nothing else. Each scoped model declares
``SCOPE_PATH``: the lookup from the model to a materialised place path (``"village__path"`` for a
household). Superusers see everything; a user with no place sees nothing.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _

from ngoso.places.models import Place, PlaceSuccession, subtree_range


def scope_path_of(model) -> str:
    try:
        return model.SCOPE_PATH
    except AttributeError as exc:  # a programming error, never a user error
        raise TypeError(f"{model.__name__} declares no SCOPE_PATH and cannot be scoped") from exc


def scoped(queryset: models.QuerySet, user) -> models.QuerySet:
    """Limit ``queryset`` to what ``user`` may see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_superuser and user.place_id is None:
        return queryset
    if user.place_id is None:
        return queryset.none()
    return within(queryset, user.place)


def path_in_scope(user, path: str) -> bool:
    """Is a row at place ``path`` one ``scoped(…, user)`` keeps? The same rule, for one object (saved or not)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser and user.place_id is None:
        return True
    if user.place_id is None:
        return False
    low, high = subtree_range(user.place.path)
    return low <= path < high


def within(queryset: models.QuerySet, place: Place) -> models.QuerySet:
    """Limit ``queryset`` to rows under ``place`` (inclusive); no user check.

    Under a former unit (dissolved in a reform) "under" means under it in the old tree: villages are
    matched by ``former_path``, so 2023 figures can be rolled up by the districts and communes of 2023.
    """
    field = scope_path_of(queryset.model)
    if not place.is_current:
        field = field[: -len("path")] + "former_path"
    low, high = subtree_range(place.path)
    return queryset.filter(**{f"{field}__gte": low, f"{field}__lt": high})


def can_see_path(user, path: str) -> bool:
    """``can_see_place`` for the place at ``path`` (False when there is none): core's jobs ask it
    (``core.jobs.area_check``, registered in ``AccountsConfig.ready``)."""
    place = Place.objects.filter(path=path).first()
    return place is not None and can_see_place(user, place)


def can_see_place(user, place: Place) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser and user.place_id is None:
        return True
    if user.place_id is None:
        return False
    if place.path.startswith(user.place.path):
        return True
    if not place.is_current:
        # A unit dissolved in the 2025 reform is visible to those whose area took over part of it;
        # what they see inside it is still limited to their own subtree by ``scoped``.
        low, high = subtree_range(user.place.path)
        return (Place.objects.formerly_under(place).filter(path__gte=low, path__lt=high).exists()
                or PlaceSuccession.objects.filter(predecessor=place, successor__path__gte=low,
                                                  successor__path__lt=high).exists())
    return False


def get_scoped_or_404(queryset: models.QuerySet, user, **lookup):
    from django.shortcuts import get_object_or_404

    return get_object_or_404(scoped(queryset, user), **lookup)


def require(user, permission: str) -> None:
    if not (user and user.is_authenticated and user.can(permission)):
        from .models import CAPABILITY_LABELS

        what = CAPABILITY_LABELS.get(permission)
        role = user.get_role_display() if user and user.is_authenticated else ""
        if what is None or not role:
            raise PermissionDenied(_("Your role may not do this."))
        raise PermissionDenied(_("Your role (%(role)s) may not %(what)s.") % {"role": role, "what": what})
