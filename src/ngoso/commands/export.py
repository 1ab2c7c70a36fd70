# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("export an area's households and residents to XLSX")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("place_code", nargs="?", help=_("place code, e.g. 07351"))
    p.add_argument("file", nargs="?", help=_("the output .xlsx file"))
    p.add_argument("--user", help=_("acting user"))
    p.add_argument("--clean-up", action="store_true",
                   help=_("delete expired export files and left-over uploads"))


def handle(args) -> int:
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from ngoso.accounts import audit
    from ngoso.cli import CommandError, say
    from ngoso.commands._common import acting_user
    from ngoso.core.jobs import Progress
    from ngoso.core.messages import Message
    from ngoso.people.io import export_people
    from ngoso.places.models import Place

    if args.clean_up:
        from ngoso.core.jobs import clean_up

        out = clean_up()
        print(say(Message(_("deleted %(expired)s expired export files, %(orphan_exports)s orphan export files, "
                            "%(orphan_uploads)s orphan uploads"), **out)))
        return 0
    if not args.place_code or not args.file:
        raise CommandError(_("give a place code and an output file (or --clean-up)"))
    user = acting_user(args.user)
    place = Place.objects.filter(code=args.place_code).first()
    if place is None:
        raise CommandError(_("no place with code '%(place)s'"), place=args.place_code)
    if not args.file.lower().endswith(".xlsx"):
        raise CommandError(_("the output file must end in .xlsx"))
    try:
        with audit.acting_as(user):
            n = export_people(place, user, Path(args.file), Progress(None, echo=lambda m: print(m, flush=True)))
    except PermissionDenied:
        raise CommandError(_("'%(name)s' is outside the area of %(username)s"),
                           name=place.name, username=user.username) from None
    print(say(Message(_("exported %(n)s rows of %(name)s to %(file)s"), n=f"{n:,}", name=place.name, file=args.file)))
    return 0
