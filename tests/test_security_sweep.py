"""The security sweep (issue 14, "Measure"): every URL that takes an object, for every role of commune A,
filled with commune B's objects; and injection payloads in every free-text field, rendered back.

Printed by `make test` through tests/measure.py:
  "cross-area requests tried: N, leaked: 0"   — each a real request whose answer is checked for B's data
                                                 and whose side effects (row counts, audit entries) are counted;
  "injection payloads tried: N, executed: 0"  — each payload written through a real path, then every page,
                                                 JSON answer and XLSX that shows it is checked.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid

import pytest
from django.test import Client

from tests import measure

TODAY = datetime.date.today()

# B's data that must never reach a user of commune A: names, household codes, phones, texts.
B_NAME = "Đỗ Thị Bíẩn"
B_CODE = "HBX-7731"
B_PHONE = "0977001122"
B_MARKERS = (B_NAME, B_CODE, B_PHONE, "Nguyễn Thị Lan", "0911222333", "Bí mật phường B", "Tổ Bắc Giang B")


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def world_b(people, users, area, settings, tmp_path):
    """Commune B holds one of everything that has an area: a household and residents, a team with a member
    who visited, a skill record, a device token, an export job with its file, a producer with a product,
    photo and channel, a story with a photo, a speaker cluster, a bulletin, a programme, an emergency, an
    alert and a local abbreviation."""
    from django.utils import timezone

    from ngoso.accounts.models import Role, User
    from ngoso.core.models import Job
    from ngoso.livelihoods import services as liv
    from ngoso.people.models import Ethnicity, Household, Resident
    from ngoso.radio import services as radio
    from ngoso.radio.models import Alert, LocalAbbreviation
    from ngoso.skills.models import Skill
    from ngoso.sync.models import DeviceToken
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services as visits

    kinh = Ethnicity.objects.get(code="01")
    hb = Household.objects.create(code=B_CODE, village=area.vb1, alley="Ngõ Bí mật phường B", phone=B_PHONE,
                                  poverty_status="poor", poverty_year=2025)
    rb = Resident.objects.create(household=hb, full_name=B_NAME, sex="female", birth_year=1960, ethnicity=kinh,
                                 phone="0977001133", relation="head", disability=True)
    member_b = User(username="member_b", role=Role.MEMBER, place=area.vb1)
    member_b.set_password("x-password-123")
    member_b.save()
    team = Team.objects.create(place=area.vb1, level="village", name="Tổ Bắc Giang B")
    mb = Member.objects.create(place=area.vb1, full_name="Phạm Bí mật phường B", user=member_b)
    Membership.objects.create(member=mb, team=team, role="member", started_on="2024-01-01")
    skill = Skill.objects.get(catalogue__is_current=True, code="zalo-messaging")
    visit, _ = visits.record_visit(member_b, hb, visited_on=TODAY, note="Bí mật phường B",
                                   results=[visits.SkillResult(rb.pk, skill.pk, 1)])
    device, _ = DeviceToken.issue(member_b, "Redmi B")
    export = tmp_path / "b-export.xlsx"
    export.write_bytes(f"{B_NAME} {B_PHONE}".encode())
    job = Job.objects.create(kind="export_people", status=Job.Status.DONE, params={"place": area.b.code},
                             created_by=users.commune_b, place_path=area.b.path, file=str(export),
                             finished_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(hours=1))
    producer = liv.create_producer(hb, users.commune_b, name="Bánh Bí mật phường B", person=rb,
                                   description="Bí mật phường B", phone=B_PHONE)
    from ngoso.livelihoods.models import Product

    product = Product.objects.create(producer=producer, name="Bánh Bí mật phường B", description="Bí mật phường B")
    product_photo = liv.add_product_photo(product, _png(), "b.png", users.commune_b, caption="Bí mật phường B")
    channel = liv.add_channel(producer, users.commune_b, kind="social", platform="Zalo", since=TODAY,
                              address=B_PHONE)
    story = liv.save_story(None, {"title": "Bí mật phường B", "before": B_NAME, "change": "Sau."},
                           users.commune_b, resident=rb)
    story_photo = liv.add_story_photo(story, _png(), "s.png", users.commune_b, caption="Bí mật phường B")
    cluster, _ = radio.register_cluster(place=area.vb1, code="CLB-B1", name="Loa Bí mật phường B")
    bulletin = radio.create_bulletin(title="Bí mật phường B", text=f"Gọi {B_PHONE}.", category="health",
                                     place=area.b, author=users.commune_b)
    programme = radio.create_programme(place=area.b, title="Bí mật phường B", times=["06:00"], targets=[area.b],
                                       start_date=TODAY, bulletin=bulletin, user=users.commune_b)
    emergency = radio.send_emergency(title="Bí mật phường B", text=f"Gọi {B_PHONE}.", targets=[area.b],
                                     user=users.commune_b)
    alert = Alert.objects.create(kind="offline", cluster=cluster, place_path=area.vb1.path, key="b-offline",
                                 message="Loa Bí mật phường B")
    abbr = LocalAbbreviation.objects.create(place=area.b, abbreviation="BMB", reading="Bí mật phường B",
                                            created_by=users.commune_b)
    from ngoso.people.models import Consent
    from ngoso.poverty.models import AccessSite, PovertyReview, VillageSurvey

    Consent.objects.create(resident=rb, given=True)
    liv.record_public_consent(rb, "story", True, users.commune_b, naming="short", story=story)
    visits.assign(users.commune_b, [hb], mb)
    AccessSite.objects.create(code="SITE-B", kind=AccessSite.Kind.values[0], village=area.vb1)
    VillageSurvey.objects.create(village=area.vb1, mobile="4G")
    PovertyReview.objects.create(household=hb, year=2025, standard="2022-2025", area_type="urban", income=1234567,
                                 status="poor")
    return type("WorldB", (), {
        "household": hb, "resident": rb, "member_user": member_b, "team": team, "visit": visit,
        "record": visit.skill_records.get(), "device": device, "job": job, "producer": producer,
        "product": product, "product_photo": product_photo, "channel": channel, "story": story,
        "story_photo": story_photo, "cluster": cluster, "bulletin": bulletin, "programme": programme,
        "emergency": emergency, "alert": alert, "abbr": abbr})


# --- enumerating the URL patterns ---------------------------------------------------------------------------

def _patterns():
    """Every (route, converters) of the site, admin included; routes joined from their resolvers."""
    from django.urls import URLResolver, get_resolver

    def walk(res, prefix=""):
        for p in res.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            else:
                route = prefix + str(p.pattern)
                yield re.sub(r"\(\?P<app_label>[^)]*\)", "(?P<app_label>…)", route)

    return sorted(set(walk(get_resolver())))


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")

# Patterns that take an object but cannot be filled with one of commune B's, each with its reason. A new URL that
# takes an argument lands here (the test fails) until it is filled in _fill() or given a reason below.
UNFILLED = {
    "lessons/<slug:skill>/": "a lesson is national content, not an area's",
    "lessons/<slug:skill>/audio/<slug:audience>/<slug:part>.ogg": "national lesson content",
    "lessons/<slug:skill>/handout.pdf": "national lesson content",
    "lessons/<slug:skill>/check/": "national lesson content",
    "lessons/<slug:skill>/edit/": "national lesson content (province admin only, tested in test_lessons)",
    "lessons/<slug:skill>/history/": "national lesson content",
    "lessons/<slug:skill>/restore/<int:pk>/": "national lesson content",
    "livelihoods/articles/<slug:slug>/": "farming articles are national content",
    "livelihoods/articles/<slug:slug>/edit/": "farming articles are national content",
    "livelihoods/articles/<slug:slug>/send/": "national content; sending to a B household is the household form",
    "livelihoods/articles/<slug:slug>/bulletin/": "national content",
    "api/v1/livelihoods/articles/<slug>": "farming articles are national content",
    "import/<slug:kind>/": "a kind of import, not an object (the rows' areas are checked in test_scoping)",
    "radio/device/v1/audio/<str:name>": "speaker-token API, not a login; tested in test_radio",
    "p/<str:code>/qr.<str:kind>": "a QR code of the public address only",
    "admin/(?P<url>.*)$": "the admin's catch-all, not an object",
    "admin/^(?P<app_label>…)/$": "an app index, not an object",
}


def _admin_models():
    from django.contrib import admin

    return {f"admin/{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry}


def _b_object(model, w, area):
    """One of commune B's objects of ``model``, or None when the model has no area."""
    path = getattr(model, "SCOPE_PATH", None)
    if model._meta.label == "places.Place":
        return area.b
    if model._meta.label in ("accounts.User",):
        return w.member_user
    if not path:
        return None
    return model.objects.filter(**{f"{path}__startswith": area.b.path}).first()


