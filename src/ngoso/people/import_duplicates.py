"""The import preview's likely duplicates: before anything is written, the new residents of a file are
matched against the registry (``people.duplicates``, the one scoring rule) within the communes the file
touches, and the user chooses per row: a new person, the same person as one already recorded (not created
again), or skip the row. ``people.io.import_people`` raises ``NeedsChoice`` when the file has such rows and
no choices were given; the import job keeps the file and the job page asks (``people/import_choose.html``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ngoso.accounts.scope import scoped
from ngoso.core.messages import Message, both
from ngoso.core.text import fold

from . import duplicates
from .models import Resident

CHOICES = ("new", "same", "skip")


class NeedsChoice(Exception):
    """The file has rows that may be people already recorded: nothing was written; ``rows`` lists them."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        super().__init__(both(Message(_("%(n)s rows may be people already recorded"), n=len(rows))))


def likely_duplicates(households: dict, existing: dict, user, *, limit: int = 500) -> list[dict]:
    """For the file's residents that are not already in their own household (those are updated, not created),
    the registry's likely matches. Each entry: row, name, birth year, household code and up to 3 matches."""
    incoming, where = [], {}
    known = {}
    if existing:
        for hid, name, by in Resident.objects.filter(household__in=existing.values()).values_list(
                "household_id", "search_name", "birth_year"):
            known.setdefault(hid, set()).add((name, by))
    villages = set()
    for hcode, draft in households.items():
        village = draft.values.get("village")
        if isinstance(village, dict):  # a village created by this file: nobody recorded there yet
            continue
        hh = existing.get(hcode)
        for r in draft.residents:
            if hh is not None and (fold(r["full_name"]), r["birth_year"]) in known.get(hh.pk, ()):
                continue
            row = {"id": -r["row"], "full_name": r["full_name"], "search_name": fold(r["full_name"]),
                   "sex": r["sex"], "birth_year": r["birth_year"], "phone_digits": r.get("phone") or "",
                   "household_id": hh.pk if hh else None, "household__village_id": village.pk}
            incoming.append(row)
            where[row["id"]] = (r["row"], hcode)
            villages.add(village)
    if not incoming:
        return []
    communes = {v.parent_id for v in villages}
    registry = duplicates.resident_rows(scoped(Resident.objects.filter(household__village__parent_id__in=communes), user))
    out = []
    found: dict[int, list] = {}
    for pair in duplicates.resident_pairs(incoming, registry, threshold=duplicates.WARN_THRESHOLD):
        found.setdefault(pair.a["id"], []).append(pair)
    for rid, pairs in sorted(found.items(), key=lambda kv: -kv[0])[:limit]:
        row, hcode = where[rid]
        a = pairs[0].a
        out.append({"row": row, "full_name": a["full_name"], "birth_year": a["birth_year"], "household": hcode,
                    "matches": [{"id": p.b["id"], "full_name": p.b["full_name"], "birth_year": p.b["birth_year"],
                                 "household": p.b["household__code"], "village": p.b["household__village__name"],
                                 "alley": p.b["household__alley"], "score": round(p.score * 100),
                                 "evidence_vi": ", ".join(e[1] for e in p.evidence),
                                 "evidence_en": ", ".join(e[2] for e in p.evidence)} for p in pairs[:3]]})
    out.sort(key=lambda x: x["row"])
    return out


def parse_choices(rows: list[dict], post) -> tuple[dict, list[str]]:
    """The user's answer per row from a form (``choice-<row>`` = new | skip | same:<resident id> among that
    row's matches). Returns (choices, missing rows)."""
    choices, missing = {}, []
    for entry in rows:
        value = post.get(f"choice-{entry['row']}", "")
        ids = {str(m["id"]) for m in entry["matches"]}
        if value in ("new", "skip") or (value.startswith("same:") and value[5:] in ids):
            choices[str(entry["row"])] = value
        else:
            missing.append(str(entry["row"]))
    return choices, missing
