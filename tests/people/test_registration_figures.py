"""Issue 19, "figures checked against a hand count before and after": a commune officer imports a list that
overlaps the registry (typos, missing accents, swapped birth years) choosing per likely duplicate, merges a pair
found at /duplicates/, undoes it, says another pair is not the same person and scans again. Before and after each
step the residents, households and skill levels of each village and of the commune, counted by hand from the
rows (plain ORM queries, not the counters' code), equal the dashboard page, its XLSX and the API."""

from __future__ import annotations

import io
import re
import time

import pytest
from openpyxl import load_workbook

from ngoso.people import duplicates
from ngoso.people.models import DuplicateDecision, Household, Merge, Resident
from ngoso.skills.models import Skill
from ngoso.visits import services as visits
from ngoso.visits.models import ResidentSkill
from tests.helpers import xlsx_bytes

SKILLS = ("zalo-messaging", "smartphone-basics")


def _hand(place) -> dict:
    """Counted from the rows: households someone lives in, residents living there, and per skill those living
    there who do it alone (2) or with help (1)."""
    hh = Household.objects.filter(village__path__startswith=place.path)
    res = Resident.objects.filter(household__village__path__startswith=place.path, status="")
    out = {"households": hh.filter(residents__status="").distinct().count(), "residents": res.count()}
    for code in SKILLS:
        for level, name in ((2, "alone"), (1, "with_help")):
            out[f"skills[{code}].{name}"] = ResidentSkill.objects.filter(
                resident__in=res, skill__code=code, skill__catalogue__is_current=True, level=level).count()
    return out


def _shown(client, place) -> list[dict]:
    """The same keys as the dashboard page shows them, in its XLSX's machine sheet and in the API."""
    html = client.get(f"/places/{place.code}/dashboard/").content.decode()
    page = dict(re.findall(r'data-k="([^"]+)" data-v="([^"]*)"', html))
    wb = load_workbook(io.BytesIO(client.get(f"/places/{place.code}/dashboard.xlsx").content))
    sheet = {r[0]: r[1] for r in wb.worksheets[-1].iter_rows(min_row=2, values_only=True)}
    api = client.get(f"/api/v1/places/{place.code}/indicators").json()
    flat = {"households": api["households"], "residents": api["residents"]}
    for s in api["skills"]:
        flat[f"skills[{s['code']}].alone"], flat[f"skills[{s['code']}].with_help"] = s["alone"], s["with_help"]
    keys = _hand(place).keys()
    return [{k: int(page[k]) for k in keys}, {k: sheet[k] for k in keys}, {k: flat[k] for k in keys}]


def _check(client, area, step):
    for place in (area.va1, area.va2, area.a):
        hand = _hand(place)
        for source, shown in zip(("page", "xlsx", "api"), _shown(client, place)):
            assert shown == hand, (step, place.code, source)
    return _hand(area.a)


def _wait(job):
    for _ in range(400):
        job.refresh_from_db()
        if job.status in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


