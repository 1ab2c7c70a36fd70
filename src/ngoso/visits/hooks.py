"""How the visits app follows changes made elsewhere (imports, erasure, merges, registrations at the door) and
adds to a person's data (receivers of ``ngoso.core.changes``, connected in ``VisitsConfig.ready``), and tells
people which households a member answers for (``people.privacy.answered_for``)."""

from __future__ import annotations

from django.utils import timezone

from .models import Assignment, ResidentSkill, SkillRecord
from .services import derive_levels, hand_over
from .status import household_status_refresh


def households_answered_for(member_ids):
    """``people.privacy.answered_for``: the households of these members' open assignments (a subquery)."""
    return Assignment.objects.filter(ended_on__isnull=True, member_id__in=member_ids).values("household_id")


def households_merging(keep, lose, today, **_) -> None:
    """``changes.HOUSEHOLDS_MERGING``: only one open assignment per household — the kept household's stands,
    the other's ends today."""
    if Assignment.objects.filter(household=keep, ended_on__isnull=True).exists():
        Assignment.objects.filter(household=lose, ended_on__isnull=True).update(ended_on=today)


def residents_moved(resident_ids, **_) -> None:
    """``changes.RESIDENTS_MOVED``: each moved (resident, skill)'s current level from its records again."""
    pairs = set(SkillRecord.objects.filter(resident_id__in=resident_ids).values_list("resident_id", "skill_id"))
    pairs |= set(ResidentSkill.objects.filter(resident_id__in=resident_ids).values_list("resident_id", "skill_id"))
    derive_levels(pairs)


def member_left(membership, user, today, handed: dict, **_) -> None:
    """``changes.MEMBER_LEFT``: the member's households go to the rest of the team."""
    handed["households"] += hand_over(user, membership, today)


def registered(household, user, **_) -> None:
    """``changes.REGISTERED``: the member who registered a household at the door answers for it from now on
    (an open assignment), so it reaches their phone."""
    member = getattr(user, "member", None)
    if member is not None:
        Assignment.objects.create(household=household, member=member, started_on=timezone.localdate(),
                                  assigned_by=user)


def people_changed(household_ids, village_ids, **_) -> None:
    """``changes.PEOPLE``: the households' status follows (the figures of places are insights')."""
    if household_ids:
        household_status_refresh(household_ids)


def subject_data(resident, data: dict, **_) -> None:
    records = list(SkillRecord.objects.filter(resident=resident).select_related("skill", "member"))
    superseded = {r.supersedes_id for r in records if r.supersedes_id}
    data["skills"] = [
        {"skill": r.skill.code, "name": r.skill.name_vi, "level": r.level, "date": r.observed_on.isoformat(),
         "taught_by": r.member.full_name if r.member else None, "superseded_by_correction": r.pk in superseded}
        for r in records
    ]
    data["visits_present"] = [v.visited_on.isoformat() for v in resident.visits_present.all()]
