# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("restore a backup into an empty data directory")
NEEDS_DJANGO = False  # set up below without migrating: the target database must stay empty


def add_arguments(p):
    p.add_argument("file", nargs="?", default=None,
                   help=_("the backup file (ngoso-*.tar), or the name of a backup in object storage"))
    p.add_argument("--list", action="store_true", help=_("list the backups kept in object storage"))


def handle(args) -> int:
    from ngoso.cli import CommandError, say, setup_django

    setup_django(migrate=False)
    from ngoso.core import backup
    from ngoso.core.db import ensure_migrated
    from ngoso.core.messages import Message

    try:
        if args.list:  # names to restore from (a fresh machine: nothing is written, not even a database)
            for name in backup.stored_backups():
                print(name)
            return 0
        if not args.file:
            raise CommandError(_("name the backup to restore (a file or a stored name; --list)"))
        out = backup.restore(args.file)
    except backup.BackupError as exc:
        raise CommandError(exc) from None
    ensure_migrated()  # a backup from an older version is brought up to this one
    print(say(Message(_("restored the backup of %(created_at)s (%(database)s, %(files)s files)"), **out)))
    return 0
