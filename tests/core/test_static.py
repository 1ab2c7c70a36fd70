"""Static files by hashed names for long caching (core/staticfiles.py), and the field app's service worker
keeping those names for offline use."""

from __future__ import annotations

import re

from django.templatetags.static import static


def test_pages_ask_for_hashed_names_kept_a_year(client, users, login):
    css = static("ngoso/app.css")
    assert re.fullmatch(r"/static/ngoso/app\.[0-9a-f]{12}\.css", css)
    page = client.get("/login/").content.decode()
    assert f'href="{css}"' in page and 'href="/static/ngoso/app.css"' not in page
    r = client.get(css)
    assert r.status_code == 200 and "immutable" in r["Cache-Control"] and "max-age=315360000" in r["Cache-Control"]
    plain = client.get("/static/ngoso/app.css")  # the unhashed name still answers (an old cached page)
    assert plain.status_code == 200 and "immutable" not in plain["Cache-Control"]
    assert b"".join(r.streaming_content) == b"".join(plain.streaming_content)


def test_the_service_worker_keeps_the_hashed_files_of_the_app_shell(client, users, login):
    sw = client.get("/app/sw.js").content.decode()
    shell = re.search(r"const FILES = \[(.*?)\];", sw).group(1)
    for name in ("ngoso/app.css", "ngoso/field.js"):
        assert f'"{static(name)}"' in shell and f'"/static/{name}"' in shell
    assert re.search(r'"ngoso-shell-v2-[0-9a-f]{12}"', sw)  # a new version of the files is a new shell cache
    app = login(users.member).get("/app/").content.decode()
    assert static("ngoso/field.js") in app and static("ngoso/app.css") in app


def test_the_fingerprint_follows_the_files(tmp_path):
    import os

    from ngoso.core.staticfiles import fingerprint

    (tmp_path / "a.css").write_text("x")
    first = fingerprint([tmp_path])
    assert fingerprint([tmp_path]) == first
    (tmp_path / "a.css").write_text("xy")
    os.utime(tmp_path / "a.css", ns=(1, 1))
    assert fingerprint([tmp_path]) != first