def _fill(route, w, people, area):
    """The route with its arguments taken from commune B's objects, or None."""
    from ngoso.livelihoods.models import ProductPhoto

    by_route = {
        "places/<str:code>/": area.b.code,
        "households/<str:code>/": B_CODE,
        "households/<str:code>/producer/new/": B_CODE,
        "visit/<str:code>/": B_CODE,
        "residents/<uuid:uuid>/": w.resident.uuid,
        "livelihoods/producers/<uuid:uuid>/": w.producer.uuid,
        "livelihoods/stories/<uuid:uuid>/": w.story.uuid,
        "skill-records/<int:pk>/": w.record.pk,
        "teams/<int:pk>/": w.team.pk,
        "devices/<int:pk>/": w.device.pk,
        "jobs/<str:token>/": w.job.token,
        "livelihoods/channels/<int:pk>/": w.channel.pk,
        "radio/clusters/<str:code>/": w.cluster.code,
        "radio/abbreviations/<int:pk>/": w.abbr.pk,
        "radio/bulletins/<int:pk>/": w.bulletin.pk,
        "radio/programmes/<int:pk>/": w.programme.pk,
        "radio/emergency/<int:pk>/": w.emergency.pk,
        "radio/alerts/<int:pk>/": w.alert.pk,
        "api/v1/places/<code>": area.b.code,
        "api/v1/livelihoods/places/<code>": area.b.code,
        "api/v1/sync/devices/<device_id>": w.device.pk,
        "p/<str:code>/": w.producer.public_code,
        "stories/<str:code>/": w.story.public_code,
    }
    out = route
    for prefix, value in by_route.items():
        if route.startswith(prefix):
            out = route.replace(prefix, PARAM.sub(str(value), prefix, count=1), 1)
            break
    subs = {"products/<int:pk>/": f"products/{w.product.pk}/",
            "<slug:kind>/<int:pk>/": None, "<int:pk>-<str:size>": None,
            "<slug:action>/": "approve/", "<slug:size>/": "thumb/"}
    if route.startswith("livelihoods/photos/<slug:kind>/<int:pk>/"):
        out = out.replace("<slug:kind>/<int:pk>/", f"product/{w.product_photo.pk}/")
    if route == "p/<str:code>/img/<int:pk>-<str:size>":
        out = f"p/{w.producer.public_code}/img/{w.product_photo.pk}-thumb"
    if route == "stories/<str:code>/img/<int:pk>-<str:size>":
        out = f"stories/{w.story.public_code}/img/{w.story_photo.pk}-thumb"
    for k, v in subs.items():
        if v and k in out:
            out = out.replace(k, v)
    assert ProductPhoto.objects.filter(pk=w.product_photo.pk).exists()
    if route == "admin/accounts/user/<id>/password/":
        return f"/admin/accounts/user/{w.member_user.pk}/password/"
    if route == "admin/r/<path:content_type_id>/<path:object_id>/":
        from django.contrib.contenttypes.models import ContentType

        return f"/admin/r/{ContentType.objects.get_for_model(w.resident).pk}/{w.resident.pk}/"
    for prefix, model in _admin_models().items():
        if route.startswith(prefix + "<path:object_id>/"):
            obj = _b_object(model, w, area)
            if obj is None:
                return None
            out = route.replace("<path:object_id>", str(obj.pk))
    return None if PARAM.search(out) else "/" + out


