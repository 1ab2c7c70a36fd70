"""The installable field app (PWA): its page, service worker and manifest; device management for leaders."""

from __future__ import annotations

import json
from importlib import resources

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ngoso.core.clean import safe_next

from . import services
from .models import DeviceToken


@login_required
def field_app(request):
    if not request.user.can("visit"):
        raise PermissionDenied
    from .field_messages import catalogue

    return render(request, "sync/app.html", {"field_messages": catalogue()})


@never_cache
def service_worker(request):
    body = resources.files("ngoso").joinpath("static/ngoso/sw.js").read_text("utf-8")
    resp = HttpResponse(service_worker_text(body), content_type="text/javascript; charset=utf-8")
    resp["Service-Worker-Allowed"] = "/app/"
    return resp


def service_worker_text(body: str) -> str:
    """The pages ask for the static files by their hashed names (core/staticfiles.py): the shell the worker
    keeps for offline use lists those too, and its cache is named after them, so a new version of the files
    is a new worker that replaces the old shell."""
    import hashlib
    import json

    from django.templatetags.static import static

    hashed = [static(name) for name in ("ngoso/app.css", "ngoso/field.js")]
    version = hashlib.sha256("|".join(hashed).encode()).hexdigest()[:12]
    files = '"/static/ngoso/app.css", "/static/ngoso/field.js"'
    assert files in body and '"ngoso-shell-v2"' in body, "sw.js changed: update service_worker_text"
    return (body.replace(files, files + "".join(f", {json.dumps(u)}" for u in hashed))
            .replace('"ngoso-shell-v2"', f'"ngoso-shell-v2-{version}"'))


def manifest(request):
    data = {
        "name": "Ngõ Số — tổ công nghệ số cộng đồng", "short_name": "Ngõ Số", "lang": "vi",
        "start_url": "/app/", "scope": "/app/", "display": "standalone",
        "background_color": "#f6f7f4", "theme_color": "#0b6e4f",
        "icons": [{"src": "/static/ngoso/icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def revoke_device(request, pk):
    dev = get_object_or_404(DeviceToken.objects.select_related("user__place"), pk=pk)
    services.revoke(request.user, dev)
    messages.success(request, "Đã thu hồi thiết bị / device revoked")
    return redirect(safe_next(request, request.POST.get("next"), "home"))
