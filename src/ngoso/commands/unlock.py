# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = ("Mở khoá đăng nhập bị khoá vì sai mật khẩu nhiều lần / "
        "unlock a login locked after too many wrong passwords")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("username", nargs="?", help="tài khoản / username (bỏ trống + --all: mọi tài khoản / all)")
    p.add_argument("--all", action="store_true", help="mở khoá tất cả / unlock everyone")


def handle(args) -> int:
    from axes.utils import reset

    from ngoso.cli import CommandError

    if not args.username and not args.all:
        raise CommandError("cho biết tài khoản hoặc --all / give a username or --all")
    n = reset() if args.all else reset(username=args.username)
    print(f"Đã xoá {n} lần khoá / cleared {n} lockout record(s)")
    return 0
