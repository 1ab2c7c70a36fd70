# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("unlock a login locked after too many wrong passwords")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("username", nargs="?", help=_("username (empty with --all: everyone)"))
    p.add_argument("--all", action="store_true", help=_("unlock everyone"))


def handle(args) -> int:
    from axes.utils import reset

    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message

    if not args.username and not args.all:
        raise CommandError(_("give a username or --all"))
    n = reset() if args.all else reset(username=args.username)
    print(say(Message(_("cleared %(n)s lockout record(s)"), n=n)))
    return 0
