"""The indicators of one place, as one structure: the page, the report (XLSX, PDF: ``report``) and the JSON API all
show it.

Everything comes from the incrementally maintained counters (``counters``), so a dashboard costs a
few small queries whatever the size of the place, and shows a visit recorded a moment ago; other apps add
their figures as providers (``providers``: poverty, livelihoods).
"""

from __future__ import annotations

import datetime

from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from ngoso.core.db import reading_from_replica
from ngoso.core.text import vi_order
from ngoso.places.models import Level, Place
from ngoso.skills.models import Skill

from . import providers
from .counters import HH_GROUPS, RES_GROUPS, RECENT_DAYS, built_for, counters, counters_for, read, week_start
from .models import CounterDelta, PlaceCounter

GROUP_LABELS = {
    "elderly": ("Người cao tuổi (60+)", "Elderly (60+)"),
    "poor": ("Hộ nghèo, cận nghèo", "Poor or near-poor"),
    "minority": ("Dân tộc thiểu số", "Ethnic minority"),
    "disability": ("Người khuyết tật", "Disability"),
    "women": ("Phụ nữ", "Women"),
}
WEEKS = 26
NO_VISIT_DAYS = RECENT_DAYS
LISTED = 30  # villages named in each "left behind" list (their number is a counter)


def pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def _villages_under(place: Place):
    if place.is_current:
        return Place.objects.under(place).filter(level=Level.VILLAGE, valid_to__isnull=True)
    return Place.objects.formerly_under(place).filter(level=Level.VILLAGE)


def _children(place: Place) -> list[Place]:
    if place.level == Level.VILLAGE:
        return []
    kids = list(Place.objects.filter(parent=place).order_by(vi_order("name"), "code"))  # Đình after Dĩnh, not after Yên
    if not place.is_current and place.level == Level.COMMUNE:
        kids = list(Place.objects.formerly_under(place).filter(former_parent=place).order_by(vi_order("name"), "code"))
    return kids


def _flag(key: str):
    """A village's counter ``key`` (stored + not yet folded), as an expression on a Place queryset."""
    stored = PlaceCounter.objects.filter(place_id=OuterRef("pk"), key=key).values("value")[:1]
    pending = (CounterDelta.objects.filter(place_id=OuterRef("pk"), key=key).order_by().values("place_id")
               .annotate(s=Sum("value")).values("s"))
    return Coalesce(Subquery(stored), 0) + Coalesce(Subquery(pending), 0)


def villages_lacking(place: Place, key: str, limit: int = LISTED) -> list[tuple[int, str, str]]:
    """The first ``limit`` villages of ``place`` (Vietnamese order) whose counter ``key`` (``vteam``,
    ``vrecent``) is 0: one query, however many villages the place has."""
    villages = _villages_under(place)
    if built_for() is None:  # counters never built: computed for the read (small areas only)
        rows = list(villages.order_by(vi_order("name"), "code").values_list("id", "code", "name"))
        c = counters_for([r[0] for r in rows], [key])
        return [r for r in rows if not c[r[0]][key]][:limit]
    return list(villages.annotate(flag=_flag(key)).filter(flag=0).order_by(vi_order("name"), "code")
                .values_list("id", "code", "name")[:limit])


def dashboard(place: Place, today: datetime.date | None = None, user=None) -> dict:
    """The figures of ``place`` (page, XLSX, API), read from the read replica when one is configured. With a
    ``user`` (the page, its report, the API), only the providers' figures that user may see
    (``providers.may_see``); without one, all of them."""
    with reading_from_replica():
        data = _dashboard(place, today)
    return data if user is None else providers.only_visible(data, user, place)


