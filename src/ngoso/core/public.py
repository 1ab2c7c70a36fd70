"""The address residents' phones reach the server at, for QR codes, handouts and pasted text.

``NGOSO_PUBLIC_URL`` (e.g. ``https://ngoso.bacninh.gov.vn``) wins: staff often print from the commune office's
own network, whose address (127.0.0.1, 192.168.x.x) no resident's phone can open. Without it, the address the
page was asked at; without a request (the command line), ``http://127.0.0.1:8000``, the default of ``ngoso serve``.
"""

from __future__ import annotations

import os

DEFAULT = "http://127.0.0.1:8000"


def public_base(request=None) -> str:
    base = os.environ.get("NGOSO_PUBLIC_URL", "").strip().rstrip("/")
    if base:
        return base
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return DEFAULT


def public_url(path: str, request=None) -> str:
    return public_base(request) + path
