HELP = "Xuất hộ gia đình và nhân khẩu của một địa bàn ra XLSX / export an area to XLSX"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("place_code", help="mã địa bàn, ví dụ 07351 / place code")
    p.add_argument("file", help="tệp .xlsx đích / output .xlsx")
    p.add_argument("--user", help="tài khoản thực hiện / acting user")


def handle(args) -> int:
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from ngoso.accounts import audit
    from ngoso.cli import CommandError
    from ngoso.commands._common import acting_user
    from ngoso.core.jobs import Progress
    from ngoso.people.io import export_people
    from ngoso.places.models import Place

    user = acting_user(args.user)
    place = Place.objects.filter(code=args.place_code).first()
    if place is None:
        raise CommandError(f"không có địa bàn mã «{args.place_code}» / no place with that code")
    if not args.file.lower().endswith(".xlsx"):
        raise CommandError("tệp xuất phải có đuôi .xlsx / the output file must end in .xlsx")
    try:
        with audit.acting_as(user):
            n = export_people(place, user, Path(args.file), Progress(None, echo=lambda m: print(m, flush=True)))
    except PermissionDenied:
        raise CommandError(f"«{place.name}» nằm ngoài địa bàn của {user.username} / outside the user's area") from None
    print(f"Đã xuất {n:,} dòng của {place.name} vào {args.file} / exported {n:,} rows")
    return 0
