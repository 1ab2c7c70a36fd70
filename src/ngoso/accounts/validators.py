"""A password validator of our own, next to Django's (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The password of the logins ``ngoso demo`` makes (``demo.builder`` uses it from here): published, so refused.
DEMO_PASSWORD = "ngoso-demo-2026"


class DemoPasswordValidator:
    """Refuse the demo's password: it is printed by ``ngoso demo`` and published in the README."""

    def validate(self, password, user=None):
        if password is not None and password.strip().lower() == DEMO_PASSWORD:
            raise ValidationError(_("This is the demo's published password."), code="password_demo")

    def get_help_text(self):
        return _("Your password cannot be the demo's password.")
