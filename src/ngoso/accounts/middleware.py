from .audit import reset_actor, set_actor


class AuditUserMiddleware:
    """Attribute every audited change made during a request to the logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        token = set_actor(user if user is not None and user.is_authenticated else "anonymous")
        try:
            return self.get_response(request)
        finally:
            reset_actor(token)
