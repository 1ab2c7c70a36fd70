# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("create a user bound to a place, or reset a user's password")
NEEDS_DJANGO = True


# Kept in step with ngoso.accounts.models.Role (checked by a test); literal so that
# ``ngoso --help`` works before Django is configured.
ROLES = ("province_admin", "commune_staff", "radio_operator", "team_leader", "member", "viewer")


def add_arguments(p):
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, help=_("required to create"))
    p.add_argument("--place", help=_("place code (required to create)"))
    p.add_argument("--password", help=_("default: asked"))
    p.add_argument("--reset-password", action="store_true",
                   help=_("set a new password for an existing user"))
    p.add_argument("--user", help=_("acting user, whose role and area decide; default: the server's operator"))


def handle(args) -> int:
    import getpass

    from ngoso.accounts.services import create_user
    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message, both
    from ngoso.places.models import Place

    if args.reset_password:
        return _reset_password(args)
    by = _by(args)
    if not args.role or not args.place:
        raise CommandError(_("--role and --place are needed to create a user"))
    place = Place.objects.filter(code=args.place).first()
    if place is None:
        raise CommandError(_("no place with code '%(place)s'"), place=args.place)
    password = args.password or getpass.getpass(both(_("password")) + ": ")
    try:
        user = create_user(args.username, password, args.role, place, by=by)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(say(Message(_("created %(username)s (%(role)s) — %(place)s"), username=user.username,
                      role=user.get_role_display, place=place.name)))
    return 0


def _reset_password(args) -> int:
    import getpass

    from ngoso.accounts.models import User
    from ngoso.accounts.services import set_password
    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message, both

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CommandError(_("no account '%(username)s'"), username=args.username)
    password = args.password
    if not password:
        password = getpass.getpass(both(_("new password")) + ": ")
        if getpass.getpass(both(_("again")) + ": ") != password:
            raise CommandError(_("the two entries differ"))
    try:
        set_password(user, password, by=_by(args), how="reset (ngoso createuser --reset-password)")
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(say(Message(_("password reset: %(username)s"), username=user.username)))
    return 0


def _by(args):
    """Who acts: ``--user`` (the permission matrix applies: ``accounts.permissions``), or the operator of the
    server itself, who makes the first account."""
    from ngoso.commands._common import acting_user

    username = getattr(args, "user", None)  # (callers building the arguments by hand may leave it out)
    return acting_user(username) if username else "system:cli"
