"""Error pages in the user's language that fit a phone and offer the way back (issue 18).

403 and 404 render ``403.html`` / ``404.html`` inside the site's frame (menu, language switch) with a link
home and one level up. 500 renders ``500.html`` with no context processors, no database and no session: what
failed may be any of them. If even that fails, a fixed bilingual page is sent.
"""

from __future__ import annotations

from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.utils.translation import get_language
from django.views.decorators.csrf import requires_csrf_token

from .messages import reason

FALLBACK_500 = ("<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" "
                "content=\"width=device-width, initial-scale=1\"><title>Lỗi máy chủ / Server error</title>"
                "<h1>Đã có lỗi / Something went wrong</h1><p>Máy chủ chưa xử lý được yêu cầu, xin thử lại sau. / "
                "The server could not finish this request; please try again.</p><p><a href=\"/\">Về trang chủ / "
                "Home</a></p></html>")


def _up(path: str) -> str:
    """The nearest address above that is a page (``/places/07351/x/`` -> ``/places/07351/``; not
    ``/households/``, which is none), or "" when only the home page is above."""
    from django.urls import Resolver404, resolve

    parts = [p for p in path.split("/") if p]
    for n in range(len(parts) - 1, 0, -1):
        up = "/" + "".join(p + "/" for p in parts[:n])
        try:
            resolve(up)
        except Resolver404:
            continue
        return up
    return ""


@requires_csrf_token
def page_not_found(request, exception=None):
    body = loader.render_to_string("404.html", {"up": _up(request.path)}, request)
    return HttpResponseNotFound(body)


@requires_csrf_token
def permission_denied(request, exception=None):
    message = reason(exception) if exception is not None else ""  # in the user's language
    body = loader.render_to_string("403.html", {"exception": message, "up": _up(request.path)}, request)
    return HttpResponseForbidden(body)


def server_error(request=None):
    try:
        body = loader.get_template("500.html").render({"LANGUAGE_CODE": get_language() or "vi"})
    except Exception:  # noqa: BLE001 - the error page must never fail in turn
        body = FALLBACK_500
    return HttpResponseServerError(body)
