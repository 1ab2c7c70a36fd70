"""Helpers shared by the commands."""

# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

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
