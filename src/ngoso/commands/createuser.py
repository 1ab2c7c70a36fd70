# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = ("Tạo tài khoản gắn với một địa bàn, hoặc đặt lại mật khẩu / "
        "create a user bound to a place, or reset a user's password")
NEEDS_DJANGO = True


# Kept in step with ngoso.accounts.models.Role (checked by a test); literal so that
# ``ngoso --help`` works before Django is configured.
ROLES = ("province_admin", "commune_staff", "radio_operator", "team_leader", "member", "viewer")


def add_arguments(p):
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, help="bắt buộc khi tạo / required to create")
    p.add_argument("--place", help="mã địa bàn (bắt buộc khi tạo) / place code (required to create)")
    p.add_argument("--password", help="mặc định: hỏi / default: prompt")
    p.add_argument("--reset-password", action="store_true",
                   help="đặt mật khẩu mới cho tài khoản đã có / set a new password for an existing user")


def handle(args) -> int:
    import getpass

    from ngoso.accounts.services import create_user
    from ngoso.cli import CommandError
    from ngoso.places.models import Place

    if args.reset_password:
        return _reset_password(args)
    if not args.role or not args.place:
        raise CommandError("cần --role và --place để tạo tài khoản / --role and --place are needed to create a user")
    place = Place.objects.filter(code=args.place).first()
    if place is None:
        raise CommandError(f"không có địa bàn mã «{args.place}» / no such place")
    password = args.password or getpass.getpass("Mật khẩu / password: ")
    try:
        user = create_user(args.username, password, args.role, place)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(f"Đã tạo / created {user.username} ({user.get_role_display()}) — {place.name}")
    return 0


def _reset_password(args) -> int:
    import getpass

    from ngoso.accounts.models import User
    from ngoso.accounts.services import set_password
    from ngoso.cli import CommandError

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CommandError(f"không có tài khoản «{args.username}» / no such user")
    password = args.password
    if not password:
        password = getpass.getpass("Mật khẩu mới / new password: ")
        if getpass.getpass("Nhập lại / again: ") != password:
            raise CommandError("hai lần nhập khác nhau / the two entries differ")
    try:
        set_password(user, password, by="system:cli", how="reset (ngoso createuser --reset-password)")
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(f"Đã đặt mật khẩu mới / password reset: {user.username}")
    return 0
