"""Logins, secrets and headers (issue 14, item 6 and part of 9): lockout, password rules, self-service password
change, ``ngoso serve`` refusing an insecure installation, HTTPS headers, the CSP, session length, device tokens."""

from __future__ import annotations

import datetime
import os
import re
import runpy
import stat
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
from django.utils import timezone

from tests import factories
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "ngoso"


def _login(client, username, password, ip="10.0.0.1", url="/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- 1. throttling and lockout ---------------------------------------------------------------------------------

def test_250_wrong_passwords_then_the_right_one_does_not_log_in_until_the_cool_off(client, users):
    from axes.models import AccessAttempt

    for _ in range(250):
        resp = _login(client, "xa_a", "wrong-password")
    assert resp.status_code == 429
    resp = _login(client, "xa_a", PASSWORD)
    assert resp.status_code == 429 and not _logged_in(client)
    page = resp.content.decode()
    assert "Sai mật khẩu quá nhiều lần" in page and "15 phút" in page  # Vietnamese first …
    assert "Too many wrong passwords" in page  # … with English
    # the count is in the database (shared by every server process), per username and address
    attempt = AccessAttempt.objects.get(username="xa_a", ip_address="10.0.0.1")
    assert attempt.failures_since_start >= 5
    assert "wrong-password" not in attempt.post_data  # passwords are never stored with attempts
    # the cool-off passes: the right password works again, the wrong ones are forgotten
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    resp = _login(client, "xa_a", PASSWORD)
    assert resp.status_code == 302 and _logged_in(client)


def test_lockout_after_five_failures_is_per_username_and_address(client, users):
    from django.test import Client

    for i in range(4):
        assert _login(client, "xa_a", f"wrong-{i}").status_code == 200  # the form again, with its message
    assert _login(client, "xa_a", "wrong-4").status_code == 429
    assert _login(client, "xa_a", PASSWORD).status_code == 429
    # the same user from another address, another user from this address: not locked
    other_ip = Client()
    assert _login(other_ip, "xa_a", PASSWORD, ip="10.0.0.2").status_code == 302
    other_user = Client()
    assert _login(other_user, "xa_b", PASSWORD).status_code == 302


def test_behind_a_proxy_clients_are_told_apart_and_cannot_forge_their_address(users, settings):
    from django.test import Client

    def attempt(xff, password, remote="10.9.9.9"):
        return Client().post("/login/", {"username": "xa_a", "password": password}, REMOTE_ADDR=remote,
                             HTTP_X_FORWARDED_FOR=xff).status_code

    # no proxy configured: the header is ignored, changing it does not escape the lockout
    settings.TRUSTED_PROXIES = 0
    for i in range(5):
        attempt(f"1.2.3.{i}", "wrong")
    assert attempt("5.5.5.5", PASSWORD) == 429
    # one proxy (the default with NGOSO_HTTPS): the address it saw counts, not the proxy's own
    settings.TRUSTED_PROXIES = 1
    for i in range(5):
        attempt(f"forged-{i}, 203.0.113.7", "wrong", remote="10.0.0.254")
    assert attempt("203.0.113.7", PASSWORD, remote="10.0.0.254") == 429
    assert attempt("forged, 203.0.113.8", PASSWORD, remote="10.0.0.254") == 302


def test_admin_login_is_throttled_too(client, users):
    for i in range(5):
        _login(client, "tinh", f"wrong-{i}", url="/admin/login/")
    resp = _login(client, "tinh", PASSWORD, url="/admin/login/")
    assert resp.status_code == 429 and not _logged_in(client)


def test_unlock_command_and_admin_list_of_attempts(client, users, login):
    from axes.models import AccessAttempt

    from ngoso.commands import unlock

    for i in range(5):
        _login(client, "xa_a", f"wrong-{i}")
    assert _login(client, "xa_a", PASSWORD).status_code == 429
    admin = login(users.province)
    assert "xa_a" in admin.get("/admin/axes/accessattempt/").content.decode()
    client.logout()
    unlock.handle(Namespace(username="xa_a", all=False))
    assert not AccessAttempt.objects.filter(username="xa_a").exists()
    assert _login(client, "xa_a", PASSWORD).status_code == 302


def test_field_app_and_api_have_no_password_login_of_their_own():
    """The API (django_auth) and the field app use the web session; devices use random 256-bit tokens.
    Every password check therefore goes through django.contrib.auth.authenticate, which axes guards."""
    from django.conf import settings

    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    offenders = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bcheck_password\(|HttpBasicAuth|APIKeyQuery", text) and path.name != "services.py":
            offenders.append(str(path))
    assert offenders == []


# --- 2. password rules ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, vi, en", [
    ("12345678", "hoàn toàn là số", "entirely numeric"),
    ("password", "quá phổ biến", "too common"),
    ("nguyenvana", "quá giống", "too similar"),
    ("short1x", "quá ngắn", "too short"),
    ("ngoso-demo-2026", "mật khẩu của bản chạy thử", "demo's published password"),
])
def test_weak_passwords_refused_when_creating_a_user(area, password, vi, en):
    from ngoso.accounts.models import User
    from ngoso.accounts.services import create_user

    with pytest.raises(ValueError) as exc:
        create_user("nguyenvana", password, "member", area.va1, by="system:test")
    assert vi in str(exc.value) and en in str(exc.value)
    assert not User.objects.filter(username="nguyenvana").exists()
    create_user("nguyenvana", "mua-lua-2026-dong-but", "member", area.va1, by="system:test")


