# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = ("Tìm nhân khẩu/hộ có thể trùng theo từng xã (lịch chạy hằng đêm 3:40 làm việc này) / scan each commune "
        "for likely duplicates (the schedule does it nightly at 3:40)")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--place", help="mã xã hoặc tỉnh; mặc định: mọi xã / a commune or province code; default: all")


def handle(args) -> int:
    from ngoso.cli import CommandError
    from ngoso.people.duplicates import scan_and_store
    from ngoso.places.models import Level, Place

    if args.place:
        place = Place.objects.filter(code=args.place).first()
        if place is None:
            raise CommandError(f"không có địa bàn «{args.place}» / no such place")
        places = [place]
    else:
        places = list(Place.objects.filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("code"))
    for place in places:
        got = scan_and_store(place)
        print(f"{place.code} {place.name}: {got['residents']} cặp nhân khẩu / resident pairs, "
              f"{got['households']} cặp hộ / household pairs, {got['seconds']} s", flush=True)
    return 0