@pytest.mark.django_db(transaction=True)  # the import job runs once its row is committed, as in production
def test_import_merge_undo_not_the_same_figures_equal_a_hand_count(people, area, users, team, login):
    from ngoso.core.models import Job

    for code in SKILLS:
        assert Skill.objects.filter(code=code, catalogue__is_current=True).exists(), code
    visits.record_visit(users.province, people.h1, visited_on=visits.timezone.localdate(), present=[people.r1.pk,
                        people.r2.pk], results=[visits.SkillResult(people.r1.pk, "zalo-messaging", 2),
                                                visits.SkillResult(people.r2.pk, "smartphone-basics", 1)])
    c = login(users.commune_a)
    before = _check(c, area, "before")

    # the village head's notebook: Lý (accents missing, birth year digits swapped), Bình (a typo), Nông (of
    # village 2, written in village 1) and one person nobody recorded
    def row(name, sex, year, rel, code="SO-1"):
        return {"Mã hộ": code, "Mã thôn": area.va1.code, "Ngõ": "3", "Số nhà": "40", "Họ và tên": name,
                "Giới tính": sex, "Năm sinh": year, "Dân tộc": "Kinh", "Quan hệ với chủ hộ": rel,
                "Đồng ý cho ghi nhận thông tin": "Có"}
    data = xlsx_bytes([row("Lê Văn Mới", "Nam", 1999, "Chủ hộ"), row("Nguyen Thi Ly", "Nữ", 1987, "Khác"),
                       row("Trần Văn Bính", "Nam", 1950, "Khác"), row("Hoang Van Nong", "Nam", 1990, "Chủ hộ", "SO-2")])
    resp = c.post("/import/", {"file": io.BytesIO(data) | _named("so-thon.xlsx")})
    job = _wait(Job.objects.get(kind="import_people"))
    assert resp.status_code == 302 and job.result.get("choose_count") == 3, job.result
    page = c.get(job.get_absolute_url()).content.decode()
    for name in ("Nguyễn Thị Lý", "Trần Văn Bình", "Hoàng Văn Nông"):
        assert name in page, name
    assert _check(c, area, "preview: nothing written") == before
    rows = {e["full_name"]: e["row"] for e in job.result["choose"]}
    c.post(f"/duplicates/import/{job.token}/", {f"choice-{rows['Nguyen Thi Ly']}": f"same:{people.r1.pk}",
                                                f"choice-{rows['Trần Văn Bính']}": "new",
                                                f"choice-{rows['Hoang Van Nong']}": "skip"})
    done = _wait(Job.objects.filter(kind="import_people").exclude(pk=job.pk).get())
    assert done.status == "done" and done.result["ok"], (done.error, done.result)
    binh2 = Resident.objects.get(full_name="Trần Văn Bính")
    # Nông's row was skipped: the household the list gave him is nobody's, and is not created
    assert Household.objects.filter(code="SO-1").exists() and not Household.objects.filter(code="SO-2").exists()
    assert done.result["households_created"] == 1
    assert _check(c, area, "imported")["residents"] == before["residents"] + 2
    # the new record is visited before anyone notices it is Bình again: his skill is on the copy
    visits.record_visit(users.province, binh2.household, visited_on=visits.timezone.localdate(), present=[binh2.pk],
                        results=[visits.SkillResult(binh2.pk, "zalo-messaging", 2)])
    after_import = _check(c, area, "imported and visited")
    assert (after_import["households"], after_import["residents"], after_import["skills[zalo-messaging].alone"]) == (
        before["households"] + 1, before["residents"] + 2, before["skills[zalo-messaging].alone"] + 1)

    # the scan finds Bình twice; merged at /duplicates/, the figures follow the person, not the rows
    assert c.post("/duplicates/scan/", {"place": area.a.code}).status_code == 302
    page = c.get(f"/duplicates/?place={area.a.code}").content.decode()
    assert "Trần Văn Bính" in page and "Trần Văn Bình" in page
    assert c.post("/duplicates/merge/", {"kind": "resident", "keep": people.r2.pk, "other": binh2.pk}).status_code == 302
    merged = _check(c, area, "merged")
    assert merged["residents"] == after_import["residents"] - 1 and merged["households"] == after_import["households"]
    # Bình does it alone now (moved from the copy): the same count of people, one person fewer
    assert ResidentSkill.objects.get(resident=people.r2, skill__code="zalo-messaging").level == 2
    assert merged["skills[zalo-messaging].alone"] == after_import["skills[zalo-messaging].alone"]
    m = Merge.objects.get()
    assert c.post(f"/duplicates/undo/{m.pk}/").status_code == 302
    assert _check(c, area, "undone") == after_import

    # not the same person after all: remembered, never proposed again, even after a new scan
    assert c.post("/duplicates/not-same/", {"kind": "resident", "keep": people.r2.pk, "other": binh2.pk}).status_code == 302
    assert DuplicateDecision.objects.filter(same=False).count() == 1
    assert c.post("/duplicates/scan/", {"place": area.a.code}).status_code == 302
    c.get(f"/duplicates/?place={area.a.code}")  # the flash message naming them, once
    page = c.get(f"/duplicates/?place={area.a.code}").content.decode()
    assert "Trần Văn Bính" not in page and "Không thấy bản ghi nào có thể trùng" in page
    assert not [p for p in duplicates.stored(users.commune_a, area.a) if binh2.pk in p.ids]
    assert _check(c, area, "not the same") == after_import


def _named(name):
    class Named:
        def __ror__(self, buf):
            buf.name = name
            return buf
    return Named()
