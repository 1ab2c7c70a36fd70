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

from ngoso.accounts.scope import get_scoped_or_404, scoped
from ngoso.core.clean import CleanError, model_text, safe_next
from ngoso.lessons import services as lessons
from ngoso.people.models import Household, Resident
from ngoso.skills.models import Level, Skill
from ngoso.teams.models import Membership, Team

from . import services
from .models import SkillRecord, Visit
from django.utils.translation import gettext_lazy


def _parse_date(value: str, field: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise services.VisitError(gettext_lazy("'%(value)s' is not a date (dd/mm/yyyy)"), field=field, value=value)


@login_required
def today(request):
    member = services.member_for(request.user)
    if member is None:
        return render(request, "visits/today.html", {"member": None})
    plan, stops = services.day_stops(request.user, member)
    return render(request, "visits/today.html", {
        "member": member, "plan": plan, "stops": stops, "followups": services.followups(member),
        "overdue": services.followups(member, kind="overdue"), "en": get_language() == "en",
    })


SAVED_KEY = "visits_saved"  # session: {household code: [visit uuid, saved at ISO]} of forms saved lately
SAVED_FOR = datetime.timedelta(hours=12)


def _recently_saved(request, code) -> tuple[str, datetime.datetime] | None:
    """The visit this browser saved for the household lately: browser Back then shows that form again
    tied to the same UUID, so a second Save is recognised as the same visit, not stored twice."""
    entry = request.session.get(SAVED_KEY, {}).get(code)
    if not entry:
        return None
    at = datetime.datetime.fromisoformat(entry[1])
    return (entry[0], at) if timezone.now() - at < SAVED_FOR else None


def _remember_saved(request, code, visit_uuid) -> None:
    saved = {k: v for k, v in request.session.get(SAVED_KEY, {}).items()
             if timezone.now() - datetime.datetime.fromisoformat(v[1]) < SAVED_FOR}
    saved[code] = [str(visit_uuid), timezone.now().isoformat()]
    request.session[SAVED_KEY] = saved


def _form_results(post, residents) -> list:
    results = []
    for r in residents:
        for key, value in post.items():
            if key.startswith(f"lvl-{r.pk}-") and value != "":
                results.append(services.SkillResult(r.pk, int(key.rsplit("-", 1)[1]), int(value)))
        extra_skill, extra_level = post.get(f"extra-{r.pk}"), post.get(f"extra-lvl-{r.pk}")
        if extra_skill and extra_level not in (None, ""):
            if not any(x.resident == r.pk and x.skill == int(extra_skill) for x in results):
                results.append(services.SkillResult(r.pk, int(extra_skill), int(extra_level)))
    return results


@login_required
def visit_form(request, code):
    hh = get_scoped_or_404(Household.objects.select_related("village"), request.user, code=code)
    if not request.user.can("visit"):
        raise PermissionDenied
    residents = list(hh.residents.select_related("ethnicity").order_by("-relation", "birth_year"))
    today_ = timezone.localdate()
    errors: dict[str, str] = {}
    post = request.POST if request.method == "POST" else None
    if post is not None:
        try:
            results = _form_results(post, residents)
            present = [int(p) for p in post.getlist("present")]
            visit_uuid = _uuid_or_none(post.get("uuid"))
            visit, created = services.record_visit(
                request.user, hh, visited_on=_parse_date(post.get("visited_on"), "visited_on") or today_,
                present=present, results=results, note=_note(post.get("note", "")),
                next_visit_on=_parse_date(post.get("next_visit_on"), "next_visit_on"), uuid=visit_uuid)
        except services.VisitError as exc:
            errors[exc.field] = exc.text()
        except ValueError:
            errors["form"] = _("The form was damaged; please try again.")
        else:
            _remember_saved(request, hh.code, visit.uuid)
            if created:
                messages.success(request, _("Visit recorded: %(n)d skill results.") % {"n": visit.skill_records.count()})
            else:
                messages.info(request, _("This visit was already recorded."))
            return redirect(safe_next(request, post.get("next"), "today"))
    saved = None if post is not None or request.GET.get("new") else _recently_saved(request, hh.code)
    form_uuid = (post.get("uuid") if post is not None else None) or (saved[0] if saved else uuidlib.uuid4())
    rows = []
    levels = services.levels_by_resident(residents)

    present = {p for p in post.getlist("present")} if post is not None else {str(r.pk) for r in residents
                                                                              if r.relation == "head"}
    for r in residents:
        suggested = services.next_skills(r)
        rows.append({
            "r": r, "levels": levels.get(r.pk, {}), "aud": lessons.audience_for(r), "lang": lessons.language_for(r),
            "present": str(r.pk) in present,
            "suggested": [{"s": s, "choices": [(v, label, post is not None and post.get(f"lvl-{r.pk}-{s.pk}") == str(v))
                                               for v, label in Level.choices]} for s in suggested],
            "extra_skill": post.get(f"extra-{r.pk}", "") if post is not None else "",
            "extra_choices": [(v, label, post is not None and post.get(f"extra-lvl-{r.pk}") == str(v))
                              for v, label in Level.choices],
        })
    main_errors = [m for f, m in errors.items() if f not in ("visited_on", "next_visit_on", "note", "present")]
    return render(request, "visits/visit_form.html", {
        "hh": hh, "head": next((r for r in residents if r.relation == "head"), residents[0] if residents else None),
        "rows": rows, "today": today_, "errors": errors, "main_errors": main_errors, "uuid": form_uuid,
        "saved_at": saved[1] if saved else None,
        "note": post.get("note", "") if post is not None else "",
        "visited_on": post.get("visited_on", "") if post is not None else today_.isoformat(),
        "next_visit_on": (post.get("next_visit_on", "") if post is not None else
                          (today_ + datetime.timedelta(days=services.DEFAULT_NEXT_VISIT_DAYS)).isoformat()),
        "all_skills": Skill.objects.filter(catalogue__is_current=True).order_by("area__order", "order"),
        "next": post.get("next", "") if post is not None else request.GET.get("next", ""),
    })


def _note(value: str) -> str:
    """The visit's note, cleaned at the door (control characters, length) like a phone's."""
    from ngoso.visits.models import Visit

    try:
        return model_text(Visit, "note", value)
    except CleanError as exc:
        raise services.VisitError(exc, field="note") from None


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
    assignment = Assignment.objects.filter(household=hh, ended_on__isnull=True).select_related("member").first()
    return {
        "priority": prio,
        "assignment": assignment, "move_url": _move_url(user, hh, assignment),
        "visits": hh.visits.filter(corrections__isnull=True).select_related("member")
                    .prefetch_related("skill_records__skill", "skill_records__resident")[:20],
        "can_visit": user.can("visit"),
    }


def _move_url(user, hh: Household, assignment) -> str | None:
    """For a leader or staff: the assign page of the household's team, ready to move it to another member."""
    if not user.can("manage_teams"):
        return None
    from django.urls import reverse

    team_id = None
    if assignment is not None:
        team_id = (Membership.objects.filter(member_id=assignment.member_id, ended_on__isnull=True)
                   .values_list("team_id", flat=True).first())
    if team_id is None:
        parts = hh.village.path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        team_id = (Team.objects.filter(active=True, place__path__in=prefixes).order_by("-place__path")
                   .values_list("pk", flat=True).first())
    if team_id is None or not scoped(Team.objects.filter(pk=team_id), user).exists():
        return None
    return reverse("assign", args=[team_id]) + f"?move={hh.code}"


def _named(checks, skills):
    names = {s.code: s.name for s in skills}
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
