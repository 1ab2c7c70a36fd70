# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Nạp danh mục tỉnh, xã chính thức (vietnam-provinces) / load the official provinces and communes"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("action", choices=["load-official"])
    p.add_argument("--province", action="append", help="chỉ tỉnh có mã này / only this province code")


def handle(args) -> int:
    from ngoso.places.services import load_official_places

    counts = load_official_places(args.province)
    print(f"Đã nạp / loaded: {counts['provinces']} tỉnh/provinces, {counts['communes']} xã/communes")
    return 0
