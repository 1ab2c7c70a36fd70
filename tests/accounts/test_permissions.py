"""Write permissions (issue 15, item 4): every write path, for every role, against the declared matrix.

The roles are the ``users`` fixture's: the province administrator (a superuser, whose area is the province),
commune staff of commune A, the radio operator of commune A, the team leader and the member of village A1
(Đồng Bụt) and a viewer of commune A. Every object written lies in village A1 (or, for the bulletin sent down,
in the province; the accounts made or given a password in village A1 or commune A), so each refusal below is one
of role — except where the area or the object's own rule decides (an approved bulletin, a role that may not be
given), marked so.

Allowed: the write succeeds. Denied: 403 (or 404 where the object is outside what the user may even see),
``PermissionDenied`` from a service, exit code 4 from the CLI, or a rejected record from the sync — always
with a message, and nothing written.
"""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from tests import factories

ROLES = ("province", "commune_a", "radio", "leader", "member", "viewer")

#  write path                      province commune radio leader member viewer
MATRIX = {
    "page: record a visit":          "✓  .  .  ✓  ✓  .",
    "page: correct a skill record":  "✓  .  .  ✓  ✓  .",
    "page: assign households":       "✓  ✓  .  ✓  .  .",
    "page: erase a resident":        "✓  ✓  .  .  .  .",
    "page: new producer":            "✓  ✓  .  ✓  ✓  .",
    "page: send a bulletin down":    "✓  .  .  .  .  .",   # commune and radio: the province bulletin is outside their area
    "API: new bulletin":             "✓  ✓  ✓  .  .  .",
    "sync: push a visit":            "✓  .  .  ✓  ✓  .",
    "sync: push a household edit":   "✓  ✓  .  ✓  ✓  .",
    "CLI: import people":            "✓  ✓  .  .  .  .",
    "admin: change a resident":      "✓  ✓  .  ✓  ✓  .",
    "service: send a bulletin down": "✓  .  .  .  .  .",   # commune and radio: area, as above
    "service: poverty review":       "✓  ✓  .  ✓  ✓  .",
    "service: approve a story":      "✓  ✓  .  .  .  .",
    "sync: register a household":    "✓  ✓  .  ✓  ✓  .",   # found at the door (issue 19)
    "service: merge two residents":  "✓  ✓  .  ✓  .  .",
    "service: record consent":       "✓  ✓  .  ✓  ✓  .",
    "page: revoke a member's phone": "✓  ✓  .  ✓  ✓  .",   # the member: her own phone
    "service: revoke a member's phone": "✓  ✓  .  ✓  ✓  .",
    "service: handout link":         "✓  .  .  ✓  ✓  .",
    "service: edit a bulletin":      "✓  ✓  ✓  .  .  .",
    "service: attach a recording":   "✓  ✓  ✓  .  .  .",
    "service: read a bulletin aloud": "✓  ✓  ✓  .  .  .",
    "service: stop a programme":     "✓  ✓  ✓  .  .  .",
    "service: register a speaker cluster": "✓  ✓  ✓  .  .  .",
    "service: revoke a cluster's token": "✓  ✓  ✓  .  .  .",
    "service: switch a cluster off": "✓  ✓  ✓  .  .  .",
    "service: make a member's account": "✓  ✓  .  .  .  .",
    "service: make a commune staff account": "✓  .  .  .  .  .",  # commune staff give only the roles below theirs
    "CLI: make a member's account":  "✓  ✓  .  .  .  .",
    "service: set a member's password": "✓  ✓  .  .  .  .",
    "CLI: set a commune staff's password": "✓  .  .  .  .  .",  # a colleague of commune staff: the province only
    "page: new registration code":   "✓  ✓  ✓  .  .  .",
    "service: new registration code": "✓  ✓  ✓  .  .  .",
    "service: archive a draft bulletin": "✓  ✓  ✓  .  .  .",
    "service: archive an approved bulletin": "✓  ✓  .  .  .  .",  # on the air: those who approve
    "service: record a skill event": "✓  .  .  ✓  ✓  .",   # a self-check with a member
    "admin: make a member's account": "✓  ✓  .  .  .  .",
    "admin: make a province account": "✓  .  .  .  .  .",   # commune staff: a role they may not give
    "admin: set a member's password": "✓  ✓  .  .  .  .",
}


