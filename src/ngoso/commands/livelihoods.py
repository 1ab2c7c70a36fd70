# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _
HELP = "Sinh kế số: thư viện kỹ thuật, chỉ số bán hàng qua mạng / digital livelihoods: farming library, figures"
NEEDS_DJANGO = True


def add_arguments(p):
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = sub.add_parser("articles", help="tìm bài kỹ thuật / search the farming library")
    a.add_argument("query", nargs="?", default="", help="không dấu cũng được / accents optional: «banh nhom»")
    a.add_argument("--subject", default="", help="cây trồng, vật nuôi / crop or animal: lúa, vải thiều…")
    i = sub.add_parser("import-articles", help="thêm, sửa bài từ tệp JSON / add or update articles from JSON")
    i.add_argument("file")
    i.add_argument("--user", help="tài khoản thực hiện / acting user (default: first province admin)")
    f = sub.add_parser("figures", help="chỉ số sinh kế số của một địa bàn / livelihood figures of a place")
    f.add_argument("--place", required=True, help="mã địa bàn / place code")
    f.add_argument("--json", action="store_true")


def handle(args) -> int:
    import json
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from ngoso.cli import CommandError
    from ngoso.livelihoods import services

    if args.action == "articles":
        hits = services.search_articles(args.query, subject=args.subject)
        for a in hits:
            print(f"{a.slug:45} {a.subject:18} {a.title}")
        print(f"{len(hits)} bài / articles")
        return 0 if hits else 1
    if args.action == "import-articles":
        from ngoso.accounts import audit
        from ngoso.commands._common import acting_user

        path = Path(args.file)
        if not path.is_file():
            raise CommandError(_("no such file: %(path)s"), path=path)
        user = acting_user(args.user)
        try:
            with audit.acting_as(user):
                done = services.import_articles(path.read_bytes(), path.name, user)
        except services.LivelihoodError as exc:
            raise CommandError(_("nothing imported: %(exc)s"), exc=exc) from exc
        except PermissionDenied as exc:
            raise CommandError(_("%(username)s may not edit the farming library (province administrators only)"),
                               username=user.username) from exc
        for a in done:
            print(f"{a.slug} v{a.version}")
        print(f"Đã lưu {len(done)} bài / {len(done)} articles saved")
        return 0
    from ngoso.livelihoods.indicators import livelihood_figures
    from ngoso.places.models import Place

    place = Place.objects.filter(code=args.place).first()
    if place is None:
        raise CommandError(_("no place with code '%(place)s'"), place=args.place)
    d = livelihood_figures(place)
    if args.json:
        print(json.dumps(d, ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{place.name}: hộ sản xuất / producers {d['producers']:,} · bán qua mạng / selling online "
          f"{d['producers_online']:,} ({d['producers_online_pct'] if d['producers_online_pct'] is not None else '—'} %) · "
          f"hộ sản xuất thanh toán điện tử / producer households with e-payment {d['households_epayment']:,} · câu chuyện hay / stories {d['stories_published']:,}")
    for m in d["months"]:
        print(f"  {m['month']}  {m['producers_online']:>6,}  {m['households_epayment']:>6,}  {m['stories']:>3}")
    return 0
