"""The installable field app (PWA): its page, service worker and manifest; device management for leaders."""

from __future__ import annotations

import json
from importlib import resources

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
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
    body = resources.files("ngoso").joinpath("static/ngoso/sw.js").read_bytes()
    resp = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    resp["Service-Worker-Allowed"] = "/app/"
    return resp


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
    messages.success(request, _("Device revoked"))
    return redirect(safe_next(request, request.POST.get("next"), "home"))
