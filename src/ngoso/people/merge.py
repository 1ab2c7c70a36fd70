"""Two records of one person (or one household) made one, and undone.

``merge_residents(user, keep, lose)`` / ``merge_households(user, keep, lose)`` move **every** row that points
at the merged-away record onto the kept one — found from the models' own relations (``_meta.related_objects``),
so a model added later that points at a resident or a household is moved too: visits and the residents
present at them, skill records, consents, public consents, producers, stories, self-checks, handout links,
assignments, poverty reviews, article sends, a household's residents. Derived tables (current skill levels,
household status, the places' counters) are recomputed through their own functions, not moved. A row that
cannot move because the kept record already has its twin (two poverty reviews of one year, one person present
twice at one visit) is kept inside the ``Merge`` record and deleted; everything else keeps its id.

The ``Merge`` row says who merged what and when, and holds the merged-away record and the ids of every row
moved: ``undo`` puts them back. "Not the same" is remembered (``not_the_same``) and never proposed again.

Who: the roles the models declare for ``merge`` within their area; across villages only commune staff (or
province), across communes only province staff.
"""

from __future__ import annotations

import json

from django.core import serializers
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ngoso.accounts import audit, permissions
from ngoso.accounts.models import AuditEntry
from ngoso.core import changes
from ngoso.core.messages import Message

from .models import DuplicateDecision, Household, Merge, Relation, Resident
from .services import people_changed

DERIVED = {"visits.residentskill", "visits.householdstatus"}  # recomputed after the move, never moved


def _village(obj):
    return obj.village if isinstance(obj, Household) else obj.household.village


def _common_path(a: str, b: str) -> str:
    pa, pb = a.split("/"), b.split("/")
    common = []
    for x, y in zip(pa, pb):
        if x != y:
            break
        common.append(x)
    return "/".join(common) + ("/" if common and common[-1] else "")


def check(user, keep, lose) -> None:
    """May ``user`` merge these two records? Raises ``PermissionDenied`` with a message saying why not."""
    if keep.pk == lose.pk or type(keep) is not type(lose):
        raise PermissionDenied(Message(_("A record cannot be merged with itself")))
    permissions.require(user, "merge", keep)
    permissions.require(user, "merge", lose)
    permissions.require_across(user, _village(keep), _village(lose), _("Merging records"))


def _label(model) -> str:
    return model._meta.label_lower


def _serialize(objs) -> list:
    return json.loads(serializers.serialize("json", objs))


def _move(lose, keep) -> tuple[dict, list]:
    """Point every row that references ``lose`` at ``keep``. Returns ({"app.model.field": [ids]}, dropped rows)."""
    moved, dropped = {}, []
    for rel in type(lose)._meta.related_objects:
        related = rel.related_model
        if _label(related) in DERIVED:
            continue
        if rel.many_to_many:
            through = rel.through if hasattr(rel, "through") else rel.field.remote_field.through
            fk = next(f for f in through._meta.concrete_fields
                      if f.is_relation and f.related_model is type(lose))
            rows = through.objects.filter(**{fk.name: lose})
        else:
            fk = rel.field
            rows = related.objects.filter(**{fk.name: lose})
        model = rows.model
        key = f"{_label(model)}.{fk.name}"
        ids = list(rows.values_list("pk", flat=True))
        if not ids:
            continue
        try:
            with transaction.atomic():
                model.objects.filter(pk__in=ids).update(**{fk.name: keep})
            moved[key] = ids
            continue
        except IntegrityError:
            pass
        ok = []
        for obj in model.objects.filter(pk__in=ids):
            try:
                with transaction.atomic():
                    model.objects.filter(pk=obj.pk).update(**{fk.name: keep})
                ok.append(obj.pk)
            except IntegrityError:
                dropped.extend(_serialize([obj]))
                obj.delete()
        moved[key] = ok
    return moved, dropped


