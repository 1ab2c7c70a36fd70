"""Vietnamese first: the interface language is Vietnamese unless the user chose English with the switch."""


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
