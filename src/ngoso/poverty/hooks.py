"""What moves poverty's village counters: reviews, access sites, village surveys and smart-radio clusters, however
they are written (the services, an import, the admin, the radio's pages). Each save or delete announces its
village, and the one it left, as ``core.changes.VILLAGES`` in the writer's transaction; an import announces each
village once (``batch``), leaving out those its writer already announced (``announced``)."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.db.models.signals import post_delete, post_save, pre_save

from ngoso.core import changes
from ngoso.places.models import Level, Place

_pending: contextvars.ContextVar[set | None] = contextvars.ContextVar("poverty_villages_pending", default=None)


@contextmanager
def batch():
    """Announce the villages of the writes inside once, at the end (an import of many sites)."""
    token = _pending.set(set())
    try:
        yield
        villages = _pending.get()
    finally:
        _pending.reset(token)
    if villages:
        changes.send(changes.VILLAGES, village_ids=villages)


# per model: its village field, then the fields the figures read (a save changing none of them announces nothing:
# a cluster's token or volume, a site's name)
WATCHED = {"SpeakerCluster": ("place_id", "active"), "AccessSite": ("village_id", "kind", "status", "technology"),
           "VillageSurvey": ("village_id", "mobile")}


def announced(village_ids) -> None:
    """Inside ``batch``: these villages were recounted already (``PEOPLE``), leave them out at the end."""
    pending = _pending.get()
    if pending is not None:
        pending.difference_update(village_ids)


def _village_field(sender) -> str:
    return WATCHED[sender.__name__][0]


def _values(sender, instance) -> tuple:
    return tuple(getattr(instance, f) for f in WATCHED[sender.__name__])


def _villages_only(ids) -> set[int]:
    ids = {i for i in ids if i}
    return set(Place.objects.filter(pk__in=ids, level=Level.VILLAGE).values_list("pk", flat=True)) if ids else set()


def _announce(ids) -> None:
    villages = _villages_only(ids)
    if not villages:
        return
    pending = _pending.get()
    if pending is not None:
        pending |= villages
    else:
        changes.send(changes.VILLAGES, village_ids=villages)


def _before_save(sender, instance, raw=False, update_fields=None, **_):
    fields = WATCHED[sender.__name__]
    names = set(fields) | {f.removesuffix("_id") for f in fields}
    if raw or instance.pk is None or (update_fields is not None and not names & set(update_fields)):
        return
    instance._poverty_was = sender.objects.filter(pk=instance.pk).values_list(*fields).first()


def _saved(sender, instance, raw=False, created=False, **_):
    if raw:
        return
    was = instance.__dict__.pop("_poverty_was", None)
    now = _values(sender, instance)
    if created or (was is not None and was != now):
        _announce({now[0], was[0] if was else None})


def _deleted(sender, instance, **_):
    _announce({getattr(instance, _village_field(sender))})


def _review_written(sender, instance, raw=False, **_):
    if not raw:
        from ngoso.people.models import Household

        _announce(set(Household.objects.filter(pk=instance.household_id).values_list("village_id", flat=True)))


def listen() -> None:
    from ngoso.radio.models import SpeakerCluster

    from .models import AccessSite, PovertyReview, VillageSurvey

    post_save.connect(_review_written, sender=PovertyReview, dispatch_uid="poverty-figures-review-save")
    post_delete.connect(_review_written, sender=PovertyReview, dispatch_uid="poverty-figures-review-delete")

    for model in (AccessSite, VillageSurvey, SpeakerCluster):
        uid = f"poverty-figures-{model.__name__}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_saved, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"{uid}-delete")