def _allowed(path: str, role: str) -> bool:
    return MATRIX[path].split()[ROLES.index(role)] == "✓"


TODAY = datetime.date.today()


@pytest.fixture
def world(people, users, area):
    """A village team (leader and member of A1), a skill record on Lý, a province bulletin, a draft story, a
    commune bulletin and a stream relayed in commune A, the member's phone."""
    from ngoso.livelihoods import services as liv
    from ngoso.radio import services as radio
    from ngoso.skills.models import Skill
    from ngoso.sync.models import DeviceToken
    from ngoso.visits import services as visits

    member = factories.village_team(area, users, name="Tổ Đồng Bụt")
    team = member.memberships.get().team
    skill = Skill.objects.get(catalogue__is_current=True, code="zalo-messaging")
    visit, _ = visits.record_visit(users.member, people.h1, visited_on=TODAY,
                                   results=[visits.SkillResult(people.r1.pk, skill.pk, 1)])
    bulletin = radio.create_bulletin(title="Lịch tiêm chủng", text="Sáng mai.", category="health",
                                     place=area.province, author=users.province)
    story = liv.save_story(None, {"title": "Bánh nhôm", "before": "Trước.", "change": "Sau."}, users.member,
                           resident=people.r1)
    liv.record_public_consent(people.r1, "story", True, users.member, naming="short", story=story)
    local = radio.create_bulletin(title="Họp thôn", text="Tối nay họp thôn.", category="policy", place=area.a,
                                  author=users.radio)
    relay = radio.create_programme(place=area.a, title="Tiếp sóng", times=["06:00"], targets=[area.va1],
                                   start_date=TODAY, stream_url="http://127.0.0.1:9/live", stream_minutes=30,
                                   user=users.radio)
    phone, _ = DeviceToken.issue(users.member, "Redmi 9A")
    cluster, _ = radio.register_cluster(place=area.va1, code="LOA-01", name="Loa nhà văn hoá")
    cluster.issue_token()
    on_air = radio.create_bulletin(title="Thu hoạch lúa", text="Thu hoạch sớm.", category="agriculture", place=area.a,
                                   author=users.radio)
    type(on_air).objects.filter(pk=on_air.pk).update(status=type(on_air).Status.APPROVED, approved_by=users.commune_a)
    on_air.refresh_from_db()
    volunteer = factories.user("tnv_a1", "member", area.va1)       # another member of A1
    colleague = factories.user("xa_a2", "commune_staff", area.a)   # commune A's other officer
    return type("World", (), {"team": team, "member": member, "skill": skill, "record": visit.skill_records.get(),
                              "bulletin": bulletin, "story": story, "local": local, "relay": relay,
                              "phone": phone, "cluster": cluster, "on_air": on_air, "volunteer": volunteer,
                              "colleague": colleague})


def _page(status: int, body: str) -> tuple[bool, str]:
    if status in (200, 201, 302):
        return True, ""
    assert status in (403, 404), (status, body[:500])
    if body.startswith("{"):
        body = json.loads(body).get("detail") or json.loads(body).get("error") or ""
    if status == 403:
        assert "Không được phép" in body or "không" in body.lower(), body[:500]
    return False, body or str(status)


def _service(fn) -> tuple[bool, str]:
    from django.core.exceptions import PermissionDenied

    try:
        fn()
    except PermissionDenied as exc:
        return False, str(exc)
    return True, ""


