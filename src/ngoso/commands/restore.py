# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Khôi phục một bản sao lưu vào thư mục dữ liệu trống / restore a backup into an empty data directory"
NEEDS_DJANGO = False  # set up below without migrating: the target database must stay empty


def add_arguments(p):
    p.add_argument("file", help="tệp sao lưu ngoso-*.tar / the backup file")


def handle(args) -> int:
    from ngoso.cli import CommandError, setup_django

    setup_django(migrate=False)
    from ngoso.core import backup
    from ngoso.core.db import ensure_migrated

    try:
        out = backup.restore(args.file)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    ensure_migrated()  # a backup from an older version is brought up to this one
    print(f"Đã khôi phục / restored the backup of {out['created_at']} ({out['database']}, {out['files']} tệp / files)")
    return 0
