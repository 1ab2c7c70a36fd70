"""Fixtures shared by the poverty tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def many(area, users):
    """Twenty households in commune A for a hand-computable fixture."""
    from ngoso.people.models import Ethnicity, Household, Resident

    kinh, tay = Ethnicity.objects.get(code="01"), Ethnicity.objects.get(code="02")
    hs = []
    for i in range(20):
        h = Household.objects.create(code=f"R{i:02d}", village=area.va1 if i < 12 else area.va2,
                                     has_smartphone=i % 3 == 0)
        Resident.objects.create(household=h, full_name=f"Chủ hộ {i}", sex="female" if i < 5 else "male",
                                birth_year=1950 if i % 4 == 0 else 1985, ethnicity=tay if i >= 16 else kinh,
                                relation="head")
        hs.append(h)
    return hs