# --- what counts as a leak ----------------------------------------------------------------------------------

def _counts():
    """Rows of every project model (audit entries among them), to see that a refused request wrote nothing."""
    from django.apps import apps
    from django.db import connection

    global _COUNT_SQL
    if _COUNT_SQL is None:
        tables = sorted({m._meta.db_table for m in apps.get_models()
                         if m.__module__.startswith("ngoso.") and m._meta.label not in ("sync.DeviceToken",)})
        q = connection.ops.quote_name
        _COUNT_SQL = (tables, "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {q(t)})" for t in tables))
    tables, sql = _COUNT_SQL
    with connection.cursor() as cur:
        cur.execute(sql)
        return dict(zip(tables, cur.fetchone()))


_COUNT_SQL = None


def _body(resp) -> str:
    if getattr(resp, "streaming", False):
        return b"".join(resp.streaming_content).decode("utf-8", "replace")
    return resp.content.decode("utf-8", "replace")


def _carries_b(text: str) -> list[str]:
    return [m for m in B_MARKERS if m in text]


def _answer(client, method, url):
    """(status after redirects to success, text of the final answer)."""
    data = {"name": "x", "title": "x", "text": "x", "level": "2", "action": "approve", "note": "x",
            "reason": "x", "confirm": "yes", "visited_on": TODAY.isoformat(), "reading": "x",
            "abbreviation": "XX", "description": "x", "change": "x", "before": "x", "given": "1"}
    if method == "GET":
        r = client.get(url, follow=True)
    else:
        r = client.post(url, data)
    text = _body(r)
    if r.status_code in (301, 302, 303) and method == "POST":
        follow = client.get(r["Location"], follow=True)
        return follow.status_code, text + _body(follow)
    return r.status_code, text


