HELP = "Nhập hộ gia đình, nhân khẩu, thôn từ tệp XLSX/CSV / import households, residents, villages"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("file", help="tệp .xlsx hoặc .csv / an .xlsx or .csv file")
    p.add_argument("--user", required=False, help="tài khoản thực hiện (phạm vi địa bàn) / acting user; "
                   "mặc định: người quản trị tỉnh đầu tiên / default: first province administrator")
    p.add_argument("--template", action="store_true", help="ghi tệp mẫu ra FILE thay vì nhập / write the template")


def handle(args) -> int:
    from pathlib import Path

    from ngoso.cli import CommandError
    from ngoso.commands._common import acting_user
    from ngoso.core.jobs import Progress
    from ngoso.people.io import ImportFailed, import_people, template_workbook

    user = acting_user(args.user)
    path = Path(args.file)
    if args.template:
        path.write_bytes(template_workbook(user))
        print(f"Đã ghi tệp mẫu / template written: {path}")
        return 0
    if not path.exists():
        raise CommandError(f"không thấy tệp / no such file: {path}")
    progress = Progress(None, echo=lambda m: print(m, flush=True))
    try:
        result = import_people(path.read_bytes(), path.name, user, progress)
    except ImportFailed as exc:
        import sys

        print(f"Không nhập gì: {len(exc.errors)} lỗi / nothing imported: {len(exc.errors)} errors", file=sys.stderr)
        for e in exc.errors:
            print(f"  {e}", file=sys.stderr)
        return 3
    r = result
    print(f"Đã nhập / imported: thôn mới {r.villages_created}, hộ mới {r.households_created}, "
          f"hộ cập nhật {r.households_updated}, người mới {r.residents_created}, người cập nhật {r.residents_updated}")
    return 0
