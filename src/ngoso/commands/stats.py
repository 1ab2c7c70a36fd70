# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("counts of places, households, residents, teams")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--json", action="store_true")
    p.add_argument("--place", help=_("only under this place code"))


def handle(args) -> int:
    import json

    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message
    from ngoso.insights.stats import stats
    from ngoso.places.models import Place

    place = None
    if args.place:
        place = Place.objects.filter(code=args.place).first()
        if place is None:
            raise CommandError(_("no place with code '%(place)s'"), place=args.place)
    s = stats(place)
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return 0
    p = s["places"]
    h = s["historic_places"]
    n = {k: f"{v:,}" for k, v in s.items() if isinstance(v, int)}
    print(say(Message(_("provinces %(province)s · communes %(commune)s · villages %(village)s"),
                      **{k: f"{v:,}" for k, v in p.items()})))
    print(say(Message(_("before July 2025: provinces %(province)s · districts %(district)s · communes %(commune)s"),
                      **{k: f"{v:,}" for k, v in h.items()})))
    print(say(Message(_("households %(households)s · residents %(residents)s"), **n)))
    print(say(Message(_("teams %(teams)s %(by_level)s · members %(members)s"), by_level=s["teams_by_level"], **n)))
    return 0