def _client(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def _push(user, record):
    from django.test import Client

    from ngoso.sync.models import DeviceToken

    _, token = DeviceToken.issue(user, "Redmi")
    body = {"sent_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "records": [record]}
    r = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post("/api/v1/sync/push", json.dumps(body),
                                                          content_type="application/json")
    if r.status_code != 200:
        return _page(r.status_code, r.content.decode())
    res = r.json()["results"][0]
    if res["status"] == "created":
        return True, ""
    assert res["status"] == "rejected" and res["error"], res
    return False, res["error"]


# --- each path: (do it as ``user``) -> (succeeded, message); and what it writes, counted ---------------------

def do_page_visit(u, w, people, area):
    r = _client(u).post(f"/visit/{people.h1.code}/", {"visited_on": TODAY.isoformat(), "present": [people.r1.pk],
                                                      f"lvl-{people.r1.pk}-{w.skill.pk}": "2"})
    return _page(r.status_code, r.content.decode())


def do_page_correct(u, w, people, area):
    r = _client(u).post(f"/skill-records/{w.record.pk}/correct/", {"level": "2"})
    return _page(r.status_code, r.content.decode())


def do_page_assign(u, w, people, area):
    # (the page shows a preview first; "confirm" is the leader's second tap, issue 18)
    r = _client(u).post(f"/teams/{w.team.pk}/assign/", {"action": "assign", "member": w.member.pk,
                                                        "household": [people.h1.code], "confirm": "1"})
    return _page(r.status_code, r.content.decode())


def do_page_erase(u, w, people, area):
    r = _client(u).post(f"/residents/{people.r2.uuid}/erase/", {"confirm_name": people.r2.full_name})
    return _page(r.status_code, r.content.decode())


def do_page_producer(u, w, people, area):
    r = _client(u).post(f"/households/{people.h1.code}/producer/new/", {
        "name": "Bánh nhôm chị Lý", "kind": "craft", "person": people.r1.pk, "description": "", "phone": "",
        "messenger_url": ""})
    return _page(r.status_code, r.content.decode())


def do_page_send_down(u, w, people, area):
    r = _client(u).post(f"/radio/bulletins/{w.bulletin.pk}/", {"action": "send_down", "communes": [area.a.code]})
    return _page(r.status_code, r.content.decode())


def do_api_bulletin(u, w, people, area):
    r = _client(u).post("/api/v1/radio/bulletins", json.dumps({"title": "Họp thôn", "category": "health",
                                                               "place": area.a.code}),
                        content_type="application/json")
    return _page(r.status_code, r.content.decode())


def do_sync_visit(u, w, people, area):
    return _push(u, {"type": "visit", "uuid": str(uuid.uuid4()), "household": people.h1.code,
                     "visited_on": TODAY.isoformat(), "present": [str(people.r1.uuid)],
                     "results": [{"resident": str(people.r1.uuid), "skill": "zalo-messaging", "level": 2}]})


def do_sync_edit(u, w, people, area):
    return _push(u, {"type": "household", "uuid": str(uuid.uuid4()), "household": people.h1.code,
                     "changes": {"phone": {"from": "0912345678", "to": "0977000111"}}})


def do_sync_register(u, w, people, area):
    return _push(u, {"type": "new_household", "uuid": str(uuid.uuid4()), "village": area.va1.code, "alley": "9"})


def do_service_merge(u, w, people, area):
    from ngoso.people import merge
    from ngoso.people.models import Resident

    dup = Resident.objects.create(household=people.h1, full_name="Nguyen Thi Ly", sex="female", birth_year=1978,
                                  ethnicity=people.r1.ethnicity)
    ok, message = _service(lambda: merge.merge_residents(u, people.r1, dup))
    if not ok:
        dup.delete()
    return ok, message


def do_cli_import(u, w, people, area, tmp_path=None):
    import contextlib
    import io

    from ngoso.cli import main
    from tests.helpers import csv_bytes

    path = tmp_path / "nhan-khau.csv"
    path.write_bytes(csv_bytes([{"Mã hộ": "N1", "Mã thôn": area.va1.code, "Họ và tên": "Lê Văn An",
                                 "Giới tính": "Nam", "Năm sinh": 1960, "Dân tộc": "Kinh",
                                 "Quan hệ với chủ hộ": "Chủ hộ"}]))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["import", str(path), "--user", u.username])
    if rc == 0:
        return True, ""
    assert rc == 4 and "Không được phép" in err.getvalue(), (rc, err.getvalue())
    return False, err.getvalue()


def do_admin_change(u, w, people, area):
    from django.contrib.auth.models import Permission

    # Django's own model permissions granted to everyone: what is left to decide is the declared matrix
    u.is_staff = True
    u.save()
    u.user_permissions.add(*Permission.objects.filter(codename__in=["view_resident", "change_resident"]))
    r = _client(u).post(f"/admin/people/resident/{people.r2.pk}/change/", {
        "household": people.h1.pk, "full_name": people.r2.full_name, "sex": "male", "birth_year": 1951,
        "ethnicity": people.r2.ethnicity_id, "phone": "", "relation": "spouse",
        "consents-TOTAL_FORMS": 0, "consents-INITIAL_FORMS": 0})
    return _page(r.status_code, r.content.decode())


def do_service_send_down(u, w, people, area):
    from ngoso.radio import services as radio

    return _service(lambda: radio.send_down(w.bulletin, [area.a], u))


def do_service_poverty(u, w, people, area):
    from ngoso.poverty import services as poverty

    return _service(lambda: poverty.record_review(u, people.h1, 2025, "rural", 1_000_000, []))


def do_service_approve_story(u, w, people, area):
    from ngoso.livelihoods import services as liv

    return _service(lambda: liv.approve_story(w.story, u))


def do_service_consent(u, w, people, area):
    from ngoso.people import services

    return _service(lambda: services.record_consent(u, people.r1, True))


def do_page_revoke(u, w, people, area):
    r = _client(u).post(f"/devices/{w.phone.pk}/revoke/")
    return _page(r.status_code, r.content.decode())


def do_service_revoke(u, w, people, area):
    from ngoso.sync import services

    return _service(lambda: services.revoke(u, w.phone))


def do_service_handout_link(u, w, people, area):
    from ngoso.lessons import services

    return _service(lambda: services.handout_link(people.r1, "zalo-messaging", u))


def do_service_edit_bulletin(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.edit_bulletin(w.local, u, title="Họp thôn tối thứ Sáu"))


def do_service_attach_upload(u, w, people, area):
    from ngoso.radio import services
    from tests.radio.test_radio import wav_bytes

    return _service(lambda: services.attach_upload(w.local, wav_bytes(1.0), "hop-thon.wav", u))


def do_service_render(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.request_render(w.local, u))


def do_service_stop_programme(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.stop_programme(w.relay, u))


def do_service_register_cluster(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.register_cluster(place=area.va1, code="LOA-02", name="Loa chợ", user=u))


def do_service_revoke_cluster(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.revoke_cluster_token(w.cluster, u))


def do_service_cluster_off(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.set_cluster_active(w.cluster, False, u))


def do_service_make_member(u, w, people, area):
    from ngoso.accounts import services

    return _service(lambda: services.create_user("tnv_moi", "mua-lua-2026-dong-but", "member", area.va1, by=u))


def do_service_make_staff(u, w, people, area):
    from ngoso.accounts import services

    return _service(lambda: services.create_user("can_bo_moi", "mua-lua-2026-dong-but", "commune_staff", area.a,
                                                 by=u))


def _cli(argv):
    import contextlib
    import io

    from ngoso.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    if rc == 0:
        return True, ""
    assert rc == 4 and "Không được phép" in err.getvalue(), (rc, err.getvalue())
    return False, err.getvalue()


def do_cli_make_member(u, w, people, area):
    return _cli(["createuser", "tnv_moi", "--role", "member", "--place", area.va1.code, "--password",
                 "mua-lua-2026-dong-but", "--user", u.username])


def do_service_set_password(u, w, people, area):
    from ngoso.accounts import services

    return _service(lambda: services.set_password(w.volunteer, "mua-lua-2026-dong-but", by=u))


def do_cli_set_password(u, w, people, area):
    return _cli(["createuser", w.colleague.username, "--reset-password", "--password", "mua-lua-2026-dong-but",
                 "--user", u.username])


def do_page_registration_code(u, w, people, area):
    r = _client(u).post(f"/radio/clusters/{w.cluster.code}/", {"action": "code"})
    return _page(r.status_code, r.content.decode())


def do_service_registration_code(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.issue_registration_code(w.cluster, u))


def do_service_archive_draft(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.archive_bulletin(w.local, u))


def do_service_archive_on_air(u, w, people, area):
    from ngoso.radio import services

    return _service(lambda: services.archive_bulletin(w.on_air, u))


def do_service_skill_event(u, w, people, area):
    from ngoso.visits import services

    return _service(lambda: services.record_skill_event(people.r1, w.skill, 2, source="self_check", user=u))


def _admin(u):
    """``u`` made staff with Django's own model permissions on users: what is left to decide is the matrix."""
    from django.contrib.auth.models import Permission

    u.is_staff = True
    u.save()
    u.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "add_user", "change_user"]))
    return _client(u)


