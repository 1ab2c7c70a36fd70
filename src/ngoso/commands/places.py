# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("load the official provinces and communes (vietnam-provinces)")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("action", choices=["load-official"])
    p.add_argument("--province", action="append", help=_("only this province code"))


def handle(args) -> int:
    from ngoso.cli import say
    from ngoso.core.messages import Message
    from ngoso.places.services import load_official_places

    counts = load_official_places(args.province)
    print(say(Message(_("loaded: %(provinces)s provinces, %(communes)s communes"), **counts)))
    return 0
