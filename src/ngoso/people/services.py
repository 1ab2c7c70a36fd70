"""Writes to households and residents: consent, erasure, the person's own copy of their data."""

from __future__ import annotations

import csv
import io
import re
from importlib import resources

from django.db import transaction
from django.utils import timezone

from ngoso.accounts import audit, permissions
from ngoso.accounts.models import AuditEntry, User
from ngoso.core import changes, jobs
from ngoso.core.models import Job

from .io import cancel_previews_naming, delete_exports_covering
from .models import Consent, Erasure, Ethnicity, Household, Relation, Resident


def load_ethnicities() -> int:
    text = resources.files("ngoso.people").joinpath("data/ethnic_groups.csv").read_text("utf-8")
    n = 0
    for row in csv.DictReader(io.StringIO(text)):
        obj, _ = Ethnicity.objects.get_or_create(code=row["code"].zfill(2), defaults={
            "name_vi": row["name_vi"], "name_en": row["name_en"]})
        obj.name_vi, obj.name_en = row["name_vi"], row["name_en"]
        obj.other_names = row.get("other_names_vi", "") or ""
        obj.is_minority = row["is_minority"].strip() == "1"
        obj.save()
        n += 1
    return n


def record_consent(user, resident: Resident, given: bool, method: str = Consent.Method.ORAL, note: str = "") -> Consent:
    """``user`` records the resident's consent (given or refused); the record names them."""
    consent = Consent(resident=resident, given=given, method=method, recorded_by=user.get_username() if user else "",
                      note=note)
    permissions.require(user, "create", consent)
    consent.save()
    return consent


def current_consent(resident: Resident) -> Consent | None:
    return resident.consents.order_by("-recorded_at", "-id").first()


def subject_data(resident: Resident) -> dict:
    """Everything held about one resident, for them to take away (Decree 13/2023, right of access)."""
    hh = resident.household
    data = {
        "exported_at": timezone.now().isoformat(),
        "resident": {
            "full_name": resident.full_name, "sex": resident.sex, "birth_year": resident.birth_year,
            "ethnicity": resident.ethnicity.name_vi, "phone": resident.phone, "disability": resident.disability,
            "relation_to_head": resident.relation,
        },
        "household": {
            "code": hh.code, "village": hh.village.name, "address": hh.street_address, "phone": hh.phone,
            "poverty_status": hh.poverty_status, "poverty_year": hh.poverty_year,
            "means_of_access": {f: getattr(hh, f) for f in Household.ACCESS_FIELDS},
        },
        "consents": [
            {"given": c.given, "method": c.method, "recorded_at": c.recorded_at.isoformat(),
             "recorded_by": c.recorded_by, "note": c.note}
            for c in resident.consents.all()
        ],
        "audit": [
            {"at": e.at.isoformat(), "by": e.actor, "action": e.action, "changes": e.changes}
            for e in AuditEntry.objects.filter(model="people.Resident", object_pk=str(resident.pk))
        ],
        "status": {"status": resident.status, "since": resident.status_on.isoformat() if resident.status_on else None,
                   "moved_to": resident.moved_to},
        "moved_in": [  # their move from another village, asked for at the door (people.registration)
            {"household": m.household.code, "from": m.from_village.name if m.from_village else m.from_text,
             "requested_at": m.requested_at.isoformat(), "requested_by": m.requested_by,
             "done_at": m.done_at.isoformat() if m.done_at else None, "done_by": m.done_by}
            for m in resident.moves_in.select_related("household", "from_village")
        ],
    }
    changes.send(changes.SUBJECT_DATA, resident=resident, data=data)  # other apps (visits, livelihoods) add theirs
    audit.record(AuditEntry.Action.VIEW_EXPORT, resident, {})
    return data


def people_changed(household_ids, village_ids) -> None:
    """The people of these households and villages changed (import, erasure, reclassification): tell the apps
    that derive from them (``core.changes.PEOPLE``), inside the writer's transaction, so that what they derive
    changes with the data or not at all."""
    changes.send(changes.PEOPLE, household_ids=set(household_ids), village_ids=set(village_ids))