def _admin_form(r) -> tuple[bool, str]:
    """An admin form's answer: a redirect once saved; the form again with its errors, or 403, when refused."""
    body = r.content.decode()
    if r.status_code == 200:
        assert "errornote" in body or "errorlist" in body, body[:500]
        return False, body[body.find("errorlist"):][:300]
    return _page(r.status_code, body)


def _admin_add(u, area, role, place):
    return _admin_form(_admin(u).post("/admin/accounts/user/add/", {
        "username": "tnv_moi", "usable_password": "true", "password1": "mua-lua-2026-dong-but",
        "password2": "mua-lua-2026-dong-but", "role": role, "place": place.pk}))


def do_admin_make_member(u, w, people, area):
    return _admin_add(u, area, "member", area.va1)


def do_admin_make_province(u, w, people, area):
    return _admin_add(u, area, "province_admin", area.a)


def do_admin_set_password(u, w, people, area):
    return _admin_form(_admin(u).post(f"/admin/accounts/user/{w.volunteer.pk}/password/", {
        "password1": "mua-lua-2026-dong-but", "password2": "mua-lua-2026-dong-but"}))


def _state(people):
    """Everything the paths write, as one comparable value."""
    from ngoso.accounts.models import User
    from ngoso.core.models import Job
    from ngoso.lessons.models import HandoutLink
    from ngoso.livelihoods.models import Producer, SuccessStory
    from ngoso.people.models import Consent, Household, Merge, Resident
    from ngoso.poverty.models import PovertyReview
    from ngoso.radio.models import Bulletin, Programme, SpeakerCluster
    from ngoso.sync.models import DeviceToken
    from ngoso.visits.models import Assignment, SkillRecord, Visit

    return (Visit.objects.count(), SkillRecord.objects.count(), Assignment.objects.count(),
            Resident.objects.count(), Producer.objects.count(), Bulletin.objects.count(),
            Household.objects.get(code="H1").phone, Household.objects.count(),
            Resident.objects.filter(pk=people.r2.pk).values_list("birth_year", flat=True).first(),
            PovertyReview.objects.count(), list(SuccessStory.objects.values_list("status", flat=True)),
            Merge.objects.count(), Consent.objects.count(), DeviceToken.objects.filter(revoked_at__isnull=False).count(),
            HandoutLink.objects.count(), Job.objects.count(), Programme.objects.filter(active=True).count(),
            list(Bulletin.objects.filter(place__code="07351").values_list("title", "audio_status", "audio_path")),
            list(SpeakerCluster.objects.order_by("code").values_list("code", "active", "token_hash")),
            list(SpeakerCluster.objects.order_by("code").values_list("registration_hash", flat=True)),
            list(Bulletin.objects.order_by("pk").values_list("status", flat=True)),
            list(User.objects.order_by("username").values_list("username", "password")))