def _other_province_admin(area):
    from ngoso.accounts.models import Role, User
    from ngoso.places.models import Place, PlaceType
    from ngoso.places.services import REFORM_DATE

    other = Place.objects.create(code="99", official_code="99", name="Tỉnh Khác", short_name="Khác",
                                 type=PlaceType.objects.get(code="tinh"), valid_from=REFORM_DATE)
    u = User(username="tinh_khac", role=Role.PROVINCE_ADMIN, place=other, is_staff=True)
    u.set_password("x-password-123")
    u.save()
    return u


def test_no_role_of_commune_a_reaches_commune_b(world_b, people, users, area):
    """Every object URL × every role of A (and an admin of another province) × GET and POST: no answer
    carries B's data and no refused request writes anything."""
    from django.contrib.auth.models import Permission

    # commune staff hold the admin's model permissions, so the admin's own scoping is what is tested
    users.commune_a.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=[
        "people", "teams", "visits", "livelihoods", "radio", "sync", "poverty", "core", "accounts"]))
    roles = {"other province admin": _other_province_admin(area), "commune staff": users.commune_a,
             "radio operator": users.radio, "team leader": users.leader, "member": users.member,
             "viewer": users.viewer}
    routes = [r for r in _patterns() if PARAM.search(r)]
    urls, unfilled = {}, set()
    for route in routes:
        url = _fill(route, world_b, people, area)
        if url is None:
            unfilled.add(route)
        else:
            urls[route] = url
    admin_unfilled = {r for r in unfilled if r.startswith("admin/") and r not in UNFILLED}
    # admin object pages of models without an area (catalogues, national content) cannot be B's
    no_area = {r for r in admin_unfilled
               if (m := next((m for p, m in _admin_models().items() if r.startswith(p)), None)) is not None
               and _b_object(m, world_b, area) is None and not getattr(m, "SCOPE_PATH", None)}
    assert unfilled - no_area == set(UNFILLED), (
        "URL patterns that take an object and are neither filled nor listed with a reason: "
        f"{sorted(unfilled - no_area - set(UNFILLED))}; listed but filled now: {sorted(set(UNFILLED) - unfilled)}")

    # the API paths of the OpenAPI document are among the patterns swept
    c = Client()
    c.force_login(users.commune_a)
    doc = c.get("/api/v1/openapi.json").json()
    for path in doc["paths"]:
        if "{" in path:
            route = re.sub(r"\{(\w+)\}", r"<\1>", path.lstrip("/"))
            assert route in urls or route in UNFILLED, route

    # the detector fires: B's own staff see B's data on the same URLs
    own = Client()
    own.force_login(users.commune_b)
    seen = [u for u in (urls["households/<str:code>/"], urls["residents/<uuid:uuid>/"],
                        urls["livelihoods/producers/<uuid:uuid>/"], urls["radio/bulletins/<int:pk>/"])
            if _carries_b(_answer(own, "GET", u)[1])]
    assert len(seen) == 4, seen

    leaks = []
    tried = 0
    for role, user in roles.items():
        client = Client()  # CSRF checks are off in the test client: every POST carries a valid token in effect
        client.force_login(user)
        for route, url in urls.items():
            if route.startswith("admin/") and not user.is_staff:
                continue  # the admin lets in staff only (commune staff and the other province's admin here)
            for method in ("GET", "POST"):
                before = _counts()
                status, text = _answer(client, method, url)
                after = _counts()
                tried += 1
                carried = _carries_b(text) if 200 <= status < 400 else []
                wrote = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
                if carried or wrote:
                    leaks.append((role, method, url, status, carried, wrote))
    measure.add("cross-area requests tried", tried, leaked=len(leaks))
    assert not leaks, "\n".join(map(str, leaks[:30]))
