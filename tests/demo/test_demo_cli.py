"""The demo area (deterministic, realistic) and the ``ngoso`` command, end to end on a fresh database."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from ngoso.demo import builder


def _fingerprint() -> dict:
    from ngoso.people.models import Household, Resident
    from ngoso.places.models import Place
    from ngoso.teams.models import Membership
    from ngoso.visits.models import SkillRecord, Visit

    return {
        "places": list(Place.objects.order_by("code").values_list("code", "name", "former_parent__code")),
        "households": list(Household.objects.order_by("code").values_list(
            "code", "village__code", "alley", "house_number", "phone", "poverty_status", "has_smartphone",
            "latitude")),
        "residents": list(Resident.objects.order_by("uuid").values_list(
            "uuid", "household__code", "full_name", "sex", "birth_year", "ethnicity__code", "relation")),
        "visits": list(Visit.objects.order_by("uuid").values_list("uuid", "household__code", "member__full_name",
                                                                 "visited_on", "next_visit_on")),
        "skills": list(SkillRecord.objects.order_by("uuid").values_list("uuid", "resident__uuid", "skill__code",
                                                                       "level", "observed_on")),
        "members": list(Membership.objects.order_by("member__full_name", "team__place__code").values_list(
            "member__full_name", "member__phone", "team__place__code", "role", "started_on")),
    }


UNTIL = datetime.date(2026, 11, 27)


def test_demo_is_deterministic(db):
    builder.build("village", seed=7, progress=lambda m: None, until=UNTIL)
    first = _fingerprint()
    assert first["households"] and first["residents"] and first["members"] and first["visits"] and first["skills"]
    builder.reset_database()
    builder.build("village", seed=7, progress=lambda m: None, until=UNTIL)
    assert _fingerprint() == first
    builder.reset_database()
    builder.build("village", seed=8, progress=lambda m: None, until=UNTIL)
    other = _fingerprint()
    assert other["residents"] != first["residents"]


def test_demo_commune_is_realistic(db):
    from ngoso.accounts.models import Role, User
    from ngoso.people.models import Household, Resident
    from ngoso.people.targets import groups_of
    from ngoso.places.models import Level, Place, PlaceSuccession
    from ngoso.teams.models import Membership, Team

    summary = builder.build("commune", seed=42, progress=lambda m: None)
    commune = Place.objects.get(code=builder.DEMO_COMMUNE)
    # today's commune is linked to the former communes it was made of, and those to their district
    preds = PlaceSuccession.objects.filter(successor=commune).select_related("predecessor__parent")
    assert preds.count() >= 2
    assert {p.predecessor.parent.name for p in preds} == {"Huyện Tân Yên"}
    villages = Place.objects.filter(parent=commune, level=Level.VILLAGE)
    assert villages.count() == summary.counts["places"]["village"] > 20
    assert all(v.former_parent_id for v in villages)
    # one village team per village (4–9 members) and one commune team
    assert Team.objects.filter(level="village").count() == villages.count()
    sizes = Counter(Membership.objects.filter(team__level="village", ended_on__isnull=True)
                    .values_list("team_id", flat=True))
    assert min(sizes.values()) >= 4 and max(sizes.values()) <= 9
    assert Team.objects.filter(level="commune", place=commune).count() == 1
    # about 2.6 % poor households, plausible households and ages
    n = Household.objects.count()
    poor = Household.objects.filter(poverty_status="poor").count()
    assert 0.015 < poor / n < 0.04
    assert 3.0 < Resident.objects.count() / n < 5.0
    heads = Resident.objects.filter(relation="head").count()
    assert heads == n
    elderly = sum(1 for r in Resident.objects.select_related("household", "ethnicity")[:3000]
                  if "elderly" in groups_of(r))
    assert 150 < elderly < 1200
    # one login per role
    assert sorted(User.objects.values_list("role", flat=True)) == sorted(r.value for r in Role)
    assert len(summary.logins) == len(Role)
    # a year of door-to-door work, with dashboards that match the raw records
    from ngoso.insights import counters, dashboard
    from ngoso.insights.models import PlaceCounter
    from ngoso.visits.models import Assignment, HouseholdStatus, SkillRecord, Visit

    assert Assignment.objects.filter(ended_on__isnull=True).count() == n  # every household has a member
    assert 1.5 < Visit.objects.count() / n < 3.5 and SkillRecord.objects.count() > 5 * n
    d = dashboard.dashboard(commune)
    assert d["households"] == n and d["visits"]["total"] == Visit.objects.count()
    assert 0 < d["basic5"]["households"] == HouseholdStatus.objects.filter(basic5=True).count()
    counters.roll_up()  # the writes' deltas folded into the stored counters
    before = set(PlaceCounter.objects.values_list("place_id", "key", "value"))
    counters.rebuild()
    assert set(PlaceCounter.objects.values_list("place_id", "key", "value")) == before
    # the demo member has a day's list
    from ngoso.visits.services import todays_list

    member_user = User.objects.get(username="thanhvien")
    assert len(todays_list(member_user.member).stops) > 5
    # the field logins are their members by name (the page header: name · role · place, no word said twice)
    for username in ("totruong", "thanhvien"):
        u = User.objects.get(username=username)
        assert u.get_full_name() == u.member.full_name != u.get_role_display()


def test_mountain_communes_have_more_ethnic_minorities(db):
    from ngoso.people.models import Resident

    summary = builder.build("province", seed=3, progress=lambda m: None, density=0.03, activity=False)
    # the whole former province: 10 districts, ≈192 former communes, ≈1,891 villages
    assert summary.counts["historic_places"] == {"province": 1, "district": 10, "commune": 192}
    assert 1700 < summary.counts["places"]["village"] < 2100
    assert summary.communes == 58 and summary.former_communes == 192

    def share(district_names):
        qs = Resident.objects.filter(household__village__former_parent__parent__short_name__in=district_names)
        return qs.exclude(ethnicity__code="01").count() / max(1, qs.count())
    assert share(["Sơn Động", "Lục Ngạn"]) > 3 * share(["Việt Yên", "Yên Dũng", "Hiệp Hòa"])


# --- the command, in a subprocess on a brand-new SQLite database -------------------------------------

def _ngoso(tmp_path, *args, check=True):
    env = dict(os.environ, NGOSO_DATA_DIR=str(tmp_path / "data"))
    env.pop("NGOSO_DATABASE_URL", None)
    p = subprocess.run([sys.executable, "-m", "ngoso", *args], env=env, capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def test_command_end_to_end(tmp_path):
    built = _ngoso(tmp_path, "demo", "--scale", "village", "--no-serve", "--seed", "5")
    assert "ngoso-demo-2026" in built.stdout and "tinh" in built.stdout
    again = _ngoso(tmp_path, "demo", "--scale", "village", "--no-serve", check=False)
    assert again.returncode == 2 and "--reset" in again.stderr

    st = json.loads(_ngoso(tmp_path, "stats", "--json").stdout)
    assert set(st) >= {"places", "households", "residents", "teams", "members"}
    assert set(st["places"]) == {"province", "commune", "village"}
    assert st["places"]["village"] == 1 and st["households"] > 40 and st["residents"] > st["households"]
    assert st["teams"] == 2 and 4 <= st["members"]

    out = tmp_path / "thon.xlsx"
    exported = _ngoso(tmp_path, "export", f"{builder.DEMO_COMMUNE}.001", str(out))
    assert out.exists() and "exported" in exported.stdout
    # the export re-imports without changes (round trip through the command)
    back = _ngoso(tmp_path, "import", str(out))
    assert "hộ mới 0" in back.stdout and "người mới 0" in back.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("Mã hộ,Mã thôn,Họ và tên,Giới tính,Năm sinh,Dân tộc,Quan hệ với chủ hộ\n"
                   f"X1,{builder.DEMO_COMMUNE}.001,Nguyễn Văn A,Nam,2099,Kinh,Chủ hộ\n", encoding="utf-8")
    failed = _ngoso(tmp_path, "import", str(bad), check=False)
    assert failed.returncode == 3
    assert "bad.csv, dòng 2, cột «Năm sinh»" in failed.stderr
    assert json.loads(_ngoso(tmp_path, "stats", "--json").stdout)["households"] == st["households"]

    missing = _ngoso(tmp_path, "export", "nowhere", str(tmp_path / "x.xlsx"), check=False)
    assert missing.returncode == 2 and "nowhere" in missing.stderr


def test_help_works_without_a_database(tmp_path):
    p = _ngoso(tmp_path, "--help")
    for name in ("demo", "serve", "import", "export", "stats"):
        assert name in p.stdout
    assert not (tmp_path / "data").exists()


def test_createuser_roles_match_model():
    from ngoso.accounts.models import Role
    from ngoso.commands.createuser import ROLES

    assert set(ROLES) == {r.value for r in Role}
