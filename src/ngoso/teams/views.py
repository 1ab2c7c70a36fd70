"""Team pages: my team, a team's activity (devices, sync conflicts, quiet members) and sharing its households.

The team rules are ``teams.services`` (``member_for``, ``team_members``, ``leave``); the assignment rules they
call live with ``visits.Assignment`` in ``ngoso.visits.services`` (``assign``, ``suggest_split``,
``leave_preview``…).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ngoso.accounts.scope import get_scoped_or_404, scoped
from ngoso.core.text import street_order, vi_key
from ngoso.insights.teams import QUIET_DAYS, team_activity
from ngoso.people.models import Household
from ngoso.sync import services as sync_services
from ngoso.sync.models import DeviceToken, SyncConflict
from ngoso.visits import services

from . import services as team_rules
from .models import Membership, Team


def _team_for(request, pk) -> Team:
    team = get_scoped_or_404(Team.objects.select_related("place"), request.user, pk=pk)
    return team


@login_required
def my_team(request):
    member = team_rules.member_for(request.user)
    ms = (Membership.objects.filter(member=member, ended_on__isnull=True).select_related("team").first()
          if member else None)
    if ms is not None:
        return redirect("team", pk=ms.team_id)
    teams = team_rules.in_list_order(scoped(Team.objects.filter(active=True).select_related("place__parent"),
                                            request.user).order_by("place__path")[:300])
    return render(request, "teams/teams.html", {"teams": teams})


@login_required
def team_page(request, pk):
    team = _team_for(request, pk)
    activity = team_activity(team)

    users = [a.member.user_id for a in activity if a.member.user_id]
    return render(request, "teams/team.html", {
        "devices": DeviceToken.objects.filter(user_id__in=users).select_related("user"),
        "conflicts": scoped(SyncConflict.objects.all(), request.user).filter(place_path__startswith=team.place.path)[:50],
        "pending_conflicts": sync_services.pending_conflicts(request.user, team.place.path).count(),
        "team": team, "activity": activity, "quiet": [a for a in activity if a.quiet],
        "can_manage": request.user.can("manage_teams"), "quiet_days": QUIET_DAYS,
    })


@login_required
def team_followups(request, pk):
    """The households behind a count on the team page (overdue, due today, or in a member's care), per member or
    for all."""
    team = _team_for(request, pk)
    kind = request.GET.get("kind", "overdue")
    if kind == "households":
        members = team_rules.team_members(team)
        chosen = [m for m in members if str(m.pk) == request.GET.get("member")] or members
        rows = [(m, h) for m in chosen for h in services.in_care_of(m).select_related("village", "status")
                .prefetch_related("residents").order_by("village__path", *street_order())]
        return render(request, "teams/team_households.html", {
            "team": team, "rows": rows, "member": chosen[0] if len(chosen) == 1 else None,
            "today": timezone.localdate()})
    if kind not in services.FOLLOWUP_KINDS:
        kind = "overdue"
    members = team_rules.team_members(team)
    chosen = [m for m in members if str(m.pk) == request.GET.get("member")] or members
    rows = []
    for m in chosen:
        rows += [(m, st) for st in services.followups(m, kind=kind)]
    rows.sort(key=lambda x: (x[1].next_visit_on, x[1].household.code))
    return render(request, "teams/team_followups.html", {
        "team": team, "kind": kind, "rows": rows, "member": chosen[0] if len(chosen) == 1 else None,
        "today": timezone.localdate()})


@login_required
def assign_page(request, pk):
    team = _team_for(request, pk)
    if not request.user.can("manage_teams"):
        raise PermissionDenied
    members = team_rules.team_members(team)
    households = scoped(Household.objects.filter(village__path__startswith=team.place.path), request.user)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "split":
            todo = list(services.unassigned(households).order_by(*street_order()))
            plan = services.suggest_split(todo, members, services.member_loads(members))
            n = services.apply_split(request.user, plan)
            messages.success(request, _("%(n)d households shared among %(m)d members.") % {"n": n, "m": len(members)})
        elif action == "assign":
            member = next((m for m in members if str(m.pk) == request.POST.get("member")), None)
            codes = [c.strip() for c in request.POST.getlist("household") if c.strip()]
            chosen = households.filter(code__in=codes)
            alley = request.POST.get("alley")
            if alley:
                chosen = households.filter(alley=alley)
            chosen = chosen.select_related("village").prefetch_related("residents").order_by("village__path",
                                                                                             *street_order())
            missing = sorted(set(codes) - set(chosen.values_list("code", flat=True))) if not alley else []
            if member is None or not chosen.exists() or missing:
                # the form again with what was entered, each error beside its field (nothing lost)
                errors = {}
                if member is None:
                    errors["member"] = _("Choose a member.")
                if missing:
                    errors["household"] = _("Not found in this team's area: %(codes)s.") % {"codes": ", ".join(missing)}
                elif not chosen.exists():
                    errors["household"] = _("Choose at least one household or alley.")
                entered = {"member": request.POST.get("member", ""), "alley": alley or "", "codes": codes}
                return _assign_page(request, team, members, households, entered, errors)
            elif request.POST.get("confirm") != "1":
                # leaders see before they act: which households, whose they are now
                return render(request, "teams/assign_confirm.html", {
                    "team": team, "member": member, "alley": alley, "rows": services.assign_preview(chosen, member),
                    "codes": [h.code for h in chosen]})
            else:
                n = services.assign(request.user, chosen, member)
                messages.success(request, _("%(n)d households assigned to %(name)s.") % {"n": n, "name": member.full_name})
        elif action == "leave":
            chosen_ms = request.POST.get("membership", "")
            ms = team.current_memberships().filter(pk=chosen_ms).first() if chosen_ms.isdigit() else None
            if ms is None:
                return _assign_page(request, team, members, households, {"membership": chosen_ms},
                                    {"membership": _("Choose the member who leaves.")})
            if request.POST.get("confirm") != "1":
                return render(request, "teams/leave_confirm.html", {"team": team, "ms": ms,
                                                                     **services.leave_preview(ms)})
            n = team_rules.leave(request.user, ms)
            messages.success(request, _("%(name)s has left the team; %(n)d households were shared among the others.")
                             % {"name": ms.member.full_name, "n": n})
        return redirect("assign", pk=team.pk)
    return _assign_page(request, team, members, households)


def _assign_page(request, team, members, households, entered: dict | None = None, errors: dict | None = None):
    """The assignment page; after a refused form, with what was entered and each error beside its field (400)."""
    entered = entered or {}
    todo = list(services.unassigned(households).select_related("village").order_by(*street_order())[:500])
    plan = services.suggest_split(todo, members, services.member_loads(members))
    by_id = {m.pk: m for m in members}
    loads = services.member_loads(members)
    alleys = sorted(set(households.exclude(alley="").values_list("alley", flat=True)), key=vi_key)
    return render(request, "teams/assign.html", {
        "team": team, "members": [(m, loads.get(m.pk, 0)) for m in members], "unassigned": todo,
        "unassigned_total": services.unassigned(households).count(),
        "plan": [(by_id[mid], hs) for mid, hs in plan.items() if hs], "alleys": alleys,
        "memberships": team.current_memberships(), "move": request.GET.get("move", ""),
        "entered": entered, "errors": errors or {},
        # codes typed by hand (not ticked from the list of households without a member) go back in the box
        "typed": " ".join(c for c in entered.get("codes", []) if c not in {h.code for h in todo}),
        "ticked": {c for c in entered.get("codes", [])},
    }, status=400 if errors else 200)
