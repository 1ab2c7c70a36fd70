"""Helpers shared by the commands."""

from django.utils.translation import gettext_lazy as _


def acting_user(username: str | None):
    """The user a CLI action is done as: its area limits what it can see, and the audit log names it."""
    from ngoso.accounts.models import Role, User
    from ngoso.cli import CommandError

    if username:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("no account '%(username)s'"), username=username)
        return user
    user = User.objects.filter(role=Role.PROVINCE_ADMIN, is_active=True).order_by("id").first()
    if user is None:
        raise CommandError(_("no province administrator yet; create one with `ngoso createuser` or pass --user"))
    return user