PATHS = {
    "page: record a visit": do_page_visit,
    "page: correct a skill record": do_page_correct,
    "page: assign households": do_page_assign,
    "page: erase a resident": do_page_erase,
    "page: new producer": do_page_producer,
    "page: send a bulletin down": do_page_send_down,
    "API: new bulletin": do_api_bulletin,
    "sync: push a visit": do_sync_visit,
    "sync: push a household edit": do_sync_edit,
    "CLI: import people": do_cli_import,
    "admin: change a resident": do_admin_change,
    "service: send a bulletin down": do_service_send_down,
    "service: poverty review": do_service_poverty,
    "service: approve a story": do_service_approve_story,
    "sync: register a household": do_sync_register,
    "service: merge two residents": do_service_merge,
    "service: record consent": do_service_consent,
    "page: revoke a member's phone": do_page_revoke,
    "service: revoke a member's phone": do_service_revoke,
    "service: handout link": do_service_handout_link,
    "service: edit a bulletin": do_service_edit_bulletin,
    "service: attach a recording": do_service_attach_upload,
    "service: read a bulletin aloud": do_service_render,
    "service: stop a programme": do_service_stop_programme,
    "service: register a speaker cluster": do_service_register_cluster,
    "service: revoke a cluster's token": do_service_revoke_cluster,
    "service: switch a cluster off": do_service_cluster_off,
    "service: make a member's account": do_service_make_member,
    "service: make a commune staff account": do_service_make_staff,
    "CLI: make a member's account": do_cli_make_member,
    "service: set a member's password": do_service_set_password,
    "CLI: set a commune staff's password": do_cli_set_password,
    "page: new registration code": do_page_registration_code,
    "service: new registration code": do_service_registration_code,
    "service: archive a draft bulletin": do_service_archive_draft,
    "service: archive an approved bulletin": do_service_archive_on_air,
    "service: record a skill event": do_service_skill_event,
    "admin: make a member's account": do_admin_make_member,
    "admin: make a province account": do_admin_make_province,
    "admin: set a member's password": do_admin_set_password,
}


