# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Sao lưu cơ sở dữ liệu và tệp (chạy được khi máy chủ đang chạy) / back up the database and files (online)"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--to", default=None, help="thư mục đích (mặc định DATA_DIR/backups) / target folder")
    p.add_argument("--rotate", action="store_true",
                   help="xoá bản cũ, giữ 7 ngày và 4 tuần gần nhất / keep the last 7 daily and 4 weekly, delete others")
    p.add_argument("--verify", metavar="FILE", default=None, help="chỉ kiểm tra một bản sao lưu / only check a backup")


def handle(args) -> int:
    import time

    from ngoso.cli import CommandError
    from ngoso.core import backup

    try:
        if args.verify:
            m = backup.verify(args.verify)
            print(f"Bản sao lưu tốt / backup OK: {m['created_at']}, {m['database']}, {len(m['files'])} tệp / files")
            return 0
        t = time.monotonic()
        out = backup.make_backup(args.to)
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"Đã sao lưu / backed up: {out['file']} ({out['size'] / 1e6:.1f} MB, {out['files']} tệp / files, "
          f"{time.monotonic() - t:.1f} s)")
    if args.rotate:
        for name in backup.rotate(args.to):
            print(f"Đã xoá bản cũ / deleted old backup: {name}")
    return 0
