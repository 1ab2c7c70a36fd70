"""How the visits app follows changes made elsewhere (imports, erasure) and adds to a person's data."""

from __future__ import annotations


def people_changed(household_ids: set, village_ids: set) -> None:
    from . import indicators

    if household_ids:
        indicators.household_status_refresh(household_ids)
    indicators.refresh(village_ids)


def subject_data(resident, data: dict) -> None:
    from .models import SkillRecord

    records = list(SkillRecord.objects.filter(resident=resident).select_related("skill", "member"))
    superseded = {r.supersedes_id for r in records if r.supersedes_id}
    data["skills"] = [
        {"skill": r.skill.code, "name": r.skill.name_vi, "level": r.level, "date": r.observed_on.isoformat(),
         "taught_by": r.member.full_name if r.member else None, "superseded_by_correction": r.pk in superseded}
        for r in records
    ]
    data["visits_present"] = [v.visited_on.isoformat() for v in resident.visits_present.all()]
