"""The device protocol on the WSGI side (HTTP/JSON, ``/radio/device/v1/``); see docs/radio.md.

Every request but ``register`` carries ``Authorization: Bearer <token>``. Errors are JSON
``{"error": "..."}`` with 400 (bad input: what and where), 401 (unknown or revoked token), 404, 405.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ngoso.core import files

from . import services
from .services import RadioError

MAX_BODY = 2 * 1024 * 1024


def _error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _body(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise RadioError("nội dung quá lớn / request body too large")
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RadioError(f"JSON không hợp lệ / invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RadioError("JSON phải là một đối tượng / the JSON body must be an object")
    return data


def _cluster(request):
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.startswith("Bearer ") else ""
    return services.authenticate(token)


def device_view(method: str, needs_auth: bool = True):
    def wrap(fn):
        @csrf_exempt
        def view(request, *args, **kwargs):
            if request.method != method:
                return _error(f"chỉ nhận {method} / use {method}", 405)
            cluster = None
            if needs_auth:
                cluster = _cluster(request)
                if cluster is None:
                    return _error("mã thiết bị sai hoặc đã thu hồi / unknown or revoked token", 401)
            try:
                return fn(request, cluster, *args, **kwargs)
            except RadioError as exc:
                return _error(str(exc), 400)

        view.__name__ = fn.__name__
        return view

    return wrap


def push_info() -> dict | None:
    port = os.environ.get("NGOSO_RADIO_PUSH_PORT")
    return {"port": int(port), "path": "/wait"} if port else None


@device_view("POST", needs_auth=False)
def register(request, _):
    data = _body(request)
    cluster, token = services.redeem_registration(str(data.get("code") or ""), str(data.get("version") or ""))
    return JsonResponse({"token": token, "cluster": cluster.code, "name": cluster.name,
                         "heartbeat_interval": cluster.heartbeat_interval, "push": push_info()})


@device_view("GET")
def hello(request, cluster):
    return JsonResponse({"cluster": cluster.code, "name": cluster.name, "place": cluster.place.name,
                         "heartbeat_interval": cluster.heartbeat_interval, "push": push_info(),
                         "server_time": timezone.now().isoformat(), "last_seq": services.last_command_seq()},
                        json_dumps_params={"ensure_ascii": False})


@device_view("POST")
def heartbeat(request, cluster):
    return JsonResponse(services.heartbeat(cluster, _body(request)), json_dumps_params={"ensure_ascii": False})


@device_view("GET")
def programme(request, cluster):
    try:
        days = int(request.GET.get("days") or services.PLAN_DAYS)
    except ValueError:
        raise RadioError("days phải là số / days must be a number") from None
    return JsonResponse(services.programme_document(cluster, days=max(1, min(days, 7))),
                        json_dumps_params={"ensure_ascii": False})


@device_view("POST")
def logs(request, cluster):
    data = _body(request)
    return JsonResponse(services.record_logs(cluster, data.get("logs")))


@device_view("GET")
def audio(request, cluster, name):
    stored = services.audio_file(cluster, name)
    if stored is None:
        return _error("không có tệp âm thanh này / no such audio", 404)
    content_type = {".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}[Path(stored).suffix.lower()]
    return files.response("radio", stored, content_type=content_type)
