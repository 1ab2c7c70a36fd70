# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("scan each commune for likely duplicates (the schedule does it nightly at 3:40)")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--place", help=_("a commune or province code; default: all"))


def handle(args) -> int:
    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message
    from ngoso.people.duplicates import scan_and_store
    from ngoso.places.models import Level, Place

    if args.place:
        place = Place.objects.filter(code=args.place).first()
        if place is None:
            raise CommandError(_("no place with code '%(place)s'"), place=args.place)
        places = [place]
    else:
        places = list(Place.objects.filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("code"))
    for place in places:
        got = scan_and_store(place)
        print(say(Message(_("%(code)s %(name)s: %(residents)s resident pairs, %(households)s household pairs, "
                            "%(seconds)s s"), code=place.code, name=place.name, **got)), flush=True)
    return 0
