HELP = "Tạo tài khoản gắn với một địa bàn / create a user bound to a place"
NEEDS_DJANGO = True


# Kept in step with ngoso.accounts.models.Role (checked by a test); literal so that
# ``ngoso --help`` works before Django is configured.
ROLES = ("province_admin", "commune_staff", "radio_operator", "team_leader", "member", "viewer")


def add_arguments(p):
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--place", required=True, help="mã địa bàn / place code")
    p.add_argument("--password", help="mặc định: hỏi / default: prompt")


def handle(args) -> int:
    import getpass

    from ngoso.accounts.services import create_user
    from ngoso.cli import CommandError
    from ngoso.places.models import Place

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
