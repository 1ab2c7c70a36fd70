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

    # A wrong current password counts as a failed login (django-axes), so that a session left open on a
    # shared computer is no oracle for guessing the password.
    def _credentials(self) -> dict:
        return {"username": self.request.user.get_username()}

    def post(self, request, *args, **kwargs):
        from axes.handlers.proxy import AxesProxyHandler

        if AxesProxyHandler.is_locked(request, self._credentials()):
            return lockout(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("old_password"):
            from axes.handlers.proxy import AxesProxyHandler
            from django.contrib.auth.signals import user_login_failed

            user_login_failed.send(sender=__name__, credentials=self._credentials(), request=self.request)
            if AxesProxyHandler.is_locked(self.request, self._credentials()):
                return lockout(self.request)
        return self.render_to_response(self.get_context_data(form=form, errors_en=self._english_errors()))

    def _english_errors(self) -> dict:
        """The same form's errors in English, shown under the Vietnamese ones (validators translate when
        they raise, so the form is checked again)."""
        from django.utils import translation

        if translation.get_language() == "en":
            return {}
        with translation.override("en"):
            again = self.get_form_class()(self.request.user, self.request.POST)
            return {name: list(errors) for name, errors in again.errors.items()}

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


def client_ip(request) -> str:
    """The address logins are counted against (settings.AXES_CLIENT_IP_CALLABLE).

    Behind ``settings.TRUSTED_PROXIES`` reverse proxies (NGOSO_TRUSTED_PROXIES; 1 by default with
    NGOSO_HTTPS) it is the address the nearest proxy saw, read from the right of X-Forwarded-For, so that
    users behind one proxy are not all one address and a client cannot choose its own by sending the
    header. Without proxies the header is ignored."""
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = int(getattr(settings, "TRUSTED_PROXIES", 0) or 0)
    if hops > 0:
        chain = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(chain) >= hops:
            return chain[-hops][:45]
    return remote