def test_createuser_command_refuses_a_weak_password_with_both_languages(area):
    from ngoso.cli import CommandError
    from ngoso.commands import createuser

    args = Namespace(username="anh", role="member", place=area.va1.code, password="12345678", reset_password=False)
    with pytest.raises(CommandError, match="hoàn toàn là số.*entirely numeric"):
        createuser.handle(args)


def test_admin_refuses_a_common_password(users, login):
    c = login(users.province)
    resp = c.post("/admin/accounts/user/add/", {"username": "moi", "password1": "password", "password2": "password",
                                               "usable_password": "true"})
    assert resp.status_code == 200 and "quá phổ biến" in resp.content.decode()
    from ngoso.accounts.models import User

    assert not User.objects.filter(username="moi").exists()


# --- 3. self-service password change -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["member", "viewer", "radio", "commune_a"])
def test_every_user_finds_and_uses_the_change_password_page(users, login, who):
    from ngoso.accounts.models import AuditEntry

    user = getattr(users, who)
    c = login(user)
    assert 'href="/password/"' in c.get("/lessons/").content.decode()
    page = c.get("/password/")
    assert page.status_code == 200 and "Đổi mật khẩu" in page.content.decode()

    for bad, vi, en in (("12345678", "hoàn toàn là số", "entirely numeric"),
                        ("password", "quá phổ biến", "too common"),
                        (user.username + "1", "quá giống", "too similar")):
        resp = c.post("/password/", {"old_password": PASSWORD, "new_password1": bad, "new_password2": bad})
        page = resp.content.decode()
        assert resp.status_code == 200 and vi in page and en in page, bad
    resp = c.post("/password/", {"old_password": "not-it", "new_password1": "dong-but-2026-x",
                                 "new_password2": "dong-but-2026-x"})
    assert resp.status_code == 200 and "Mật khẩu cũ không chính xác" in resp.content.decode()
    assert "old password was entered incorrectly" in resp.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    resp = c.post("/password/", {"old_password": PASSWORD, "new_password1": "dong-but-2026-x",
                                 "new_password2": "dong-but-2026-x"}, follow=True)
    assert resp.redirect_chain[0] == ("/", 302)
    assert "Đã đổi mật khẩu" in resp.content.decode()
    user.refresh_from_db()
    assert user.check_password("dong-but-2026-x")
    assert _logged_in(c)  # the session survives the change
    e = AuditEntry.objects.get(model="accounts.User", object_repr=user.username)
    assert e.user_id == user.pk and e.changes == {"password": "self-service"}
    assert "dong-but" not in str(e.changes) and user.password not in str(e.changes)


