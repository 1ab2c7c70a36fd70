import pytest

from ngoso.accounts.scope import within
from ngoso.insights.counts import counts_under
from ngoso.insights.stats import stats
from ngoso.people.models import Household
from ngoso.places.models import Level, Place
from ngoso.places.services import add_village, load_official_places, short_name


def test_paths_and_levels(area):
    assert area.province.path == "24/"
    assert area.a.path == "24/07351/"
    assert area.va1.path == "24/07351/07351.001/"
    assert area.va1.level == Level.VILLAGE
    assert area.va1.former_path == "old-24/old-216/old-07360/07351.001/"
    assert [p.code for p in area.va1.ancestors()] == ["24", "07351"]


def test_subtree_query_is_exact_prefix(area):
    # A sibling whose code starts with the same digits must not leak in.
    from ngoso.places.models import PlaceType

    twin = Place(code="073510", name="Xã Giả", short_name="Giả", type=PlaceType.objects.get(code="xa"),
                 parent=area.province)
    twin.save()
    under_a = set(Place.objects.under(area.a).values_list("code", flat=True))
    assert under_a == {"07351", "07351.001", "07351.002"}
    assert "073510" not in under_a


def test_village_codes_are_sequential_and_types_kept(area):
    v = add_village(area.a, "Bản Mới", "ban")
    assert v.code == "07351.003" and v.name == "Bản Mới" and v.short_name == "Mới"


def test_add_village_refuses_non_commune(area):
    with pytest.raises(ValueError):
        add_village(area.province, "X")


def test_historic_rollup_uses_former_tree(people, area):
    # Households of the former commune Ngọc Thiện (until 2025) are those of its villages, wherever they sit now.
    assert set(within(Household.objects.all(), area.old_commune).values_list("code", flat=True)) == {"H1"}
    assert set(within(Household.objects.all(), area.old_district).values_list("code", flat=True)) == {"H1", "H2"}
    assert stats(area.old_district)["households"] == 2
    counts = counts_under(area.old_district)
    assert counts["old-07360"]["households"] == 1 and counts["old-07342"]["households"] == 1


def test_counts_under_current(people, area):
    counts = counts_under(area.province)
    assert counts["07351"] == {"households": 2, "residents": 3, "villages": 2}
    assert counts["07210"] == {"households": 1, "residents": 1, "villages": 1}


def test_official_list_loads_current_provinces_and_communes(db):
    counts = load_official_places(["24"])
    assert counts["provinces"] == 1 and counts["communes"] == 99
    bn = Place.objects.get(code="24")
    assert bn.name == "Tỉnh Bắc Ninh" and bn.level == Level.PROVINCE
    assert Place.objects.get(code="07351").name == "Xã Ngọc Thiện"
    assert Place.objects.filter(parent=bn).count() == 99
    # idempotent
    assert load_official_places(["24"]) == counts
    assert Place.objects.filter(parent=bn).count() == 99


def test_short_name():
    assert short_name("Thị xã Việt Yên") == "Việt Yên"
    assert short_name("Tổ dân phố số 3") == "số 3"
    assert short_name("Xã Ngọc Thiện") == "Ngọc Thiện"
