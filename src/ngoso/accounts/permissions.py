"""Write permissions, declared once on each model and answered by one function.

Reads go through ``accounts.scope.scoped``. Writes go through ``can(user, action, obj_or_model)``:

- each model that holds personal data (or is written by people in an area) declares, beside its
  ``SCOPE_PATH``, which roles may do what::

      WRITE_ROLES = {"create": {...}, "change": {...}, "delete": {...}}

  with any further action the model needs (``"import"`` a whole spreadsheet, ``"approve"`` a story or a
  bulletin). An action a model does not declare is allowed to nobody (deny by default);
- ``can`` says yes when the user's role is declared for the action (superusers pass the role check, as
  Django's ``has_perm`` does) **and**, given an object, the object lies in the user's area by the same
  rule ``scoped`` applies (its ``SCOPE_PATH`` followed on the object, saved or not yet saved). Given a
  model instead, only the role is checked: the caller scopes each object (a batch through ``scoped``);
- a rule that depends on the object itself beyond its area (an approved bulletin is archived only by those who
  approve; a user is made, or given a password, only by someone who may give that user's role) is the model's
  method ``write_refusal(user, action)``, beside ``WRITE_ROLES``: the reason as a ``Message``, or None. ``can``
  asks it after the role and the area, ``require`` says its reason;
- ``require`` is ``can`` that raises ``PermissionDenied`` with a message saying who may not do what, and
  where (Vietnamese first, gettext).

Every service that writes calls ``require`` (or ``can``); pages, the API, the sync, the CLI and the admin
reach the writes only through those services, so they all answer alike. ``tests/accounts/test_permissions.py`` walks
the whole matrix; ``docs/ARCHITECTURE.md`` shows it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ngoso.core.messages import Message

from .models import Role
from .scope import path_in_scope, scope_path_of

P, C, R, L, M, V = (Role.PROVINCE_ADMIN, Role.COMMUNE_STAFF, Role.RADIO_OPERATOR, Role.TEAM_LEADER, Role.MEMBER,
                    Role.VIEWER)
# Role sets the declarations share (the same names as the capabilities of ``accounts.models.ROLE_PERMISSIONS``).
PROVINCE = frozenset({P})                 # province-wide content: lessons, the farming library
STAFF = frozenset({P, C})                 # import, erase, approve
TEAM_MANAGERS = frozenset({P, C, L})      # assign households, manage teams
FIELD = frozenset({L, M})                 # record visits and skills
EDITORS = frozenset({P, C, L, M})         # correct people's records
RADIO = frozenset({P, C, R})              # write and send bulletins


def write_roles(model, action: str) -> frozenset[str]:
    """The roles ``model`` declares for ``action`` (empty: nobody)."""
    try:
        declared = model.WRITE_ROLES
    except AttributeError as exc:  # a programming error, never a user error
        raise TypeError(f"{model.__name__} declares no WRITE_ROLES") from exc
    return frozenset(declared.get(action, ()))


def path_of(obj) -> str | None:
    """The place path of an object, saved or not, by following its model's ``SCOPE_PATH``."""
    value = obj
    for part in scope_path_of(type(obj)).split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _model(obj_or_model):
    return obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)


def has_role(user, model, action: str) -> bool:
    """Is ``user``'s role one ``model`` declares for ``action`` (superusers: yes)? The role part of ``can``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.role in write_roles(model, action)


def _in_area(user, obj) -> bool:
    """Does ``obj`` lie in the user's area (objects of models without ``SCOPE_PATH``: yes)?"""
    if not hasattr(type(obj), "SCOPE_PATH"):
        return True
    path = path_of(obj)
    return path is not None and path_in_scope(user, path)


def _refusal(user, action: str, obj):
    """The object's own reason to refuse (``write_refusal``, declared beside ``WRITE_ROLES``), or None."""
    check = getattr(obj, "write_refusal", None)
    return check(user, action) if check is not None else None


def can(user, action: str, obj_or_model) -> bool:
    """May ``user`` do ``action`` to this object (role, area, the object's own rule), or to this model at all
    (role only)?"""
    if not has_role(user, _model(obj_or_model), action):
        return False
    if isinstance(obj_or_model, type):
        return True
    return _in_area(user, obj_or_model) and _refusal(user, action, obj_or_model) is None


def require(user, action: str, obj_or_model) -> None:
    """``can``, or ``PermissionDenied`` saying who may not do what, and where (a ``core.messages.Message``:
    pages show it in the user's language, the API, the sync and the CLI in both)."""
    model = _model(obj_or_model)
    what = _what(model)
    verb = _verb(action)
    if not has_role(user, model, action):
        if user is None or not getattr(user, "is_authenticated", False):
            raise PermissionDenied(Message(_("Log in to %(action)s %(what)s."), action=verb, what=what))
        role = _("administrator") if user.is_superuser else Role(user.role).label if user.role in Role.values \
            else user.role
        raise PermissionDenied(Message(_("Your role (%(role)s) may not %(action)s %(what)s."), role=role,
                                       action=verb, what=what))
    if isinstance(obj_or_model, type):
        return
    if not _in_area(user, obj_or_model):
        area = user.place.name if user.place_id else _("no area")
        raise PermissionDenied(Message(_("You may not %(action)s this %(what)s: it is outside your area (%(area)s)."),
                                       action=verb, what=what, area=area))
    refusal = _refusal(user, action, obj_or_model)
    if refusal is not None:
        raise PermissionDenied(refusal)


def require_across(user, village_a, village_b, doing) -> None:
    """An action joining records of two villages (a merge, a person moving in from another village): within one
    village the model's own rule decides; across villages of a commune it needs commune staff (or province);
    across communes, province staff. ``PermissionDenied`` saying why not; ``doing`` names the action (a lazy
    msgid: ``_("Merging records")``)."""
    if user.is_superuser or village_a.pk == village_b.pk:
        return
    if village_a.parent_id != village_b.parent_id:
        if user.role != Role.PROVINCE_ADMIN:
            raise PermissionDenied(Message(_("%(doing)s of two communes needs province staff"),
                                           doing=doing))
    elif user.role not in (Role.PROVINCE_ADMIN, Role.COMMUNE_STAFF):
        raise PermissionDenied(Message(_("%(doing)s of two villages needs commune staff"), doing=doing))


def _verb(action: str):
    return pgettext_lazy("permission action", action)


def _what(model):
    """The model's name as users say it (translated, or from the "permission object" context of the catalogue
    for models whose ``verbose_name`` is not marked for translation)."""
    name = model._meta.verbose_name
    return name if not isinstance(name, str) else pgettext_lazy("permission object", name)


def declared_models() -> list:
    """Every installed model that declares ``WRITE_ROLES`` (for the docs and the tests)."""
    from django.apps import apps

    return [m for m in apps.get_models() if "WRITE_ROLES" in vars(m)]