@transaction.atomic
def erase_resident(resident: Resident, *, done_by, reason: str = "") -> Erasure:
    """Erase a resident on request. The area's counts stay consistent: the resident is removed; a household
    left with nobody is removed too; a household that loses its head gets the eldest remaining member as head.
    Personal values in earlier audit entries about them are scrubbed. ``done_by`` is the user who erases (or
    their username): they must be allowed to delete this resident (``accounts.permissions``)."""
    user = done_by if isinstance(done_by, User) else User.objects.filter(username=done_by).first()
    permissions.require(user, "delete", resident)
    done_by = user.get_username()
    household = resident.household
    was_head = resident.relation == Relation.HEAD
    pk = resident.pk
    name = resident.full_name
    # every audited object about them: what the delete takes with it, and what earlier entries name them
    # through a foreign key (objects deleted before); scrubbed once the delete has written its own entries
    about_them = [audit.doomed(resident), audit.about(Resident, pk)]
    from .merge import erase_person, forget
    from .registration import forget_move_requests

    forget_move_requests(resident)  # a move never completed keeps the name the member typed: it goes too
    cancel_previews_naming(pk)  # an import waiting for choices names them as a match, its file holds their row
    resident._audit_skip = True
    resident.delete()
    audit.scrub_all(*about_them)
    erase_person(pk)  # the copies of them merged into this record, kept for undo and in the audit, go too
    erasure = Erasure(village=household.village, household_code=household.code, done_by=done_by, reason=reason)
    remaining = household.residents.order_by("birth_year", "id")
    if not remaining.exists():
        erasure.household_removed = True
        household_pk = household.pk
        about_household = [audit.doomed(household), audit.about(Household, household_pk)]
        household._audit_skip = True
        household.delete()
        forget("household", household_pk)
        audit.scrub_all(*about_household)  # its poverty reviews (incomes), assignments, producers…
    elif was_head:
        from .registration import hand_on_headship

        hand_on_headship(household)  # the eldest still living there, never one who died or moved away
    erasure.save()
    erasure.exports_deleted = delete_exports_covering(household.village)  # earlier files holding the person
    people_changed([] if erasure.household_removed else [household.pk], [household.village_id])
    # THAT an erasure happened, never what was erased: the reason keeps no trace of the name
    reason = reason.replace(name, audit.ERASED)
    for word in {w for w in name.split() if len(w) > 1}:
        reason = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", "…", reason)
    audit.record_event(AuditEntry.Action.ERASE, "people.Resident", household.village.path,
                       {"resident_pk": pk, "household": household.code, "reason": reason},
                       object_repr=audit.ERASED)
    return erasure


def export_area(place, user):
    """Start an export of ``place`` as a background job, or hand out the last file again if nothing in the
    area changed since (the export is still recorded in the audit log as a new, deliberate export)."""
    from ngoso.core import files

    from .io import export_fingerprint

    fp = export_fingerprint(place, user)
    params = {"place": place.code, "user_id": user.pk}
    if fp:
        prev = Job.objects.filter(kind="export_people", status=Job.Status.DONE, fingerprint=fp,
                                  expires_at__gt=timezone.now()).exclude(file="").first()
        if prev is not None and files.exists("exports", files.export_name(prev.file)):
            job = Job.objects.create(kind="export_people", status=Job.Status.DONE, params=params, fingerprint=fp,
                                     file=prev.file, created_by=user, place_path=place.path, done=prev.done,
                                     total=prev.total, finished_at=timezone.now(),
                                     expires_at=timezone.now() + jobs.export_ttl(),
                                     result={**prev.result, "reused_from": prev.pk})
            with audit.acting_as(user):
                audit.record_event(AuditEntry.Action.EXPORT, "people.Household", place.path,
                                   {"place": place.code, "rows": prev.result.get("rows"), "reused_file": prev.pk})
            return job
    return jobs.submit("export_people", params, user=user, place_path=place.path, fingerprint=fp)
