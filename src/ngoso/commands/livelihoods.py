# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _
HELP = _("digital livelihoods: farming library, figures")
NEEDS_DJANGO = True


def add_arguments(p):
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = sub.add_parser("articles", help=_("search the farming library"))
    a.add_argument("query", nargs="?", default="", help=_("accents optional: «banh nhom»"))
    a.add_argument("--subject", default="", help=_("crop or animal: lúa, vải thiều…"))
    i = sub.add_parser("import-articles", help=_("add or update articles from JSON"))
    i.add_argument("file")
    i.add_argument("--user", help=_("acting user (their area); default: the first province administrator"))
    f = sub.add_parser("figures", help=_("livelihood figures of a place"))
    f.add_argument("--place", required=True, help=_("place code, e.g. 07351"))
    f.add_argument("--json", action="store_true")


def handle(args) -> int:
    import json
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message, grouped
    from ngoso.livelihoods import services

    if args.action == "articles":
        hits = services.search_articles(args.query, subject=args.subject)
        for a in hits:
            print(f"{a.slug:45} {a.subject:18} {a.title}")
        print(say(Message(_("%(n)s articles"), n=grouped(len(hits)))))
        return 0 if hits else 1
    if args.action == "import-articles":
        from ngoso.accounts import audit
        from ngoso.commands._common import acting_user

        path = Path(args.file)
        if not path.is_file():
            raise CommandError(_("no such file: %(path)s"), path=path)
        user = acting_user(args.user)
        try:
            with audit.acting_as(user):
                done = services.import_articles(path.read_bytes(), path.name, user)
        except services.LivelihoodError as exc:
            raise CommandError(_("nothing imported: %(exc)s"), exc=exc) from exc
        except PermissionDenied as exc:
            raise CommandError(_("%(username)s may not edit the farming library (province administrators only)"),
                               username=user.username) from exc
        for a in done:
            print(f"{a.slug} v{a.version}")
        print(say(Message(_("%(n)s articles saved"), n=grouped(len(done)))))
        return 0
    from ngoso.livelihoods.indicators import livelihood_figures
    from ngoso.places.models import Place

    place = Place.objects.filter(code=args.place).first()
    if place is None:
        raise CommandError(_("no place with code '%(place)s'"), place=args.place)
    d = livelihood_figures(place)
    if args.json:
        print(json.dumps(d, ensure_ascii=False, indent=2, default=str))
        return 0
    pct = d["producers_online_pct"]
    print(say(Message(_("%(place)s: producers %(producers)s · selling online %(online)s (%(pct)s %%) · producer "
                        "households with e-payment %(epayment)s · stories %(stories)s"), place=place.name,
                      producers=grouped(d["producers"]), online=grouped(d["producers_online"]),
                      pct=grouped(pct, 1) if pct is not None else "—", epayment=grouped(d["households_epayment"]),
                      stories=grouped(d["stories_published"]))))
    if d["months"]:
        print(say(_("by month: selling online, producer households with e-payment, stories")))
    for m in d["months"]:  # no thousands separator: "1,234" reads as a decimal in Vietnamese, "1.234" in English
        print(f"  {m['month']}  {m['producers_online']:>7}  {m['households_epayment']:>7}  {m['stories']:>4}")
    return 0
