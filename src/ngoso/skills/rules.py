"""The national "5 basic digital skills" target, defined once.

A resident *has the basic five* when they do every basic-5 skill of the current catalogue (``Skill.basic5``
set) at level ``BASIC5_LEVEL`` (alone); a household has them when one of its residents does. Everything
that counts or checks this — the dashboards' counters, the household status, visit priorities, the demo —
calls the functions here:

- ``basic5_skill_ids()`` which skills (the current catalogue's, from the database);
- ``has_basic_five(levels, ids)`` the rule on one person's levels (pure Python);
- ``residents_with_basic_five(rows, ids)`` the rule over many (resident, skill, level) rows (pure Python);
- ``basic_five_filter(ids)`` the same rule as a database filter on current levels, for grouped SQL counts:
  rows passing it, counted per resident, reach ``len(ids)`` exactly for those ``has_basic_five`` accepts
  (each (resident, skill) has one current level). ``tests/web/test_rules.py`` checks the two agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from django.db.models import Q

from .models import Level, Skill

BASIC5_LEVEL = Level.ALONE


def basic5_skill_ids() -> frozenset[int]:
    """The basic-5 skills of the current catalogue (empty when no catalogue is loaded)."""
    return frozenset(Skill.objects.filter(catalogue__is_current=True).exclude(basic5="")
                     .values_list("id", flat=True))


def has_basic_five(levels: Mapping[int, int], basic5: Collection[int] | None = None) -> bool:
    """Does someone with these current levels (skill id -> level) do all the basic-5 skills alone?"""
    basic5 = basic5_skill_ids() if basic5 is None else basic5
    return bool(basic5) and all(levels.get(s) == BASIC5_LEVEL for s in basic5)


def residents_with_basic_five(rows: Iterable[tuple[int, int, int]], basic5: Collection[int] | None = None
                              ) -> set[int]:
    """The residents, among (resident id, skill id, level) rows of current levels (one row per resident and
    skill, as ``ResidentSkill`` holds them), who have the basic five: ``has_basic_five`` counted over rows, as
    ``basic_five_filter`` counts them in SQL (the dashboards call this for every resident of a province)."""
    basic5 = basic5_skill_ids() if basic5 is None else basic5
    if not basic5:
        return set()
    n: dict[int, int] = {}
    for rid, sid, level in rows:
        if level == BASIC5_LEVEL and sid in basic5:
            n[rid] = n.get(rid, 0) + 1
    return {rid for rid, k in n.items() if count_reaches_basic_five(k, basic5)}


def basic_five_filter(basic5: Collection[int] | None = None, prefix: str = "") -> Q:
    """The current-level rows that count towards the basic five (``prefix`` reaches them from another model).
    A resident has the basic five when ``len(basic5)`` of their rows pass (see ``count_reaches_basic_five``)."""
    basic5 = basic5_skill_ids() if basic5 is None else basic5
    return Q(**{f"{prefix}level": BASIC5_LEVEL, f"{prefix}skill_id__in": list(basic5)})


def count_reaches_basic_five(n: int, basic5: Collection[int]) -> bool:
    """Given ``n`` rows of one resident passing ``basic_five_filter(basic5)``: do they have the basic five?"""
    return bool(basic5) and n >= len(basic5)


# --- which skills to offer someone (age and prerequisites) -------------------------------------------------

def age_in(birth_year: int | None, year: int) -> int | None:
    return None if not birth_year else max(0, year - birth_year)


def offered(skills: Iterable[Skill], levels: Mapping[int, int], age: int | None) -> list[Skill]:
    """The skills to offer someone next, in catalogue order: not yet done alone, every prerequisite done
    alone, and old enough (``Skill.min_age``, data in the catalogue file; an unknown age is offered all).
    The one rule for the visit form, the resident's page, lessons' suggestions and the field app.
    ``skills`` should have their prerequisites prefetched."""
    return [s for s in skills
            if levels.get(s.pk, 0) < Level.ALONE
            and (age is None or age >= s.min_age)
            and all(levels.get(p.pk) == Level.ALONE for p in s.prerequisites.all())]
