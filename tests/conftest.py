"""Shared fixtures: a small two-commune area with households, residents, teams and one user per role."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("NGOSO_DATA_DIR", "/tmp/ngoso-test-data")
# Jobs submitted inside the test process run at once in the submitting thread (huey's immediate mode, after
# the commit); tests/core/test_service.py runs the real queue with real worker processes.
os.environ.setdefault("NGOSO_JOBS_IMMEDIATE", "1")


@pytest.fixture(autouse=True, scope="session")
def _jobs_immediate():
    """pytest-django set Django up (and built the queue) before this file ran: switch the queue now."""
    from ngoso.core import jobs

    jobs.HUEY.immediate = os.environ.get("NGOSO_JOBS_IMMEDIATE") == "1"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Production keeps Django's slow PBKDF2; tests create many users and only need a hasher that works."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def area(db):
    """Province 24 with two communes (A: 07351, B: 07210), two villages in A, one in B, and a former commune."""
    from ngoso.places.models import Place, PlaceSuccession, PlaceType
    from ngoso.places.services import REFORM_DATE, add_village, FORMER_VALID_TO

    t = {x.code: x for x in PlaceType.objects.all()}
    province = Place(code="24", official_code="24", name="Tỉnh Bắc Ninh", short_name="Bắc Ninh", type=t["tinh"],
                     valid_from=REFORM_DATE)
    province.save()
    a = Place(code="07351", official_code="07351", name="Xã Ngọc Thiện", short_name="Ngọc Thiện", type=t["xa"],
              parent=province, valid_from=REFORM_DATE)
    a.save()
    b = Place(code="07210", official_code="07210", name="Phường Bắc Giang", short_name="Bắc Giang", type=t["phuong"],
              parent=province, valid_from=REFORM_DATE)
    b.save()
    old_province = Place(code="old-24", official_code="24", name="Tỉnh Bắc Giang", short_name="Bắc Giang",
                         type=t["tinh"], valid_to=FORMER_VALID_TO)
    old_province.save()
    old_district = Place(code="old-216", official_code="216", name="Huyện Tân Yên", short_name="Tân Yên",
                         type=t["huyen"], parent=old_province, valid_to=FORMER_VALID_TO)
    old_district.save()
    old_commune = Place(code="old-07360", official_code="07360", name="Xã Ngọc Thiện", short_name="Ngọc Thiện",
                        type=t["xa"], parent=old_district, valid_to=FORMER_VALID_TO)
    old_commune.save()
    old_commune2 = Place(code="old-07342", official_code="07342", name="Xã Việt Ngọc", short_name="Việt Ngọc",
                         type=t["xa"], parent=old_district, valid_to=FORMER_VALID_TO)
    old_commune2.save()
    PlaceSuccession.objects.create(predecessor=old_commune, successor=a, date=REFORM_DATE)
    PlaceSuccession.objects.create(predecessor=old_commune2, successor=a, date=REFORM_DATE)
    va1 = add_village(a, "Đồng Bụt", former_commune=old_commune)
    va2 = add_village(a, "Tân Lập", former_commune=old_commune2)
    vb1 = add_village(b, "Tổ dân phố số 1", "to-dan-pho")
    return type("Area", (), {"province": province, "a": a, "b": b, "va1": va1, "va2": va2, "vb1": vb1,
                             "old_province": old_province, "old_district": old_district,
                             "old_commune": old_commune, "old_commune2": old_commune2})


@pytest.fixture
def people(area):
    """Two households in commune A (one in each village), one in commune B."""
    from ngoso.people.models import Ethnicity, Household, Resident

    kinh = Ethnicity.objects.get(code="01")
    tay = Ethnicity.objects.get(code="02")
    h1 = Household.objects.create(code="H1", village=area.va1, alley="3", house_number="12", phone="0912345678",
                                  has_smartphone=True, poverty_status="poor", poverty_year=2025)
    r1 = Resident.objects.create(household=h1, full_name="Nguyễn Thị Lý", sex="female", birth_year=1978,
                                 ethnicity=kinh, phone="0987654321", relation="head")
    r2 = Resident.objects.create(household=h1, full_name="Trần Văn Bình", sex="male", birth_year=1950,
                                 ethnicity=kinh, relation="spouse")
    h2 = Household.objects.create(code="H2", village=area.va2)
    r3 = Resident.objects.create(household=h2, full_name="Hoàng Văn Nông", sex="male", birth_year=1990,
                                 ethnicity=tay, relation="head", disability=True)
    h3 = Household.objects.create(code="H3", village=area.vb1)
    r4 = Resident.objects.create(household=h3, full_name="Nguyễn Thị Lan", sex="female", birth_year=1985,
                                 ethnicity=kinh, relation="head", phone="0911222333")
    return type("People", (), {"h1": h1, "h2": h2, "h3": h3, "r1": r1, "r2": r2, "r3": r3, "r4": r4})


PASSWORD = "test-password-123"


@pytest.fixture
def users(area):
    from ngoso.accounts.models import Role
    from tests.factories import user as make

    return type("Users", (), {
        "province": make("tinh", Role.PROVINCE_ADMIN, area.province, is_staff=True, is_superuser=True),
        "commune_a": make("xa_a", Role.COMMUNE_STAFF, area.a, is_staff=True),
        "commune_b": make("xa_b", Role.COMMUNE_STAFF, area.b, is_staff=True),
        "radio": make("radio_a", Role.RADIO_OPERATOR, area.a),
        "leader": make("leader_a1", Role.TEAM_LEADER, area.va1),
        "member": make("member_a1", Role.MEMBER, area.va1),
        "viewer": make("viewer_a", Role.VIEWER, area.a),
        "nobody": make("noplace", Role.VIEWER, None),
    })


@pytest.fixture
def team(people, users, area):
    """The village team of A1 (``users.member`` a member, ``users.leader`` its leader) with household H1 assigned
    to the member; returns the member (tests/factories.py ``village_team``). tests/visits/test_visits.py has a
    larger team of its own under the same name."""
    from tests import factories

    return factories.village_team(area, users, [people.h1])


@pytest.fixture(scope="module")
def browser():
    """One real headless Chromium per test module (tests/browser.py has the launch arguments)."""
    import shutil

    from tests.browser import ARGS, CHROMIUM

    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do


# --- the security tests' counts (tests/measure.py), printed by `make test` ---------------------------------

def pytest_sessionfinish(session):
    from tests import measure

    if hasattr(session.config, "workeroutput"):  # an xdist worker: hand the counts to the controller
        session.config.workeroutput["ngoso_counts"] = dict(measure.COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from tests import measure

    measure.COUNTS.update(getattr(node, "workeroutput", {}).get("ngoso_counts", {}))


def pytest_terminal_summary(terminalreporter):
    from tests import measure

    if measure.COUNTS:
        terminalreporter.section("security measures")
        for line in measure.lines(measure.COUNTS):
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _language_reset():
    """Every test starts in the default language: a request made in English (EN cookie) leaves English active in
    the thread, and a later test calling a service directly would read English words."""
    from django.utils import translation

    yield
    translation.deactivate()


# --- a read replica configured (make test-replica): its alias is a mirror of the test database -------------

def pytest_collection_modifyitems(config, items):
    """With ``NGOSO_DATABASE_REPLICA_URL`` set, dashboards, exports and reports read the ``replica`` alias (a mirror
    of the test database, or the real standby in tests/core/test_db_replica.py): every database test may use it."""
    from django.conf import settings

    if "replica" not in settings.DATABASES:
        return
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        if marker is None:
            if "transactional_db" in item.fixturenames or "live_server" in item.fixturenames:
                kwargs["transaction"] = True
            elif "db" not in item.fixturenames:
                continue
        if not kwargs.get("databases"):
            kwargs["databases"] = ["default", "replica"]
            item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False)
