"""``ngoso lessons``: check the library, print handouts, move translations in and out.

    ngoso lessons check
    ngoso lessons handout qr-payment --audience elderly --size A5 --out phieu.pdf
    ngoso lessons print --user member_a1 [--day 2026-12-01] --out ngay-mai.pdf
    ngoso lessons translations tay --out tay.xlsx
    ngoso lessons import-translations tay tay.xlsx --user tinh
"""

from __future__ import annotations

# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

import argparse
import datetime
from pathlib import Path

from ngoso.cli import CommandError

HELP = "Bài học: kiểm tra, in phiếu, bản dịch / lessons: check, print handouts, translations"
NEEDS_DJANGO = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("check", help="mọi kỹ năng đều có bài ở mọi ngôn ngữ, đối tượng bắt buộc / every skill has its lessons")
    h = sub.add_parser("handout", help="in phiếu một bài / one lesson's handout (PDF)")
    h.add_argument("skill")
    h.add_argument("--audience", choices=["standard", "elderly"], default="standard")
    h.add_argument("--language", default="vi")
    h.add_argument("--size", choices=["A5", "A4"], default="A5")
    h.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("print", help="phiếu cho các hộ thăm ngày mai của một thành viên / tomorrow's handouts")
    p.add_argument("--user", required=True, help="tên đăng nhập của thành viên / the member's username")
    p.add_argument("--day", help="YYYY-MM-DD (mặc định: ngày mai / default: tomorrow)")
    p.add_argument("--size", choices=["A5", "A4"], default="A5")
    p.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("translations", help="bảng tính để dịch / the spreadsheet to translate")
    t.add_argument("language")
    t.add_argument("--out", type=Path, required=True)
    i = sub.add_parser("import-translations", help="nhập bản dịch / import a filled spreadsheet")
    i.add_argument("language")
    i.add_argument("file", type=Path)
    i.add_argument("--user", required=True, help="cán bộ tỉnh nhập / the province staff importing")


def _user(username: str):
    from ngoso.accounts.models import User

    u = User.objects.filter(username=username).first()
    if u is None:
        raise CommandError(f"không có tài khoản «{username}» / no user '{username}'")
    return u


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def handle(args: argparse.Namespace) -> int:
    from django.core.exceptions import PermissionDenied

    from ngoso.lessons import services as L
    from ngoso.people.io import ImportFailed

    try:
        if args.action == "check":
            missing = L.missing_variants()
            for code, lang, aud in missing:
                print(f"thiếu / missing: {code} {lang} {aud}")
            n = L.skills().count()
            print(f"{n} kỹ năng, {n * 4 - len(missing)}/{n * 4} bài (vi, en × phổ thông, người cao tuổi)")
            return 1 if missing else 0
        if args.action == "handout":
            _write(args.out, L.handout_pdf(args.skill, args.audience, args.language, args.size))
            print(f"{args.out}")
        elif args.action == "print":
            day = None
            if args.day:
                try:
                    day = datetime.date.fromisoformat(args.day)
                except ValueError:
                    raise CommandError(f"ngày «{args.day}» không hợp lệ (YYYY-MM-DD) / invalid date") from None
            batch = L.tomorrow_batch(_user(args.user), day=day, size=args.size)
            _write(args.out, batch.pdf)
            print(f"{args.out}: {batch.households} hộ, {batch.lessons} bài / households, lessons")
        elif args.action == "translations":
            _write(args.out, L.translation_template(args.language))
            print(f"{args.out}")
        elif args.action == "import-translations":
            try:
                data = args.file.read_bytes()
            except OSError as exc:
                raise CommandError(f"không đọc được tệp / cannot read {args.file}: {exc.strerror or exc}") from None
            res = L.import_translations(data, args.file.name, _user(args.user), args.language)
            print(f"{res.lessons} bài cập nhật, {res.pieces} câu đã dịch, {res.rows} dòng / lessons, sentences, rows")
    except L.LessonError as exc:
        raise CommandError(f"{exc.vi} / {exc.en}") from None
    except ImportFailed as exc:
        for e in exc.errors:
            print(str(e))
        raise CommandError(str(exc)) from None
    except PermissionDenied:
        raise CommandError("tài khoản này không được làm việc này / this user may not do this") from None
    return 0
