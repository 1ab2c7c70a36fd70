# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("import households, residents and villages from an XLSX or CSV file")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("file", help=_("an .xlsx or .csv file"))
    p.add_argument("--user", required=False, help=_("acting user (their area); default: the first province administrator"))
    p.add_argument("--template", action="store_true", help=_("write the template to FILE instead of importing"))
    p.add_argument("--duplicates", choices=["ask", "new", "skip"], default="ask",
                   help=_("rows that may be people already recorded: ask = list them and import nothing "
                          "(default); new = add them anyway; skip = leave those rows out"))


def handle(args) -> int:
    from pathlib import Path

    from ngoso.cli import CommandError, import_failed, say
    from ngoso.commands._common import acting_user
    from ngoso.core.jobs import Progress
    from ngoso.core.messages import Message
    from ngoso.people.import_duplicates import NeedsChoice
    from ngoso.people.io import ImportFailed, import_people, template_workbook

    user = acting_user(args.user)
    path = Path(args.file)
    if args.template:
        path.write_bytes(template_workbook(user))
        print(say(Message(_("template written: %(path)s"), path=path)))
        return 0
    if not path.exists():
        raise CommandError(_("no such file: %(path)s"), path=path)
    progress = Progress(None, echo=lambda m: print(m, flush=True))
    try:
        try:
            result = import_people(path.read_bytes(), path.name, user, progress)
        except NeedsChoice as exc:
            if args.duplicates == "ask":
                import sys

                print(say(Message(_("nothing imported: %(n)s rows may be people already recorded; pass --duplicates "
                                    "new or skip, or import on the web page to choose row by row"), n=len(exc.rows))),
                      file=sys.stderr)
                for e in exc.rows:
                    m = e["matches"][0]
                    print(f"  dòng {e['row']}: {e['full_name']} {e['birth_year']} ~ {m['full_name']} {m['birth_year']} "
                          f"({m['household']}, {m['village']}; {m['score']}%)", file=sys.stderr)
                return 5
            result = import_people(path.read_bytes(), path.name, user, progress,
                                   choices={str(e["row"]): args.duplicates for e in exc.rows})
    except ImportFailed as exc:
        import sys

        print(say(import_failed(exc)), file=sys.stderr)
        return 3
    r = result
    print(say(Message(_("imported: %(villages_created)s new villages, %(households_created)s new households, "
                        "%(households_updated)s households updated, %(residents_created)s new residents, "
                        "%(residents_updated)s residents updated, %(residents_matched)s already recorded, "
                        "%(residents_skipped)s skipped"), **{k: getattr(r, k) for k in (
                            "villages_created", "households_created", "households_updated", "residents_created",
                            "residents_updated", "residents_matched", "residents_skipped")})))
    return 0
