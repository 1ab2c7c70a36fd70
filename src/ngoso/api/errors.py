"""The API answers in JSON, always: one error shape for /api/v1 (and every path under /api/).

    {"code": "invalid", "message": "<Vietnamese>", "message_en": "<English>", "details": ...,
     "error": "<Vietnamese>", "error_en": "<English>"}

``error``/``error_en`` repeat the message under the names the sync API used first (field apps cached on
phones and existing clients read them). Three layers produce it:

- ``install(api)``: django-ninja exception handlers for everything an operation can raise (validation,
  HttpError, 404, PermissionDenied, CleanError, a body too large, any other exception as a JSON 500);
- ``StrictParser``: the JSON body parser of the API (``ngoso.core.clean.json_loads``: no NaN, Infinity,
  1e400, deep nesting);
- ``ApiJsonErrorsMiddleware``: for /api/ paths, what happens outside an operation (an unknown URL, a
  CSRF failure, a body too large read by a middleware, an exception) becomes the same JSON.

``document(schema)`` adds the error responses to every operation of the OpenAPI document.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from ngoso.core.clean import CleanError, check_json_strings, json_loads
from ngoso.core.messages import UserError

log = logging.getLogger("ngoso.api")

API_PREFIX = "/api/"

#: status -> (code, Vietnamese, English): the default words of each error status
STATUS = {
    400: ("bad_request", "Yêu cầu không hợp lệ", "Bad request"),
    401: ("unauthorized", "Cần đăng nhập (phiên web hoặc mã thiết bị)", "Authentication required (session or device token)"),
    403: ("forbidden", "Bạn không có quyền làm việc này", "You are not allowed to do this"),
    404: ("not_found", "Không tìm thấy", "Not found"),
    405: ("method_not_allowed", "Phương thức không được phép ở địa chỉ này", "Method not allowed here"),
    413: ("too_large", "Dữ liệu gửi lên quá lớn", "The request is too large"),
    422: ("invalid", "Dữ liệu gửi lên không đúng dạng", "The request data are not in the expected form"),
    429: ("too_many_requests", "Quá nhiều yêu cầu, hãy thử lại sau", "Too many requests, try again later"),
    500: ("server_error", "Lỗi máy chủ; đã ghi lại để sửa", "Server error; it was logged to be fixed"),
}
DOCUMENTED = (400, 401, 403, 404, 405, 413, 422, 500)


class Error(Schema):
    """Every error of the API."""
    code: str
    message: str
    message_en: str
    details: object | None = None
    error: str
    error_en: str


def body(status: int, vi: str | None = None, en: str | None = None, details=None, code: str | None = None) -> dict:
    dcode, dvi, den = STATUS.get(status, (f"http_{status}", "Lỗi", "Error"))
    vi, en = vi or dvi, en or den
    return {"code": code or dcode, "message": vi, "message_en": en, "details": details, "error": vi, "error_en": en}


def response(status: int, vi: str | None = None, en: str | None = None, details=None, code: str | None = None):
    return JsonResponse(body(status, vi, en, details, code), status=status, json_dumps_params={"ensure_ascii": False})


class ApiError(UserError):
    """An operation's refusal: a msgid (``message`` in Vietnamese, ``message_en`` in English) and a status."""

    def __init__(self, status: int, message=None, **params):
        super().__init__(message, **params)
        self.status = status


def too_large() -> JsonResponse:
    from django.conf import settings

    mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024
    return response(413, f"Dữ liệu gửi lên quá lớn (tối đa {mb:g} MB); hãy gửi thành nhiều lần",
                    f"The request is too large (at most {mb:g} MB); send it in parts")


def _json_safe(x):
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if x is None or isinstance(x, str | int | float | bool):
        return x
    return str(x)


class StrictParser(Parser):
    """The body of every ninja operation: strict JSON, and no control character in any key or string (the
    sync push reads its own body and rejects such values record by record instead)."""

    def parse_body(self, request):
        data = json_loads(request.body)
        check_json_strings(data)
        return data


def install(api) -> None:
    """Register the handlers on a NinjaAPI (the last registered for a class wins)."""

    def validation(request, exc: ValidationError):
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                   for e in exc.errors]
        where = ", ".join(".".join(str(p) for p in d["loc"]) for d in details[:5])
        return response(422, f"Dữ liệu không đúng dạng ở: {where}", f"Invalid data at: {where}",
                        _json_safe(details))

    def http_error(request, exc: HttpError):
        cause = exc.__cause__
        if isinstance(cause, CleanError):  # the body parser refused the JSON
            return response(400, cause.vi, cause.en, {"field": cause.field}, code="bad_json")
        if cause is not None and exc.status_code == 400:
            return response(400, "Không đọc được dữ liệu JSON gửi lên", "Cannot parse the JSON body", code="bad_json")
        if isinstance(exc, AuthenticationError):
            return response(exc.status_code)
        if exc.status_code == 403 and "csrf" in str(exc.message).lower():
            return response(403, "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang rồi thử lại",
                            "Missing or wrong CSRF token; reload the page and try again", code="csrf")
        return response(exc.status_code)

    def not_found(request, exc):
        return response(404, details={"path": request.path})

    def denied(request, exc):
        return response(403)

    def clean_error(request, exc: CleanError):
        return response(400, exc.vi, exc.en, {"field": exc.field})

    def user_error(request, exc: UserError):
        """Any error meant for users (a service's refusal, ``ApiError``): its one msgid in both languages."""
        return response(getattr(exc, "status", 400), exc.vi, exc.en,
                        {"field": exc.field} if exc.field else None, code=exc.code)

    def big(request, exc):
        return too_large()

    def anything(request, exc):
        log.exception("API error on %s %s", request.method, request.path)
        return response(500)

    api.add_exception_handler(Exception, anything)
    api.add_exception_handler(ValidationError, validation)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, denied)
    api.add_exception_handler(UserError, user_error)
    api.add_exception_handler(CleanError, clean_error)
    api.add_exception_handler(RequestDataTooBig, big)


def document(schema: dict) -> dict:
    """Add the error responses (the one Error shape) to every operation of an OpenAPI document."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in schema.get("paths", {}).values():
        for method, op in path.items():
            if method not in ("get", "post", "put", "patch", "delete") or not isinstance(op, dict):
                continue
            responses = op.setdefault("responses", {})
            for status in DOCUMENTED:
                responses.setdefault(str(status), {"description": STATUS[status][2], "content": ref})
    return schema


class ApiJsonErrorsMiddleware:
    """Under /api/: an exception or an error page made outside an API operation becomes the JSON error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        if request.path.startswith(API_PREFIX):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > limit:
                return too_large()  # before any middleware reads the body
        response_ = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response_.status_code < 400:
            return response_
        if response_.get("Content-Type", "").startswith("application/json"):
            return response_
        out = response(response_.status_code)
        if response_.has_header("Allow"):
            out["Allow"] = response_["Allow"]
        return out

    def process_exception(self, request, exc):
        if not request.path.startswith(API_PREFIX):
            return None
        if isinstance(exc, RequestDataTooBig):
            return too_large()
        if isinstance(exc, Http404):
            return response(404)
        if isinstance(exc, PermissionDenied):
            return response(403)
        log.exception("API error on %s %s", request.method, request.path)
        return response(500)
