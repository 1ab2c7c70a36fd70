"""Self-service password change (every logged-in user) and the login lockout page's view."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from . import services


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's own (old password checked, the validators of settings.AUTH_PASSWORD_VALIDATORS applied to
    the new one, the session kept), plus an audit entry and a message."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.audit_password_set(self.request.user, by=self.request.user, how="self-service")
        messages.success(self.request, _("Your password has been changed."))
        return response


def lockout(request, original_response=None, credentials=None):
    """django-axes' lockout answer (settings.AXES_LOCKOUT_CALLABLE): a page in the site's language, 429."""
    from django.conf import settings
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "core/lockout.html",
                  {"failure_limit": settings.AXES_FAILURE_LIMIT, "lockout_minutes": minutes}, status=429)
