HELP = ("Phân vùng lịch sử (PostgreSQL): xem, tạo trước, lưu trữ nhật ký phát cũ / history partitions "
        "(PostgreSQL): list, make ahead, archive old play logs")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--ahead", action="store_true",
                   help="tạo các phân vùng sắp tới (lịch định kỳ làm hằng đêm) / make the coming partitions "
                        "(the schedule does it nightly)")
    p.add_argument("--archive", metavar="MONTHS", type=int, default=None,
                   help="tách, xuất (pg_dump) rồi xoá phân vùng nhật ký phát cũ hơn MONTHS tháng / detach, dump "
                        "and drop play-log partitions older than MONTHS months")
    p.add_argument("--to", default=None, help="thư mục lưu trữ (mặc định DATA_DIR/archive) / archive folder")


def handle(args) -> int:
    from ngoso.cli import CommandError
    from ngoso.core import partitions

    if not partitions.is_postgres():
        print("SQLite: bảng thường, không phân vùng / plain tables, no partitions")
        return 0
    if args.ahead:
        for table, made in partitions.ensure_all().items():
            for name in made:
                print(f"Đã tạo / created: {name}")
    if args.archive is not None:
        try:
            done = partitions.archive("radio_playlog", args.archive, to_dir=args.to)
        except partitions.ArchiveError as exc:
            raise CommandError(str(exc)) from None
        for d in done:
            print(f"Đã lưu trữ / archived: {d['partition']} ({d['rows']:,} dòng / rows) -> {d['file']}")
        if not done:
            print(f"Không có phân vùng nào cũ hơn {args.archive} tháng / nothing older than {args.archive} months")
    for spec in partitions.specs():
        parts = partitions.partitions(spec.table)
        print(f"{spec.table} ({spec.key}, {spec.interval}): {len(parts)} "
              f"phân vùng / partitions: {', '.join(p['name'] for p in parts)}")
    return 0
