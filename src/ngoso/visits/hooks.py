"""How the visits app follows changes made elsewhere (imports, erasure) and adds to a person's data
(receivers of ``ngoso.core.changes``, connected in ``VisitsConfig.ready``)."""

from __future__ import annotations

from .models import SkillRecord
from .status import household_status_refresh


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