def _recompute(residents: set, households: set, villages: set) -> None:
    """What is derived from the moved rows, through the apps that derive it (``core.changes``): the residents'
    current skill levels (visits), then the households' status and the places' figures."""
    if residents:
        changes.send(changes.RESIDENTS_MOVED, resident_ids=set(residents))
    people_changed(households, villages)


def merge_residents(user, keep: Resident, lose: Resident) -> Merge:
    """Keep ``keep``; move everything of ``lose`` onto it; delete ``lose`` (kept in the ``Merge`` for undo)."""
    return _merge(user, keep, lose)


def merge_households(user, keep: Household, lose: Household) -> Merge:
    """Keep ``keep``; its residents, visits, assignments… gain those of ``lose``, which is deleted."""
    return _merge(user, keep, lose)


def _merge(user, keep, lose) -> Merge:
    check(user, keep, lose)
    kind = "household" if isinstance(keep, Household) else "resident"
    with transaction.atomic(), audit.acting_as(user):
        model = type(keep)
        keep = model.objects.select_for_update().get(pk=keep.pk)
        lose = model.objects.select_for_update().get(pk=lose.pk)
        va, vb = _village(keep), _village(lose)
        lost_record = _serialize([lose])[0]
        if kind == "household":
            # one open assignment per household: visits ends the lost one's if the kept one has its own
            changes.send(changes.HOUSEHOLDS_MERGING, keep=keep, lose=lose, today=timezone.localdate())
        moved, dropped = _move(lose, keep)
        if kind == "household" and lose.residents.exists():  # cannot happen: moved above
            raise RuntimeError("residents left behind")
        if kind == "household":
            # two heads now: the kept household's head stays head
            heads = list(keep.residents.filter(relation=Relation.HEAD).order_by("birth_year", "id"))
            own_head = next((r for r in heads if r.pk not in moved.get("people.resident.household", [])), None)
            for r in heads:
                if own_head is not None and r.pk != own_head.pk:
                    r.relation = Relation.OTHER
                    r.save()
        lost_repr, lost_pk = str(lose), lose.pk
        lose._merged = True
        lose.delete()
        m = Merge.objects.create(kind=kind, kept_id=keep.pk, kept_repr=str(keep)[:200], lost_id=lost_pk,
                                 lost_repr=lost_repr[:200], lost_record=lost_record,
                                 moved={**moved, "_dropped": dropped}, place_path=_common_path(va.path, vb.path),
                                 lost_path=vb.path, merged_by=user.get_username())
        DuplicateDecision.objects.update_or_create(
            kind=kind, low=min(keep.pk, lost_pk), high=max(keep.pk, lost_pk),
            defaults={"same": True, "place_path": m.place_path, "decided_by": user.get_username()})
        audit.record_event(AuditEntry.Action.UPDATE, f"people.{model.__name__}", va.path,
                           {"merged": {"kept": keep.pk, "lost": lost_pk, "lost_repr": lost_repr, "merge": m.pk,
                                       "moved": {k: len(v) for k, v in moved.items()}, "dropped": len(dropped)}},
                           object_repr=str(keep)[:200])
        residents = {keep.pk} if kind == "resident" else set()
        households = {keep.pk} if kind == "household" else {keep.household_id}
        _recompute(residents, households, {va.pk, vb.pk})
    return m


