"""Loading the versioned skill catalogue from its data files."""

from __future__ import annotations

import json
from importlib import resources

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ngoso.core.messages import UserError

from .models import Area, Catalogue, Skill

CURRENT_FILE = "catalogue_v1.json"


class CatalogueError(UserError, ValueError):
    """A skill catalogue file that cannot be loaded (names the skill and the fault)."""


def read_catalogue_file(name: str = CURRENT_FILE) -> dict:
    return json.loads(resources.files("ngoso.skills").joinpath("data", name).read_text("utf-8"))


def validate(data: dict) -> None:
    codes = [s["code"] for s in data["skills"]]
    if len(codes) != len(set(codes)):
        raise CatalogueError(_("duplicate skill codes"))
    areas = {a["code"] for a in data["areas"]}
    graph = {}
    for s in data["skills"]:
        if s["area"] not in areas:
            raise CatalogueError(_("skill %(skill)s: unknown area %(area)s"), skill=s["code"], area=s["area"])
        for p in s.get("prerequisites", []):
            if p not in codes:
                raise CatalogueError(_("skill %(skill)s: unknown prerequisite %(p)s"), skill=s["code"], p=p)
        graph[s["code"]] = s.get("prerequisites", [])
    state: dict[str, int] = {}

    def visit(c, trail):
        if state.get(c) == 1:
            raise CatalogueError(_("prerequisite cycle: %(cycle)s"), cycle=" -> ".join([*trail, c]))
        if state.get(c) == 2:
            return
        state[c] = 1
        for p in graph[c]:
            visit(p, [*trail, c])
        state[c] = 2

    for c in graph:
        visit(c, [])


@transaction.atomic
def load_catalogue(data: dict | None = None, make_current: bool = True) -> Catalogue:
    """Create or update one catalogue version. Idempotent; codes are never reused across meanings."""
    data = data or read_catalogue_file()
    validate(data)
    cat, _ = Catalogue.objects.update_or_create(
        version=str(data["version"]),
        defaults={"valid_from": data["valid_from"], "title_vi": data["title_vi"], "title_en": data["title_en"],
                  "sources": data.get("sources", [])},
    )
    areas = {}
    for i, a in enumerate(data["areas"]):
        areas[a["code"]], _ = Area.objects.update_or_create(
            catalogue=cat, code=a["code"],
            defaults={"name_vi": a["name_vi"], "name_en": a["name_en"], "order": a.get("order", i)},
        )
    skills = {}
    for i, s in enumerate(data["skills"]):
        skills[s["code"]], _ = Skill.objects.update_or_create(
            catalogue=cat, code=s["code"],
            defaults={
                "area": areas[s["area"]], "order": s.get("order", i), "name_vi": s["name_vi"],
                "name_en": s["name_en"], "i_can_vi": s["i_can_vi"], "i_can_en": s["i_can_en"],
                "description_vi": s.get("description_vi", ""), "description_en": s.get("description_en", ""),
                "audience_note_vi": s.get("audience_note_vi", ""), "basic5": s.get("basic5") or "",
                "province_focus": bool(s.get("province_focus")), "frameworks": s.get("frameworks", {}),
                "min_age": int(s.get("min_age", 0)),
            },
        )
    for s in data["skills"]:
        skills[s["code"]].prerequisites.set([skills[p] for p in s.get("prerequisites", [])])
    if make_current:
        Catalogue.objects.exclude(pk=cat.pk).update(is_current=False)
        Catalogue.objects.filter(pk=cat.pk).update(is_current=True)
        cat.is_current = True
    return cat


def current_catalogue() -> Catalogue:
    return Catalogue.objects.get(is_current=True)
