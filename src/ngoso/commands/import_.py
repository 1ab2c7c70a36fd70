# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Nhập hộ gia đình, nhân khẩu, thôn từ tệp XLSX/CSV / import households, residents, villages"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("file", help="tệp .xlsx hoặc .csv / an .xlsx or .csv file")
    p.add_argument("--user", required=False, help="tài khoản thực hiện (phạm vi địa bàn) / acting user; "
                   "mặc định: người quản trị tỉnh đầu tiên / default: first province administrator")
    p.add_argument("--template", action="store_true", help="ghi tệp mẫu ra FILE thay vì nhập / write the template")
    p.add_argument("--duplicates", choices=["ask", "new", "skip"], default="ask",
                   help="dòng có thể trùng người đã có: ask = liệt kê và không nhập gì; new = vẫn thêm người mới; "
                        "skip = bỏ qua các dòng đó / rows that may be people already recorded: ask = list them and "
                        "import nothing (default); new = add them anyway; skip = leave those rows out")


def handle(args) -> int:
    from pathlib import Path

    from ngoso.cli import CommandError
    from ngoso.commands._common import acting_user
    from ngoso.core.jobs import Progress
    from ngoso.people.import_duplicates import NeedsChoice
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
        try:
            result = import_people(path.read_bytes(), path.name, user, progress)
        except NeedsChoice as exc:
            if args.duplicates == "ask":
                import sys

                print(f"Không nhập gì: {len(exc.rows)} dòng có thể trùng người đã có; chọn --duplicates new hoặc skip, "
                      f"hoặc nhập trên trang web để chọn từng dòng / nothing imported: {len(exc.rows)} rows may be "
                      f"people already recorded; pass --duplicates new or skip, or import on the web page to choose "
                      f"row by row", file=sys.stderr)
                for e in exc.rows:
                    m = e["matches"][0]
                    print(f"  dòng {e['row']}: {e['full_name']} {e['birth_year']} ~ {m['full_name']} {m['birth_year']} "
                          f"({m['household']}, {m['village']}; {m['score']}%)", file=sys.stderr)
                return 5
            result = import_people(path.read_bytes(), path.name, user, progress,
                                   choices={str(e["row"]): args.duplicates for e in exc.rows})
    except ImportFailed as exc:
        import sys

        print(f"Không nhập gì: {len(exc.errors)} lỗi / nothing imported: {len(exc.errors)} errors", file=sys.stderr)
        for e in exc.errors:
            print(f"  {e}", file=sys.stderr)
        return 3
    r = result
    print(f"Đã nhập / imported: thôn mới {r.villages_created}, hộ mới {r.households_created}, "
          f"hộ cập nhật {r.households_updated}, người mới {r.residents_created}, người cập nhật {r.residents_updated}, "
          f"trùng người đã có {r.residents_matched}, bỏ qua {r.residents_skipped}")
    return 0
