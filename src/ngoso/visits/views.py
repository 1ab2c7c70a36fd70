"""Door-to-door pages: the member's day, the visit form, the team and assignments."""

from __future__ import annotations

import datetime
import uuid as uuidlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ngoso.accounts.scope import get_scoped_or_404
from ngoso.core.clean import CleanError, model_text, safe_next
from ngoso.lessons import services as lessons
from ngoso.people.models import Household, Resident
from ngoso.skills.models import Level, Skill

from . import services
from .models import SkillRecord, Visit


def _parse_date(value: str, field: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise services.VisitError(field, f"Ngày «{value}» không đúng dạng ngày/tháng/năm",
                              f"'{value}' is not a date (dd/mm/yyyy)")


@login_required
def today(request):
    member = services.member_for(request.user)
    if member is None:
        return render(request, "visits/today.html", {"member": None})
    plan = services.todays_list(member)
    return render(request, "visits/today.html", {
        "member": member, "plan": plan, "followups": services.followups(member), "en": get_language() == "en",
    })


@login_required
def visit_form(request, code):
    hh = get_scoped_or_404(Household.objects.select_related("village"), request.user, code=code)
    if not request.user.can("visit"):
        raise PermissionDenied
    residents = list(hh.residents.select_related("ethnicity").order_by("-relation", "birth_year"))
    today_ = timezone.localdate()
    error = None
    if request.method == "POST":
        try:
            results = []
            for r in residents:
                for key, value in request.POST.items():
                    if key.startswith(f"lvl-{r.pk}-") and value != "":
                        results.append(services.SkillResult(r.pk, int(key.rsplit("-", 1)[1]), int(value)))
                extra_skill, extra_level = request.POST.get(f"extra-{r.pk}"), request.POST.get(f"extra-lvl-{r.pk}")
                if extra_skill and extra_level not in (None, ""):
                    if not any(x.resident == r.pk and x.skill == int(extra_skill) for x in results):
                        results.append(services.SkillResult(r.pk, int(extra_skill), int(extra_level)))
            present = [int(p) for p in request.POST.getlist("present")]
            visit, created = services.record_visit(
                request.user, hh, visited_on=_parse_date(request.POST.get("visited_on"), "visited_on") or today_,
                present=present, results=results, note=_note(request.POST.get("note", "")),
                next_visit_on=_parse_date(request.POST.get("next_visit_on"), "next_visit_on"),
                uuid=_uuid_or_none(request.POST.get("uuid")))
        except services.VisitError as exc:
            error = exc.en if get_language() == "en" else exc.vi
        except ValueError:
            error = _("The form was damaged; please try again.")
        else:
            if created:
                messages.success(request, _("Visit recorded: %(n)d skill results.") % {"n": visit.skill_records.count()})
            else:
                messages.info(request, _("This visit was already recorded."))
            return redirect(safe_next(request, request.POST.get("next"), "today"))
    rows = []
    levels = services.levels_by_resident(residents)

    for r in residents:
        suggested = services.next_skills(r)
        rows.append({"r": r, "suggested": suggested, "levels": levels.get(r.pk, {}),
                     "aud": lessons.audience_for(r), "lang": lessons.language_for(r)})
    return render(request, "visits/visit_form.html", {
        "hh": hh, "rows": rows, "today": today_, "error": error, "uuid": request.POST.get("uuid") or uuidlib.uuid4(),
        "next_default": today_ + datetime.timedelta(days=services.DEFAULT_NEXT_VISIT_DAYS),
        "all_skills": Skill.objects.filter(catalogue__is_current=True).order_by("area__order", "order"),
        "level_choices": Level.choices, "post": request.POST if request.method == "POST" else None,
        "next": request.GET.get("next", ""),
    })


def _note(value: str) -> str:
    """The visit's note, cleaned at the door (control characters, length) like a phone's."""
    from ngoso.visits.models import Visit

    try:
        return model_text(Visit, "note", value)
    except CleanError as exc:
        raise services.VisitError("note", exc.vi, exc.en) from None


def _uuid_or_none(value):
    try:
        return uuidlib.UUID(value) if value else None
    except ValueError:
        return None


@login_required
@require_POST
def correct_skill(request, pk):
    rec = get_scoped_or_404(SkillRecord.objects.select_related("resident__household"), request.user, pk=pk)
    try:
        services.correct_skill(request.user, rec, int(request.POST.get("level", "-1")))
    except (services.VisitError, ValueError) as exc:
        messages.error(request, getattr(exc, "vi", str(exc)))
    else:
        messages.success(request, _("Corrected. The earlier record is kept in the history."))
    return redirect("resident", uuid=rec.resident.uuid)


def household_context(user, hh: Household) -> dict:
    """What the household page shows about visits (called by the people app's view)."""
    from .models import Assignment

    prio = services.priorities(Household.objects.filter(pk=hh.pk))[0]
    return {
        "priority": prio,
        "assignment": Assignment.objects.filter(household=hh, ended_on__isnull=True).select_related("member").first(),
        "visits": hh.visits.filter(corrections__isnull=True).select_related("member")
                    .prefetch_related("skill_records__skill", "skill_records__resident")[:20],
        "can_visit": user.can("visit"),
    }


def _named(checks, skills):
    names = {s.code: s.name_vi for s in skills}
    for c in checks:
        c.skill_name = names.get(c.skill_code, c.skill_code)
    return checks


def resident_context(user, r: Resident) -> dict:
    records = list(SkillRecord.objects.filter(resident=r).select_related("skill", "member", "visit"))
    superseded = {x.supersedes_id for x in records if x.supersedes_id}
    current = services.levels_by_resident([r]).get(r.pk, {})
    skills = {s.pk: s for s in Skill.objects.filter(catalogue__is_current=True).order_by("area__order", "order")}
    return {
        "skill_levels": [(skills[sid], lvl) for sid, lvl in sorted(current.items(), key=lambda x: skills[x[0]].order)
                         if sid in skills],
        "skill_history": [(x, x.pk in superseded) for x in records],
        "next_skills": services.next_skills(r),
        "lessons": lessons.residents_lessons(r),
        "self_checks": _named(list(r.self_checks.select_related("skill_record")[:20]), skills.values()),
        "can_correct": user.can("visit"), "level_choices": Level.choices,
    }
