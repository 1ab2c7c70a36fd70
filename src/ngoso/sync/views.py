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
from django.utils.translation import gettext as _
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


def _may_resolve(user) -> None:
    from ngoso.accounts import permissions

    from .models import SyncConflict

    if not permissions.can(user, "change", SyncConflict):
        raise PermissionDenied(_("Only team leaders and commune staff decide conflicting edits."))


@login_required
def conflicts(request):
    """Edits made offline to fields that changed on the server meanwhile, grouped by edit, each field with the
    value the phone had, the server's and the phone's, for a leader to pick (``services.resolve_conflict``).
    Sensitive values (phone, ethnic group, disability) show only to those who may see them (``people.privacy``)."""
    from ngoso.people import privacy
    from ngoso.people.registration import CONSENT_FIELDS, RegistrationError

    from .models import SyncConflict

    _may_resolve(request.user)
    place_path = ""
    if request.GET.get("place") or request.POST.get("place"):
        from ngoso.accounts.scope import can_see_place
        from ngoso.places.models import Place

        place = get_object_or_404(Place, code=request.GET.get("place") or request.POST.get("place"))
        if not can_see_place(request.user, place):
            raise PermissionDenied
        place_path = place.path
    pending = services.pending_conflicts(request.user, place_path).select_related(
        "household__village", "resident__household__village")
    if request.method == "POST":
        done = 0
        for c in pending:
            choice = request.POST.get(f"c{c.pk}")
            if choice not in ("mine", "theirs"):
                continue
            try:
                services.resolve_conflict(request.user, c, choice)
                done += 1
            except (RegistrationError, PermissionDenied) as exc:
                messages.error(request, f"{c.object_code} · {c.field}: {exc}")
        if done:
            messages.success(request, _("%(n)s decisions saved.") % {"n": done})
        return redirect(request.get_full_path())
    groups: dict = {}
    for c in pending[:300]:
        hh = c.household or (c.resident.household if c.resident else None)
        hidden = c.field in CONSENT_FIELDS and hh is not None and not privacy.can_see(request.user, c.field, hh)
        g = groups.setdefault(c.edit_uuid or c.pk, {
            "at": c.at, "by": c.edited_by, "household": hh, "resident": c.resident, "fields": []})
        g["fields"].append({"c": c, "label": _field_label(c), "hidden": hidden})
    return render(request, "sync/conflicts.html", {"groups": list(groups.values()), "place_path": place_path,
                                                   "place": request.GET.get("place", "")})


def _field_label(c) -> str:
    from ngoso.people.models import Household, Resident

    model = Resident if c.model == "resident" else Household
    try:
        return str(model._meta.get_field(c.field).verbose_name)
    except Exception:  # noqa: BLE001 - a field of an older protocol
        return c.field