def _dashboard(place: Place, today: datetime.date | None) -> dict:
    today = today or timezone.localdate()
    c = counters(place)
    hh, res = c["hh"], c["res"]
    skills = []
    for s in Skill.objects.filter(catalogue__is_current=True).select_related("area").order_by("area__order", "order"):
        alone, helped = c[f"sk:{s.pk}:2"], c[f"sk:{s.pk}:1"]
        skills.append({
            "code": s.code, "name_vi": s.name_vi, "name_en": s.name_en, "basic5": s.basic5 or None,
            "alone": alone, "alone_pct": pct(alone, res), "with_help": helped, "with_help_pct": pct(helped, res),
            "by_group": {g: {"residents": c[f"res:{g}"], "alone": c[f"sk:{s.pk}:2:{g}"],
                             "alone_pct": pct(c[f"sk:{s.pk}:2:{g}"], c[f"res:{g}"]),
                             "with_help": c[f"sk:{s.pk}:1:{g}"]} for g in RES_GROUPS},
        })
    this_week = week_start(today)
    weeks = [(this_week - datetime.timedelta(weeks=i)) for i in range(WEEKS - 1, -1, -1)]
    no_team = villages_lacking(place, "vteam") if c["nvill"] > c["vteam"] else []
    quiet = villages_lacking(place, "vrecent") if c["nvill"] > c["vrecent"] else []
    lastv = read([v[0] for v in quiet], ["lastv"])
    kids = _children(place)
    kc = counters_for([k.pk for k in kids], ["hh", "res", "b5hh", "v", "nvill", "vteam", "vrecent",
                                             *[f"vw:{w.isoformat()}" for w in weeks[-4:]]])
    return {
        "place": {"code": place.code, "name": place.name, "level": place.level, "current": place.is_current},
        "as_of": today.isoformat(),
        "villages": c["nvill"], "villages_with_team": c["vteam"],
        "households": hh, "residents": res,
        "groups": {g: {"residents": c[f"res:{g}"], "residents_pct": pct(c[f"res:{g}"], res),
                       "basic5_residents": c[f"b5res:{g}"], "basic5_residents_pct": pct(c[f"b5res:{g}"], c[f"res:{g}"])}
                   for g in RES_GROUPS},
        "basic5": {
            "households": c["b5hh"], "households_pct": pct(c["b5hh"], hh),
            "residents": c["b5res"], "residents_pct": pct(c["b5res"], res),
            "by_household_group": {g: {"households": c[f"hh:{g}"], "basic5": c[f"b5hh:{g}"],
                                       "basic5_pct": pct(c[f"b5hh:{g}"], c[f"hh:{g}"])} for g in HH_GROUPS},
        },
        "skills": skills,
        "visits": {"total": c["v"], "weeks": [{"week": w.isoformat(), "visits": c[f"vw:{w.isoformat()}"]}
                                              for w in weeks]},
        "villages_without_team_count": c["nvill"] - c["vteam"],
        "villages_without_team": [{"code": code, "name": name} for vid, code, name in no_team],
        "villages_without_recent_visit_count": c["nvill"] - c["vrecent"],
        "villages_without_recent_visit": [{"code": code, "name": name,
                                           "last_visit": (datetime.date.fromordinal(lastv[vid]["lastv"]).isoformat()
                                                          if lastv[vid]["lastv"] else None)}
                                          for vid, code, name in quiet],
        "children": [{"code": k.code, "name": k.name, "households": kc[k.pk]["hh"], "residents": kc[k.pk]["res"],
                      "basic5_households": kc[k.pk]["b5hh"], "basic5_pct": pct(kc[k.pk]["b5hh"], kc[k.pk]["hh"]),
                      "visits_4_weeks": sum(kc[k.pk][f"vw:{w.isoformat()}"] for w in weeks[-4:]),
                      "villages": kc[k.pk]["nvill"], "villages_with_team": kc[k.pk]["vteam"],
                      "villages_recently_visited": kc[k.pk]["vrecent"]} for k in kids],
        **providers.figures(place, today, hh, kids),
    }


def flatten(data: dict) -> list[tuple[str, object]]:
    """(key, value) pairs of every figure, in a stable order: the keys of the page, the API and the report's
machine-readable sheet (``report``)."""
    out: list[tuple[str, object]] = []

    def walk(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{prefix}.{k}" if prefix else k, x)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                tag = (x.get("code") or x.get("week") or x.get("month") or x.get("year")) if isinstance(x, dict) else None
                walk(f"{prefix}[{tag if tag is not None else i}]", x)
        else:
            out.append((prefix, v))

    walk("", data)
    return out
