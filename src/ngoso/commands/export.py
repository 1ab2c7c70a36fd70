# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Xuất hộ gia đình và nhân khẩu của một địa bàn ra XLSX / export an area to XLSX"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("place_code", nargs="?", help="mã địa bàn, ví dụ 07351 / place code")
    p.add_argument("file", nargs="?", help="tệp .xlsx đích / output .xlsx")
    p.add_argument("--user", help="tài khoản thực hiện / acting user")
    p.add_argument("--clean-up", action="store_true",
                   help="xoá tệp xuất đã hết hạn và tệp tải lên bị bỏ lại / delete expired export files and "
                        "left-over uploads")


def handle(args) -> int:
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from ngoso.accounts import audit
    from ngoso.cli import CommandError
    from ngoso.commands._common import acting_user
    from ngoso.core.jobs import Progress
    from ngoso.people.io import export_people
    from ngoso.places.models import Place

    if args.clean_up:
        from ngoso.core.jobs import clean_up

        out = clean_up()
        print(f"Đã xoá {out['expired']} tệp xuất hết hạn, {out['orphan_exports']} tệp xuất và "
              f"{out['orphan_uploads']} tệp tải lên không còn dùng / deleted {out['expired']} expired export files, "
              f"{out['orphan_exports']} orphan export files, {out['orphan_uploads']} orphan uploads")
        return 0
    if not args.place_code or not args.file:
        raise CommandError("cần mã địa bàn và tệp đích (hoặc --clean-up) / give a place code and an output file "
                           "(or --clean-up)")
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
