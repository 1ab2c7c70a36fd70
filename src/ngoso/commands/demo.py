# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

import sys
import time

HELP = "Dựng khu vực mẫu (Bắc Giang cũ) rồi chạy máy chủ / build the demo area, then serve it"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--scale", choices=["village", "commune", "province"], default="commune",
                   help="village (1 thôn), commune (xã Ngọc Thiện, mặc định), province (≈450.000 hộ)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--no-serve", action="store_true", help="chỉ dựng dữ liệu, không chạy máy chủ / build only")
    p.add_argument("--reset", action="store_true", help="xoá dữ liệu cũ trước / wipe existing data first")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def handle(args) -> int:
    from ngoso.cli import CommandError
    from ngoso.demo import builder
    from ngoso.people.models import Household

    if Household.objects.exists():
        if not args.reset:
            raise CommandError("cơ sở dữ liệu đã có dữ liệu; thêm --reset để dựng lại / "
                               "the database already has data; add --reset to rebuild")
        print("Xoá dữ liệu cũ / wiping existing data …", flush=True)
        builder.reset_database()
    t0 = time.perf_counter()
    summary = builder.build(args.scale, args.seed, progress=lambda m: print(m, flush=True))
    c = summary.counts
    print(f"\nĐã dựng khu vực mẫu «{args.scale}» trong {time.perf_counter() - t0:.1f} s / demo built:")
    print(f"  thôn/villages {c['places']['village']:,} · xã/communes {summary.communes:,} "
          f"(trước 7/2025 / before July 2025: {summary.former_communes:,}) · "
          f"hộ/households {c['households']:,} · nhân khẩu/residents {c['residents']:,} · "
          f"tổ/teams {c['teams']:,} · thành viên/members {c['members']:,}")
    _print_logins(summary.logins)
    if args.no_serve:
        return 0
    from ngoso.commands.serve import run_server

    return run_server(args.host, args.port, demo=True)  # demo logins allowed, with a warning


def _print_logins(logins):
    print("\nTài khoản mẫu / demo logins (mật khẩu / password):")
    for username, password, label, place in logins:
        print(f"  {username:<12} {password}   {label} — {place}")
    sys.stdout.flush()