def test_wrong_current_passwords_on_the_change_page_count_as_failed_logins(users, login, client):
    from axes.models import AccessAttempt

    c = login(users.member)
    for i in range(4):
        resp = c.post("/password/", {"old_password": f"guess-{i}", "new_password1": "dong-but-2026-x",
                                     "new_password2": "dong-but-2026-x"})
        assert resp.status_code == 200
    resp = c.post("/password/", {"old_password": "guess-4", "new_password1": "dong-but-2026-x",
                                 "new_password2": "dong-but-2026-x"})
    assert resp.status_code == 429 and "Sai mật khẩu quá nhiều lần" in resp.content.decode()
    resp = c.post("/password/", {"old_password": PASSWORD, "new_password1": "dong-but-2026-x",
                                 "new_password2": "dong-but-2026-x"})
    assert resp.status_code == 429
    users.member.refresh_from_db()
    assert users.member.check_password(PASSWORD)
    assert _login(client, "member_a1", PASSWORD, ip="127.0.0.1").status_code == 429  # the same lockout
    stored = "".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "guess-" not in stored and "dong-but" not in stored  # no password kept with the attempts


def test_password_page_needs_a_login(client):
    resp = client.get("/password/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


# --- 4. ngoso serve refuses an insecure installation ---------------------------------------------------------

def test_serve_refuses_the_development_key(db, settings):
    from ngoso.cli import CommandError
    from ngoso.commands.serve import check_secure

    settings.SECRET_KEY = settings.INSECURE_SECRET_KEY
    with pytest.raises(CommandError) as exc:
        check_secure()
    assert "ngoso secret-key" in str(exc.value) and "SECRET_KEY" in str(exc.value)
    settings.SECRET_KEY = "x" * 60
    check_secure()  # a real key and no demo password: serves


def test_serve_refuses_demo_passwords_and_names_the_fix(db, settings, capsys):
    from ngoso.accounts.models import User
    from ngoso.accounts.services import DEMO_USERNAMES, demo_password_users
    from ngoso.cli import CommandError
    from ngoso.commands import createuser
    from ngoso.commands.serve import check_secure
    from ngoso.demo import builder

    settings.SECRET_KEY = "k" * 60
    summary = builder.build("village", seed=7, progress=lambda m: None, until=datetime.date(2026, 11, 27))
    built = sorted(u for u, *_ in summary.logins)
    assert built == sorted(DEMO_USERNAMES)  # the list serve checks is the demo's own
    assert demo_password_users() == built
    with pytest.raises(CommandError) as exc:
        check_secure()
    assert "ngoso createuser xa --reset-password" in str(exc.value) and "demo password" in str(exc.value)
    check_secure(demo=True)  # the demo path serves, with a warning
    err = capsys.readouterr().err  # Vietnamese, then English, from one msgid each
    assert "CẢNH BÁO: đây là bản chạy thử, không dùng cho dữ liệu cá nhân thật" in err and \
        "các tài khoản vẫn dùng mật khẩu mẫu công khai" in err and "hoặc khoá các tài khoản này" in err
    assert "WARNING: this is a demo, not for real personal data" in err and "published demo password" in err
    assert err.index("CẢNH BÁO") < err.index("WARNING") and err.count("ngoso createuser xa --reset-password") == 2

    for username in built:
        createuser.handle(Namespace(username=username, password="mat-khau-rieng-2026", reset_password=True,
                                    role=None, place=None))
    assert demo_password_users() == []
    check_secure()
    assert User.objects.get(username="xa").check_password("mat-khau-rieng-2026")


def test_reset_password_refuses_weak_and_demo_passwords(users):
    from ngoso.cli import CommandError
    from ngoso.commands import createuser

    for bad in ("12345678", "ngoso-demo-2026"):
        with pytest.raises(CommandError):
            createuser.handle(Namespace(username="xa_a", password=bad, reset_password=True, role=None, place=None))
    users.commune_a.refresh_from_db()
    assert users.commune_a.check_password(PASSWORD)


def test_secret_key_file_is_made_once_with_mode_600_and_read_by_settings(tmp_path):
    from ngoso.commands.secret_key import write_secret_key

    path = tmp_path / "secret_key"
    write_secret_key(path)
    key = path.read_text().strip()
    assert len(key) >= 50 and stat.S_IMODE(path.stat().st_mode) == 0o600
    env = {k: v for k, v in os.environ.items() if k != "NGOSO_SECRET_KEY"}
    env.update(NGOSO_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", "import ngoso.settings as s; print(s.SECRET_KEY)"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == key
    env["NGOSO_SECRET_KEY"] = "from-the-environment-" + "z" * 40
    out = subprocess.run([sys.executable, "-c", "import ngoso.settings as s; print(s.SECRET_KEY)"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == env["NGOSO_SECRET_KEY"]


def test_ngoso_serve_end_to_end_refuses_then_serves_after_the_fix(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("NGOSO_SECRET_KEY", "NGOSO_DATABASE_URL",
                                                           "DJANGO_SETTINGS_MODULE")}
    env.update(NGOSO_DATA_DIR=str(tmp_path), PYTHONPATH=str(ROOT / "src"))

    def ngoso(*args, timeout=120):
        return subprocess.run([sys.executable, "-m", "ngoso", *args], env=env, capture_output=True, text=True,
                              timeout=timeout, cwd=tmp_path)

    refused = ngoso("serve", "--port", "1", "--push-port", "0")
    assert refused.returncode == 2, refused.stderr
    assert "ngoso secret-key" in refused.stderr and "SECRET_KEY" in refused.stderr
    made = ngoso("secret-key")
    assert made.returncode == 0 and (tmp_path / "secret_key").exists()
    # now the check passes and the server starts
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "ngoso", "serve", "--port", str(port), "--push-port", "0"],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read()
    finally:
        server.terminate()
        server.wait(10)


# --- 5. headers: HTTPS, CSP; 6. sessions --------------------------------------------------------------------

def _settings_with(monkeypatch, **env):
    for k in ("NGOSO_HTTPS", "NGOSO_SESSION_HOURS", "NGOSO_CSP", "NGOSO_HSTS_SECONDS"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return runpy.run_path(str(SRC / "settings.py"))


def test_https_setting_turns_on_secure_cookies_and_hsts(monkeypatch):
    plain = _settings_with(monkeypatch)
    assert not plain.get("SESSION_COOKIE_SECURE") and not plain.get("SECURE_HSTS_SECONDS")
    s = _settings_with(monkeypatch, NGOSO_HTTPS="1")
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SECURE_HSTS_SECONDS"] >= 31536000
    assert s["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https") and s["SECURE_SSL_REDIRECT"]
    assert s["CONTENT_SECURITY_POLICY"]["DIRECTIVES"].get("upgrade-insecure-requests") is True
    assert s["CSP_EVERYWHERE"] and not plain["CSP_EVERYWHERE"]  # plain HTTP: the public pages only …
    assert _settings_with(monkeypatch, NGOSO_CSP="1")["CSP_EVERYWHERE"]  # … unless asked


def test_sessions_last_12_hours_by_default_and_are_configurable(monkeypatch):
    assert _settings_with(monkeypatch)["SESSION_COOKIE_AGE"] == 12 * 3600
    assert _settings_with(monkeypatch, NGOSO_SESSION_HOURS="8")["SESSION_COOKIE_AGE"] == 8 * 3600


def test_login_cookie_lasts_12_hours(client, users):
    resp = _login(client, "xa_a", PASSWORD)
    assert resp.cookies["sessionid"]["max-age"] == 12 * 3600


def test_over_https_the_responses_carry_hsts_and_secure_cookies(client, users, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    resp = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert resp["Strict-Transport-Security"].startswith("max-age=31536000")
    assert resp.cookies["csrftoken"]["secure"]
    resp = client.post("/login/", {"username": "xa_a", "password": PASSWORD}, HTTP_X_FORWARDED_PROTO="https",
                       REMOTE_ADDR="10.0.0.9")
    assert resp.cookies["sessionid"]["secure"] and resp.cookies["sessionid"]["httponly"]


def _csp(resp) -> dict:
    return {d.split()[0]: d.split()[1:] for d in resp["Content-Security-Policy"].split("; ")}


def test_staff_pages_have_a_strict_script_policy_with_a_nonce(users, login, client, settings):
    settings.CSP_EVERYWHERE = True  # as over HTTPS
    resp = client.get("/login/")
    csp = _csp(resp)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert resp["X-Frame-Options"] == "DENY" and resp["X-Content-Type-Options"] == "nosniff"
    c = login(users.member)
    app = c.get("/app/")
    nonce = [v for v in _csp(app)["script-src"] if v.startswith("'nonce-")][0][7:-1]
    assert f'<script nonce="{nonce}">' in app.content.decode()


def test_public_pages_always_have_a_csp_without_scripts(client, settings, db):
    settings.CSP_EVERYWHERE = False
    for url in ("/stories/", "/p/NOPE/"):
        csp = _csp(client.get(url))
        assert csp["script-src"] == ["'none'"] and csp["default-src"] == ["'none'"]
    assert "Content-Security-Policy" not in client.get("/login/")  # NGOSO_CSP=0 turns it off elsewhere only


def test_templates_have_no_inline_handlers_and_every_inline_script_has_the_nonce():
    handler = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.S)
    problems = []
    for path in SRC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if "report_pdf" in path.name or "handout" in path.name:  # PDFs (weasyprint), never served as pages
            continue
        problems += [f"{path.relative_to(SRC)}: {m.group(0)[:60]}" for m in handler.finditer(text)]
        problems += [f"{path.relative_to(SRC)}: {m.group(0)[:60]}" for m in inline.finditer(text)]
        problems += [f"{path.relative_to(SRC)}: javascript: URL" for _ in re.finditer(r"javascript:", text)]
    assert problems == []


# --- 7. device tokens -----------------------------------------------------------------------------------------

def test_the_same_device_keeps_one_token_row(users, login):
    from ngoso.sync import services
    from ngoso.sync.models import DeviceToken

    c = login(users.member)
    first = c.post("/api/v1/sync/devices", {"name": "Redmi"}, content_type="application/json").json()
    again = c.post("/api/v1/sync/devices", {"name": "Redmi"}, content_type="application/json").json()
    assert again["id"] == first["id"] and again["token"] != first["token"]
    assert services.authenticate(first["token"]) is None  # the replaced token no longer works
    assert services.authenticate(again["token"]).pk == first["id"]
    assert DeviceToken.objects.filter(user=users.member, revoked_at=None).count() == 1


def test_at_most_five_active_tokens_per_user_least_recently_seen_revoked(users):
    from django.test import Client

    from ngoso.sync import services
    from ngoso.sync.models import MAX_ACTIVE_DEVICES, DeviceToken

    tokens = []
    for i in range(12):  # twelve browsers (no shared cookie), or a script without cookies
        c = Client()
        c.force_login(users.member)
        tokens.append(c.post("/api/v1/sync/devices", {"name": f"phone {i}"}, content_type="application/json").json())
    assert MAX_ACTIVE_DEVICES == 5
    active = DeviceToken.objects.filter(user=users.member, revoked_at=None)
    assert active.count() == 5
    assert set(active.values_list("name", flat=True)) == {f"phone {i}" for i in range(7, 12)}
    assert services.authenticate(tokens[0]["token"]) is None and services.authenticate(tokens[-1]["token"])
    # a device in use is kept over newer ones never used
    DeviceToken.objects.filter(name="phone 7").update(last_seen_at=timezone.now())
    c = Client()
    c.force_login(users.member)
    c.post("/api/v1/sync/devices", {"name": "phone 12"}, content_type="application/json")
    names = set(DeviceToken.objects.filter(user=users.member, revoked_at=None).values_list("name", flat=True))
    assert "phone 7" in names and "phone 8" not in names and "phone 12" in names


# --- the CSP in a real browser: the app's own pages still work, nothing refused -------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_work_in_chromium_under_the_csp_without_a_single_violation(live_server, people, users, browser,  # noqa: F811
                                                                         settings, area):
    """With the CSP on every page (as over HTTPS). Waits poll from Python: Playwright's wait_for_function
    evaluates its string with eval(), which the policy rightly forbids."""
    import time

    settings.CSP_EVERYWHERE = True
    factories.village_team(area, users, [people.h1], leader=False)

    problems = []

    def watch(page):
        # (the dashboard's SVG bars log "Expected length, '70,0'": decimal commas, not the CSP's business)
        page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}")
                if "Content Security Policy" in msg.text or "Refused to" in msg.text else None)
        page.on("pageerror", lambda exc: problems.append(f"{page.url}: {exc}"))

    def log_in(username):
        ctx = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
        page = ctx.new_page()
        watch(page)
        page.goto(f"{live_server.url}/login/")
        csp = page.evaluate("() => fetch('/login/').then(r => r.headers.get('content-security-policy'))")
        script_src = [d for d in csp.split("; ") if d.startswith("script-src ")][0]
        assert "'self'" in script_src and "unsafe" not in script_src
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_load_state()
        return ctx, page

    ctx, page = log_in("tinh")
    for url in ("/", "/places/07351/", "/places/07351/dashboard/", "/households/H1/", "/search/?q=Lý", "/import/",
                "/lessons/", "/livelihoods/", "/radio/", "/radio/bulletins/new/", "/password/", "/admin/",
                "/admin/accounts/user/add/", "/admin/people/household/"):
        resp = page.goto(f"{live_server.url}{url}")
        assert resp.status < 400, url
    # the year picker of the poverty page submits by itself (was an onchange= attribute)
    page.goto(f"{live_server.url}/places/07351/poverty/")
    options = page.eval_on_selector_all("select[name=year] option", "os => os.map(o => o.textContent)")
    if len(options) > 1:
        with page.expect_navigation():
            page.select_option("select[name=year]", options[-1])
        assert f"year={options[-1]}" in page.url
    # the radio editor's inline script (with the nonce) runs: the spoken text appears
    page.goto(f"{live_server.url}/radio/bulletins/new/")
    page.fill("#text", "Họp lúc 7h30 ngày 5/12")
    deadline = time.monotonic() + 10
    while not page.evaluate("() => document.getElementById('spoken').textContent.length > 0"):
        assert time.monotonic() < deadline, "the preview script did not run"
        time.sleep(0.2)
    ctx.close()

    # the field app (inline settings script with the nonce, field.js, the service worker) starts and syncs
    ctx, page = log_in("member_a1")
    page.goto(f"{live_server.url}/app/")
    page.wait_for_selector("body[data-ready='1']", timeout=15000)
    assert page.locator("#app-list li").count() == 1
    ctx.close()

    # public pages: no script allowed, and they still render
    ctx = browser.new_context()
    page = ctx.new_page()
    watch(page)
    resp = page.goto(f"{live_server.url}/stories/")
    assert resp.status == 200 and "script-src 'none'" in resp.headers["content-security-policy"]
    ctx.close()
    assert problems == []
