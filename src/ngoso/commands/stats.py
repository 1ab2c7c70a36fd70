# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Thống kê: địa bàn, hộ, nhân khẩu, tổ, thành viên / counts of places, households, residents, teams"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--json", action="store_true")
    p.add_argument("--place", help="chỉ tính trong địa bàn này / only under this place code")


def handle(args) -> int:
    import json

    from ngoso.cli import CommandError
    from ngoso.insights.stats import stats
    from ngoso.places.models import Place

    place = None
    if args.place:
        place = Place.objects.filter(code=args.place).first()
        if place is None:
            raise CommandError(f"không có địa bàn mã «{args.place}» / no such place")
    s = stats(place)
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
        return 0
    p = s["places"]
    print(f"Tỉnh/provinces {p['province']:,} · xã/communes {p['commune']:,} · thôn/villages {p['village']:,}")
    h = s["historic_places"]
    print(f"Trước 7/2025 / before July 2025: tỉnh {h['province']:,} · huyện {h['district']:,} · xã {h['commune']:,}")
    print(f"Hộ/households {s['households']:,} · nhân khẩu/residents {s['residents']:,}")
    print(f"Tổ CNSCĐ/teams {s['teams']:,} {s['teams_by_level']} · thành viên/members {s['members']:,}")
    return 0
