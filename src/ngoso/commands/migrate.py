# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Tạo / cập nhật cơ sở dữ liệu / create or upgrade the database schema"
NEEDS_DJANGO = False


def add_arguments(p):
    pass


def handle(args) -> int:
    from ngoso.cli import setup_django

    setup_django(migrate=False)
    from ngoso.core.db import ensure_migrated

    ran = ensure_migrated(verbosity=1)
    print("Đã cập nhật / migrated" if ran else "Không có gì cần cập nhật / up to date")
    return 0
