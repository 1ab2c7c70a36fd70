"""The audit log of personal data: every create, change and delete — who, when, old -> new.

Models opt in by calling ``register(Model, place_path=callable)``. Single-object saves and deletes
(pages, admin, API, services) are caught by signals; bulk writes (imports, the demo) call
``record_many`` themselves, since Django's bulk operations send no signals.

The actor comes from a context variable: the request middleware sets it for each request, and
``acting_as(...)`` sets it for the CLI and background jobs.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import both

from .models import AuditEntry

_actor: contextvars.ContextVar = contextvars.ContextVar("ngoso_audit_actor", default=None)
_REGISTRY: dict[type, Callable[[models.Model], str]] = {}
_ERASED = _("erased")


def __getattr__(name: str) -> str:
    """``ERASED``: the marker written in place of what an erasure removes, "[đã xoá / erased]" — stored data, so
    in both languages from the one msgid; made when read (translations cannot load while this is imported)."""
    if name == "ERASED":
        return f"[{both(_ERASED)}]"
    raise AttributeError(name)


@contextlib.contextmanager
def acting_as(actor):
    """Attribute audit entries in this block to ``actor``: a User, or a string like ``"system:import"``."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(actor):
    return _actor.set(actor)


def reset_actor(token) -> None:
    _actor.reset(token)


def _actor_fields() -> dict:
    actor = _actor.get()
    if actor is None:
        return {"user": None, "actor": "system"}
    if isinstance(actor, str):
        return {"user": None, "actor": actor}
    if getattr(actor, "is_authenticated", False):
        return {"user": actor, "actor": actor.get_username()}
    return {"user": None, "actor": "anonymous"}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime, decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def snapshot(instance: models.Model) -> dict:
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in ("search_name", "phone_digits") or getattr(field, "auto_now", False):
            continue  # derived columns and timestamps: they change only when their source does
        data[field.attname] = _plain(getattr(instance, field.attname))
    return data


def register(model: type, place_path: Callable[[models.Model], str]) -> None:
    _REGISTRY[model] = place_path
    uid = f"ngoso-audit-{model._meta.label}"
    pre_save.connect(_pre_save, sender=model, dispatch_uid=uid + "-pre")
    post_save.connect(_post_save, sender=model, dispatch_uid=uid + "-post")
    post_delete.connect(_post_delete, sender=model, dispatch_uid=uid + "-del")


def _pre_save(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._audit_old = None
        return
    old = sender._base_manager.filter(pk=instance.pk).first()
    instance._audit_old = snapshot(old) if old is not None else None


def _post_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    new = snapshot(instance)
    if created or getattr(instance, "_audit_old", None) is None:
        changes = {k: [None, v] for k, v in new.items() if v not in (None, "") and k != "id"}
        action = AuditEntry.Action.CREATE
    else:
        old = instance._audit_old
        changes = {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}
        if not changes:
            return
        action = AuditEntry.Action.UPDATE
    _write(action, instance, changes)


def _post_delete(sender, instance, **kwargs):
    if getattr(instance, "_audit_skip", False):
        return
    changes = {k: [v, None] for k, v in snapshot(instance).items() if v not in (None, "") and k != "id"}
    _write(AuditEntry.Action.DELETE, instance, changes)


def _place_path(instance) -> str:
    for model, fn in _REGISTRY.items():
        if isinstance(instance, model):
            try:
                return fn(instance) or ""
            except Exception:  # noqa: BLE001 - a dangling relation must never block the write it audits
                return ""
    return ""


def _write(action, instance, changes: dict, **extra) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action,
        model=instance._meta.label,
        object_pk=str(instance.pk or ""),
        object_repr=str(instance)[:200],
        place_path=_place_path(instance),
        changes=changes,
        **_actor_fields(),
        **extra,
    )


def record(action: str, instance: models.Model, changes: dict | None = None) -> AuditEntry:
    """Write one entry by hand (exports, erasure, subject access)."""
    return _write(action, instance, changes or {})


def record_event(action: str, model_label: str, place_path: str, summary: dict, object_repr: str = "") -> AuditEntry:
    """An entry about a set of records (an export of an area, an import file)."""
    return AuditEntry.objects.create(
        action=action, model=model_label, object_pk="", object_repr=object_repr[:200],
        place_path=place_path, changes=summary, **_actor_fields(),
    )


def record_many(action: str, instances: Iterable[models.Model], batch_size: int = 2000) -> int:
    """One entry per object for bulk writes, in batches."""
    fields = _actor_fields()
    entries = []
    n = 0
    for obj in instances:
        changes = {k: [None, v] for k, v in snapshot(obj).items() if v not in (None, "") and k != "id"}
        entries.append(AuditEntry(
            action=action, model=obj._meta.label, object_pk=str(obj.pk or ""), object_repr=str(obj)[:200],
            place_path=_place_path(obj), changes=changes, **fields,
        ))
        if len(entries) >= batch_size:
            AuditEntry.objects.bulk_create(entries)
            n += len(entries)
            entries = []
    if entries:
        AuditEntry.objects.bulk_create(entries)
        n += len(entries)
    return n


def scrub(model_label: str, object_pk: str) -> int:
    """Erase the personal values kept in earlier entries about one object (right to erasure)."""
    n, erased = 0, __getattr__("ERASED")
    for entry in AuditEntry.objects.filter(model=model_label, object_pk=str(object_pk)):
        entry.changes = {k: [erased if o not in (None, "") else o, erased if v not in (None, "") else v]
                         for k, (o, v) in entry.changes.items()}
        entry.object_repr = erased
        entry.save(update_fields=["changes", "object_repr"])
        n += 1
    return n


# --- erasure: every entry about the person, of every audited model ---------------------------------------------

def doomed(instance: models.Model) -> dict[str, set[str]]:
    """Every object deleting ``instance`` deletes with it (its cascades), as {model label: {pk}}. Called before
    the delete: afterwards the cascaded rows and their ids are gone, their audit entries are not."""
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(instance)), origin=instance)
    collector.collect([instance])
    out: dict[str, set[str]] = {}
    for model, objs in collector.data.items():
        out.setdefault(model._meta.label, set()).update(str(o.pk) for o in objs)
    for qs in collector.fast_deletes:
        out.setdefault(qs.model._meta.label, set()).update(str(pk) for pk in qs.values_list("pk", flat=True))
    return out


def about(model: type, pk) -> dict[str, set[str]]:
    """Objects of every audited model whose entries name ``model`` #``pk`` through a foreign key, including
    objects deleted long ago (a poverty review removed last year still has entries holding the income)."""
    from django.db.models import Q

    out: dict[str, set[str]] = {}
    for audited in _REGISTRY:
        for field in audited._meta.concrete_fields:
            if not field.is_relation or field.related_model is None or not issubclass(model, field.related_model):
                continue
            key = field.attname
            pks = AuditEntry.objects.filter(model=audited._meta.label).filter(
                Q(**{f"changes__{key}__0": pk}) | Q(**{f"changes__{key}__1": pk})).values_list("object_pk", flat=True)
            found = {p for p in pks if p}
            if found:
                out.setdefault(audited._meta.label, set()).update(found)
    return out


def scrub_all(*groups: dict[str, set[str]]) -> int:
    """``scrub`` every object of the given {model label: {pk}} maps; returns the entries scrubbed."""
    n = 0
    merged: dict[str, set[str]] = {}
    for g in groups:
        for label, pks in g.items():
            merged.setdefault(label, set()).update(pks)
    for label, pks in merged.items():
        for pk in sorted(pks):
            n += scrub(label, pk)
    return n