def test_the_matrix_names_every_path_and_every_role():
    assert set(PATHS) == set(MATRIX)
    assert all(len(row.split()) == len(ROLES) for row in MATRIX.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(MATRIX))
def test_write_matrix(path, role, world, people, users, area, tmp_path, settings):
    settings.DATA_DIR = tmp_path  # recordings and rendered audio
    user = getattr(users, role)
    fn = PATHS[path]
    before = _state(people)
    kwargs = {"tmp_path": tmp_path} if fn is do_cli_import else {}
    ok, message = fn(user, world, people, area, **kwargs)
    after = _state(people)
    assert ok == _allowed(path, role), (path, role, message[:300])
    if ok:
        assert after != before, (path, role, "allowed but wrote nothing")
    else:
        assert after == before, (path, role, "denied but something was written")
        assert message.strip(), (path, role, "denied without a word")


# --- the declarations themselves ------------------------------------------------------------------------------

def test_every_model_with_personal_data_declares_who_may_write(db):
    """A model scoped by area that people write declares WRITE_ROLES with known roles and actions."""
    from ngoso.accounts.models import Role
    from ngoso.accounts.permissions import declared_models

    declared = {m.__name__ for m in declared_models()}
    for name in ("Household", "Resident", "Consent", "Erasure", "Visit", "SkillRecord", "Assignment", "PovertyReview",
                 "AccessSite", "SelfCheck", "Producer", "Product", "OnlineChannel", "PublicConsent", "SuccessStory",
                 "Bulletin", "Team", "Member", "Membership", "User", "SpeakerCluster"):
        assert name in declared, name
    for m in declared_models():
        assert set(m.WRITE_ROLES) <= {"create", "change", "delete", "import", "approve", "register", "merge",
                                      "archive"}, m
        for roles in m.WRITE_ROLES.values():
            assert set(roles) <= set(Role.values), m


def test_can_checks_role_then_area_and_says_why_in_vietnamese(people, users, area):
    from django.core.exceptions import PermissionDenied

    from ngoso.accounts.permissions import can, require
    from ngoso.people.models import Household, Resident
    from ngoso.visits.models import Visit

    assert can(users.member, "create", Visit(household=people.h1))        # role and area
    assert not can(users.member, "create", Visit(household=people.h2))    # village A2: not her area
    assert can(users.member, "create", Visit)                             # the role alone
    assert not can(users.viewer, "create", Visit)
    assert not can(users.member, "delete", people.r1)                     # not declared for members
    assert can(users.commune_a, "delete", people.r1) and not can(users.commune_b, "delete", people.r1)
    assert not can(None, "change", people.h1) and not can(users.nobody, "change", Household)
    assert not can(users.member, "approve", people.h1)                     # an action Household never declares
    with pytest.raises(PermissionDenied, match="Vai trò của bạn .* không được xoá nhân khẩu"):
        require(users.member, "delete", people.r1)
    with pytest.raises(PermissionDenied, match="nằm ngoài địa bàn của bạn \\(Phường Bắc Giang\\)"):
        require(users.commune_b, "delete", people.r1)
    with pytest.raises(TypeError):
        can(users.member, "change", area.a)                                # Place declares nothing
    assert Resident.WRITE_ROLES["delete"] == Household.WRITE_ROLES["delete"]
