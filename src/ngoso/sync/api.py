"""Sync endpoints under /api/v1/sync/ (see docs/sync.md). Phones authenticate with a device token
(``Authorization: Bearer …``); the web session can issue and revoke tokens."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.security import HttpBearer, django_auth

from ngoso.accounts.scope import scoped
from ngoso.api import errors
from ngoso.core import clean

from . import services
from .models import DeviceToken


class DeviceAuth(HttpBearer):
    def authenticate(self, request, token):
        dev = services.authenticate(token)
        if dev is None:
            return None
        request.user = dev.user
        request.device = dev
        return dev


router = Router(tags=["sync"])


def _error(exc: services.SyncError) -> JsonResponse:
    return errors.response(exc.status, exc.vi, exc.en, exc.details, exc.code)


class DeviceIn(Schema):
    name: str = "điện thoại"


DEVICE_COOKIE = "ngoso_device"  # the browser's own random id: the same phone keeps one device row


class DeviceIssued(Schema):
    id: int
    name: str
    token: str


_CHANGE = {"type": "object", "properties": {"from": {}, "to": {}}, "required": ["to"]}
PUSH_BODY = {  # what push() reads from the raw body (docs/sync.md), for the OpenAPI document and its fuzzing
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["records"],
        "properties": {
            "sent_at": {"type": "string", "format": "date-time"},
            "records": {"type": "array", "maxItems": services.MAX_RECORDS, "items": {
                "type": "object", "required": ["type", "uuid"],
                "properties": {
                    "type": {"type": "string", "enum": ["visit", "household", "resident", "new_household", "new_resident",
                                                           "life_event"]},
                    "uuid": {"type": "string", "format": "uuid"},
                    "household": {"type": "string"}, "resident": {"type": "string"},
                    "visited_on": {"type": "string", "format": "date"},
                    "next_visit_on": {"type": ["string", "null"], "format": "date"},
                    "recorded_at": {"type": "string", "format": "date-time"},
                    "present": {"type": "array", "items": {"type": "string"}},
                    "note": {"type": "string"},
                    "results": {"type": "array", "items": {
                        "type": "object", "required": ["resident", "skill", "level"],
                        "properties": {"resident": {"type": "string"}, "skill": {"type": "string"},
                                       "level": {"type": "integer", "minimum": 0, "maximum": 2}}}},
                    "changes": {"type": "object", "additionalProperties": _CHANGE},
                    # registration (people.registration): new_household, new_resident, life_event
                    "village": {"type": "string"}, "alley": {"type": "string"},
                    "house_number": {"type": "string"}, "address": {"type": "string"},
                    "latitude": {"type": ["number", "null"]}, "longitude": {"type": ["number", "null"]},
                    "access": {"type": "object", "additionalProperties": {"type": "boolean"}},
                    "full_name": {"type": "string"}, "sex": {"type": "string", "enum": ["male", "female"]},
                    "birth_year": {"type": "integer"}, "ethnicity": {"type": "string"},
                    "relation": {"type": "string"}, "phone": {"type": "string"}, "disability": {"type": "boolean"},
                    "consent": {"type": "object", "properties": {"given": {"type": "boolean"},
                                                                 "method": {"type": "string"}}},
                    "event": {"type": "string", "enum": ["moved_away", "died", "returned", "move"]},
                    "on": {"type": "string", "format": "date"}, "moved_to": {"type": "string"},
                }}},
        }}}},
}


@router.post("/devices", auth=django_auth, response={201: DeviceIssued},
             summary="Issue a token for this device (shown once)",
             description="The same browser (cookie ngoso_device) gets its device back with a new token, the old "
                         "one revoked; a user keeps at most 5 active devices, the least recently seen revoked.")
def issue_device(request, data: DeviceIn):
    if not request.user.can("visit"):
        return errors.response(403, "Chỉ thành viên tổ dùng ứng dụng thực địa", "Only team members use the field app")
    key = request.COOKIES.get(DEVICE_COOKIE, "")
    if not (16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum()):
        key = secrets.token_urlsafe(24)
    dev, token = DeviceToken.issue(request.user, clean.model_text(DeviceToken, "name", data.name), device_key=key)
    resp = JsonResponse({"id": dev.pk, "name": dev.name, "token": token}, status=201)
    resp.set_cookie(DEVICE_COOKIE, key, max_age=10 * 365 * 24 * 3600, httponly=True, samesite="Strict",
                    secure=settings.SESSION_COOKIE_SECURE, path="/api/v1/sync/")
    return resp


@router.post("/devices/{device_id}/revoke", auth=django_auth, summary="Revoke a device (its owner or a leader)")
def revoke_device(request, device_id: int):
    dev = get_object_or_404(DeviceToken.objects.select_related("user__place"), pk=device_id)
    services.revoke(request.user, dev)
    return {"revoked": True}


@router.get("/devices", auth=django_auth, summary="Devices in your area")
def list_devices(request):
    qs = scoped(DeviceToken.objects.select_related("user"), request.user)
    if not request.user.can("manage_teams"):
        qs = qs.filter(user=request.user)
    return [{"id": d.pk, "user": d.user.username, "name": d.name, "active": d.active,
             "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None} for d in qs[:500]]


@router.post("/push", auth=DeviceAuth(), summary="Send a batch of records (idempotent, per-record results)",
             openapi_extra={"requestBody": PUSH_BODY},
             description="Body: {\"sent_at\": device time, \"records\": [{\"type\": \"visit\"|\"household\"|\"resident\", "
                         "\"uuid\": …, …}]}. Each record gets created / duplicate / rejected with its reason. "
                         "Visits are written all together or not at all: a batch interrupted on the way is sent again.")
def push(request):
    try:
        data = services.parse_body(request.body)
    except services.SyncError as exc:
        return _error(exc)
    try:
        return services.push(request.device, data)
    except services.SyncError as exc:
        return _error(exc)


@router.get("/pull", auth=DeviceAuth(), summary="Changes since a cursor, in pages (resumable)")
def pull(request, cursor: str = "", limit: int = services.DEFAULT_PAGE, catalogue_version: str = "",
         lessons_version: str = "", language: str = ""):
    try:
        return services.pull(request.user, cursor or None, limit, catalogue_version or None, lessons_version or None,
                             language or None)
    except services.SyncError as exc:
        return _error(exc)
