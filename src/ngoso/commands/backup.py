# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("back up the database and files (online)")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--to", default=None, help=_("target folder (default DATA_DIR/backups)"))
    p.add_argument("--rotate", action="store_true",
                   help=_("keep the last 7 daily and 4 weekly, delete others"))
    p.add_argument("--verify", metavar="FILE", default=None, help=_("only check a backup"))


def handle(args) -> int:
    import time

    from ngoso.cli import CommandError, say
    from ngoso.core import backup
    from ngoso.core.messages import Message

    try:
        if args.verify:
            m = backup.verify(args.verify)
            print(say(Message(_("backup OK: %(created_at)s, %(database)s, %(n)s files"), created_at=m["created_at"],
                              database=m["database"], n=len(m["files"]))))
            return 0
        t = time.monotonic()
        out = backup.make_backup(args.to)
    except backup.BackupError as exc:
        raise CommandError(exc) from None
    print(say(Message(_("backed up: %(file)s (%(mb).1f MB, %(files)s files, %(s).1f s)"), file=out["file"],
                      mb=out["size"] / 1e6, files=out["files"], s=time.monotonic() - t)))
    if out.get("stored"):
        print(say(Message(_("also kept in object storage as %(name)s"), name=out["stored"])))
    if args.rotate:
        for name in backup.rotate(args.to):
            print(say(Message(_("deleted old backup: %(name)s"), name=name)))
        for name in backup.rotate_stored():
            print(say(Message(_("deleted old backup from object storage: %(name)s"), name=name)))
    return 0