def undo(user, merge: Merge) -> None:
    """Put the merged-away record back with every row that was moved off it (and the rows dropped)."""
    permissions.require(user, "change", merge)
    if merge.undone_at is not None:
        return
    model = Household if merge.kind == "household" else Resident
    with transaction.atomic(), audit.acting_as(user):
        merge = Merge.objects.select_for_update().get(pk=merge.pk)
        for obj in serializers.deserialize("json", json.dumps([merge.lost_record])):
            obj.save()
        lost = model.objects.get(pk=merge.lost_id)
        permissions.require(user, "merge", lost)
        from django.apps import apps

        for key, ids in merge.moved.items():
            if key == "_dropped" or not ids:
                continue
            label, field = key.rsplit(".", 1)
            apps.get_model(label).objects.filter(pk__in=ids).update(**{field: lost})
        for obj in serializers.deserialize("json", json.dumps(merge.moved.get("_dropped", []))):
            obj.save()
        merge.undone_at, merge.undone_by = timezone.now(), user.get_username()
        merge.save(update_fields=["undone_at", "undone_by"])
        DuplicateDecision.objects.filter(kind=merge.kind, low=min(merge.kept_id, merge.lost_id),
                                         high=max(merge.kept_id, merge.lost_id)).delete()
        kept = model.objects.filter(pk=merge.kept_id).first()
        audit.record_event(AuditEntry.Action.UPDATE, f"people.{model.__name__}", _village(lost).path,
                           {"merge_undone": {"merge": merge.pk, "kept": merge.kept_id, "restored": merge.lost_id}},
                           object_repr=str(lost)[:200])
        if merge.kind == "resident":
            hh = {lost.household_id} | ({kept.household_id} if kept else set())
            res = {lost.pk} | ({kept.pk} if kept else set())
        else:
            hh, res = {lost.pk} | ({kept.pk} if kept else set()), set()
        villages = {_village(lost).pk} | ({_village(kept).pk} if kept else set())
        _recompute(res, hh, villages)


def not_the_same(user, kind: str, a, b) -> DuplicateDecision:
    """Remember that two records are different people (households): never proposed again."""
    permissions.require(user, "merge", a)
    permissions.require(user, "merge", b)
    va, vb = _village(a), _village(b)
    d, _ = DuplicateDecision.objects.update_or_create(
        kind=kind, low=min(a.pk, b.pk), high=max(a.pk, b.pk),
        defaults={"same": False, "place_path": _common_path(va.path, vb.path), "decided_by": user.get_username()})
    return d


def erase_person(pk: int) -> set[int]:
    """An erasure on request of resident #``pk``, whose row is deleted: the copies of them merged into it
    (and into those, a merge of a merge) were the same person, so their own audit entries (their creation, the
    merge's deletion of them) and the entries naming them through a foreign key are scrubbed; the merges' and
    undos' entries keep that a merge happened but not the person's name (``object_repr``, ``lost_repr``); then
    every merge and pair naming any of them goes (``forget``). A merge undone was two people: the restored one
    keeps their own history. Returns the ids erased (``pk`` and its merged-away copies)."""
    from django.db.models import Q

    ids, frontier = {pk}, {pk}
    while frontier:
        frontier = set(Merge.objects.filter(kind="resident", kept_id__in=frontier, undone_at__isnull=True)
                       .values_list("lost_id", flat=True)) - ids
        ids |= frontier
    copies = ids - {pk}
    audit.scrub_all({Resident._meta.label: {str(i) for i in copies}}, *(audit.about(Resident, i) for i in copies))
    label = Resident._meta.label
    for entry in AuditEntry.objects.filter(model=label, object_pk="").filter(
            Q(changes__merged__kept__in=ids) | Q(changes__merged__lost__in=ids)
            | Q(changes__merge_undone__restored__in=ids)):
        merged = entry.changes.get("merged")
        if merged is not None:
            if merged.get("kept") in ids:
                entry.object_repr = audit.ERASED
            if merged.get("lost") in ids:
                merged["lost_repr"] = audit.ERASED
        elif entry.changes["merge_undone"].get("restored") in ids:
            entry.object_repr = audit.ERASED
        entry.save(update_fields=["changes", "object_repr"])
    for i in ids:
        forget("resident", i)
    return ids


def forget(kind: str, pk: int) -> int:
    """An erasure on request: the merges that kept a copy of this record (as the merged-away one, or the
    merged-away twin of it) and every pair naming it are deleted. Returns the merges deleted."""
    from django.db.models import Q

    from .models import DuplicateCandidate

    n, _ = Merge.objects.filter(Q(kept_id=pk) | Q(lost_id=pk), kind=kind).delete()
    DuplicateCandidate.objects.filter(Q(low=pk) | Q(high=pk), kind=kind).delete()
    DuplicateDecision.objects.filter(Q(low=pk) | Q(high=pk), kind=kind).delete()
    return n
