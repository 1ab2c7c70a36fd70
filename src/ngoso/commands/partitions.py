from django.utils.translation import gettext_lazy as _

HELP = _("history partitions (PostgreSQL): list, make ahead, archive old play logs")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--ahead", action="store_true",
                   help=_("make the coming partitions (the schedule does it nightly)"))
    p.add_argument("--archive", metavar="MONTHS", type=int, default=None,
                   help=_("detach, dump and drop play-log partitions older than MONTHS months"))
    p.add_argument("--to", default=None, help=_("archive folder (default DATA_DIR/archive)"))


def handle(args) -> int:
    from ngoso.cli import CommandError, say
    from ngoso.core import partitions
    from ngoso.core.messages import Message

    if not partitions.is_postgres():
        print(say(_("SQLite: plain tables, no partitions")))
        return 0
    if args.ahead:
        for table, made in partitions.ensure_all().items():
            for name in made:
                print(say(Message(_("created: %(name)s"), name=name)))
    if args.archive is not None:
        try:
            done = partitions.archive("radio_playlog", args.archive, to_dir=args.to)
        except partitions.ArchiveError as exc:
            raise CommandError(exc) from None
        for d in done:
            print(say(Message(_("archived: %(partition)s (%(rows)s rows) -> %(file)s"), partition=d["partition"],
                              rows=f"{d['rows']:,}", file=d["file"])))
        if not done:
            print(say(Message(_("nothing older than %(n)s months"), n=args.archive)))
    for spec in partitions.specs():
        parts = partitions.partitions(spec.table)
        print(say(Message(_("%(table)s (%(key)s, %(interval)s): %(n)s partitions: %(names)s"), table=spec.table,
                          key=spec.key, interval=spec.interval, n=len(parts),
                          names=", ".join(p["name"] for p in parts))))
    return 0
