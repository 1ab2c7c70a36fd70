from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The JSON API (/api/v1): a face, no models. Installed so that it can tell the kernel how a JSON
    endpoint answers an error (core knows no app)."""

    name = "ngoso.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        # imports here, not at the top: Django imports apps.py before any model is loaded (the app registry)
        from ngoso.core import clean

        from .errors import response

        clean.json_error(response)  # CleanInputMiddleware's 400 under /api/ in the API's one error shape
