"""What livelihoods adds to the people app: the person's own copy of their data, and erasure."""

from __future__ import annotations

from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from ngoso.accounts import audit


def subject_data(resident, data: dict, **_) -> None:
    from .models import PublicConsent, SuccessStory

    data["public_consents"] = [
        {"purpose": c.purpose, "given": c.given, "naming": c.naming, "method": c.method, "reference": c.reference,
         "story": str(c.story.uuid) if c.story_id else None, "recorded_at": c.recorded_at.isoformat()}
        for c in PublicConsent.objects.filter(resident=resident).select_related("story")]
    data["success_stories"] = [
        {"title": s.title, "status": s.status, "before": s.before, "change": s.change,
         "income_before": s.income_before, "income_after": s.income_after, "figures": s.figures, "quote": s.quote}
        for s in SuccessStory.objects.filter(resident=resident)]
    data["producers"] = [
        {"name": p.name, "kind": p.kind, "phone": p.phone, "published": p.published,
         "products": [x.name for x in p.products.all()],
         "channels": [{"kind": c.kind, "platform": c.platform, "since": c.since.isoformat()} for c in p.channels.all()]}
        for p in resident.producers.all()]


def _pending(instance) -> list[tuple[str, list[int], list[str]]]:
    return instance.__dict__.setdefault("_livelihoods_erase", [])


def _remember(instance, qs) -> None:
    """Before an erasure deletes ``instance`` (and, by cascade, rows of ours), note their ids and photo files:
    the cascade writes audit entries with their values, which are scrubbed once it is done."""
    pks = list(qs.values_list("pk", flat=True))
    files = []
    if hasattr(qs.model, "photos") and pks:
        fk = qs.model.photos.field  # the photo model's foreign key to this model
        photos = fk.model.objects.filter(**{f"{fk.name}__in": pks})
        files += [f for p in photos for f in (p.file, p.thumb)]  # names in the storage "media"
    _pending(instance).append((qs.model._meta.label, pks, files))


def _scrub(instance) -> None:
    from ngoso.core import files as storage_files

    for label, pks, files in instance.__dict__.pop("_livelihoods_erase", []):
        for pk in pks:
            audit.scrub(label, str(pk))
        for f in files:
            storage_files.delete("media", f)


@receiver(pre_delete, sender="people.Resident", dispatch_uid="livelihoods-erase-resident")
def _resident_erasing(sender, instance, **kwargs):
    from .models import Producer, PublicConsent, SuccessStory

    owned = Producer.objects.filter(person=instance)
    if getattr(instance, "_audit_skip", False):  # an erasure on request (people.services.erase_resident)
        _remember(instance, SuccessStory.objects.filter(resident=instance))
        _remember(instance, PublicConsent.objects.filter(resident=instance))
        _remember(instance, owned)  # the producer stays with the household; its history held their phone
        from .services import erase_story_bulletin

        for story in SuccessStory.objects.filter(resident=instance).exclude(bulletin_ref=""):
            erase_story_bulletin(story)  # a bulletin made from their story must not name them any more
    # the household's business outlives its owner, but not their phone, their page link, or a public page
    # (the consent behind it is gone with them); a trade name that names them is replaced
    from .services import names_found

    for p in owned:
        p.phone, p.messenger_url, p.published = "", "", False
        if names_found(p.name, [instance.full_name, instance.full_name.split()[-1]] if instance.full_name.split() else []):
            p.name = f"{p.get_kind_display()} {p.public_code}"
        p.person = None
        p._audit_skip = getattr(instance, "_audit_skip", False)
        p.save()


@receiver(post_delete, sender="people.Resident", dispatch_uid="livelihoods-erased-resident")
def _resident_erased(sender, instance, **kwargs):
    _scrub(instance)


@receiver(pre_delete, sender="people.Household", dispatch_uid="livelihoods-erase-household")
def _household_erasing(sender, instance, **kwargs):
    from .models import ArticleSend, OnlineChannel, Producer, Product

    if getattr(instance, "_audit_skip", False):
        _remember(instance, Producer.objects.filter(household=instance))
        _remember(instance, Product.objects.filter(producer__household=instance))
        _remember(instance, OnlineChannel.objects.filter(producer__household=instance))
        _remember(instance, ArticleSend.objects.filter(household=instance))


@receiver(post_delete, sender="people.Household", dispatch_uid="livelihoods-erased-household")
def _household_erased(sender, instance, **kwargs):
    _scrub(instance)
