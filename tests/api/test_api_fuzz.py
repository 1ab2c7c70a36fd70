"""Schemathesis against the real app's OpenAPI document (issue 14): every operation of /api/v1, fuzzed as a
team member (session + device token) and as commune staff, with valid and invalid inputs. No answer may be
a 5xx, every status must be one the document lists for that operation, and every error must be JSON.

Bounded for the 2-core test machine: ``FUZZ_EXAMPLES`` cases per operation, mode and role (env
``NGOSO_FUZZ_EXAMPLES`` raises it for a longer run). Prints "fuzzed requests: N, 5xx: 0"."""

from __future__ import annotations

import os

import pytest

from tests import measure

FUZZ_EXAMPLES = int(os.environ.get("NGOSO_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def world(people, users, area):
    from ngoso.sync.models import DeviceToken
    from ngoso.teams.models import Member, Membership, Team
    from ngoso.visits import services

    t = Team.objects.create(place=area.va1, level="village", name="Tổ")
    mem = Member.objects.create(place=area.va1, full_name="Phạm Thị Viên", user=users.member)
    lead = Member.objects.create(place=area.va1, full_name="Lê Văn Tổ", user=users.leader)
    Membership.objects.create(member=mem, team=t, role="member", started_on="2024-01-01")
    Membership.objects.create(member=lead, team=t, role="leader", started_on="2024-01-01")
    services.assign(users.leader, [people.h1], mem)
    return {role: DeviceToken.issue(user, "fuzz")[1] for role, user in (("member", users.member),
                                                                         ("commune staff", users.commune_a))}


def _headers(user, device_token: str) -> dict:
    """A logged-in session and CSRF token (cookies), the CSRF header and a device token (headers): every way
    the API authenticates."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    c = Client()
    c.force_login(user)
    csrf = _get_new_csrf_string()
    return ({settings.SESSION_COOKIE_NAME: c.cookies[settings.SESSION_COOKIE_NAME].value,
             settings.CSRF_COOKIE_NAME: csrf},
            {"X-CSRFToken": csrf, "Authorization": f"Bearer {device_token}"})


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection after each request, as in production; in a test that
    would close the test's own transaction (Django's test client disconnects the same signal)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_5xx_and_no_undocumented_status(world, users, settings, keep_connection):
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from schemathesis import GenerationMode

    settings.ALLOWED_HOSTS = ["*"]
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    documented = {(m.upper(), path): {int(s) for s in op["responses"] if s.isdigit()}
                  for path, ops in schema.raw_schema["paths"].items() for m, op in ops.items()}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) == len(documented) >= 15
    tried, server_errors, undocumented, not_json = 0, [], [], []
    for role, user in (("member", users.member), ("commune staff", users.commune_a)):
        cookies, headers = _headers(user, world[role])
        for op in operations:
            allowed = documented[(op.method.upper(), op.path)]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                @given(case=op.as_strategy(generation_mode=mode))
                @hsettings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
                           phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                def run(case):
                    nonlocal tried
                    r = case.call(headers=headers, cookies=cookies)
                    tried += 1
                    where = f"{role}: {case.method} {case.formatted_path} -> {r.status_code}"
                    if r.status_code >= 500:
                        server_errors.append(f"{where} {r.text[:200]}")
                    if r.status_code not in allowed:
                        undocumented.append(where)
                    if r.status_code >= 400 and not r.headers.get("content-type", [""])[0].startswith("application/json"):
                        not_json.append(where)

                run()
    measure.add("fuzzed requests", tried, **{"5xx": len(server_errors), "undocumented status": len(undocumented)})
    print(f"\nfuzzed requests: {tried}, 5xx: {len(server_errors)}, undocumented status: {len(undocumented)}")
    assert tried >= len(operations) * 2
    assert not server_errors, server_errors[:10]
    assert not undocumented, undocumented[:10]
    assert not not_json, not_json[:10]
