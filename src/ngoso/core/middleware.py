"""Vietnamese first: the interface language is Vietnamese unless the user chose English with the switch.
Content-Security-Policy: where it applies."""

from django.conf import settings

from csp.middleware import CSPMiddleware


class VietnameseFirstMiddleware:
    """Ignore the browser's Accept-Language, so that a phone set to English still opens in Vietnamese.

    Django's LocaleMiddleware (which must come after this one) then uses the language cookie set by the
    EN/VI switch, or ``LANGUAGE_CODE`` ("vi").
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


# Pages anyone on the internet opens (livelihoods' producer pages and stories): always under the CSP.
PUBLIC_PREFIXES = ("/p/", "/stories/")
# The public pages need no script at all, and load nothing from elsewhere.
PUBLIC_POLICY = {
    "default-src": ["'none'"],
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "font-src": ["'self'"],
    "script-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
}


def is_public_path(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with where it applies decided here (settings.CONTENT_SECURITY_POLICY).

    The public pages always get the stricter ``PUBLIC_POLICY``; the other pages get the site's policy when
    ``settings.CSP_EVERYWHERE`` (served over HTTPS, or ``NGOSO_CSP=1``). Templates put ``nonce="{{ request.csp_nonce }}"``
    on their few inline scripts; event-handler attributes (``onclick=``…) do not run.
    """

    def process_response(self, request, response):
        if is_public_path(request.path_info):
            response._csp_config = PUBLIC_POLICY
        elif not getattr(settings, "CSP_EVERYWHERE", True):
            return response
        return super().process_response(request, response)
