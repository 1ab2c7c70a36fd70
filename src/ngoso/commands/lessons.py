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

from ngoso.cli import CommandError, import_failed
from django.utils.translation import gettext_lazy as _

HELP = _("lessons: check, print handouts, translations")
NEEDS_DJANGO = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("check", help=_("every skill has its lessons in every required language and audience"))
    h = sub.add_parser("handout", help=_("one lesson's handout (PDF)"))
    h.add_argument("skill")
    h.add_argument("--audience", choices=["standard", "elderly"], default="standard")
    h.add_argument("--language", default="vi")
    h.add_argument("--size", choices=["A5", "A4"], default="A5")
    h.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("print", help=_("the handouts for a member's households visited tomorrow"))
    p.add_argument("--user", required=True, help=_("the member's username"))
    p.add_argument("--day", help=_("YYYY-MM-DD (default: tomorrow)"))
    p.add_argument("--size", choices=["A5", "A4"], default="A5")
    p.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("translations", help=_("the spreadsheet to translate"))
    t.add_argument("language")
    t.add_argument("--out", type=Path, required=True)
    i = sub.add_parser("import-translations", help=_("import a filled spreadsheet"))
    i.add_argument("language")
    i.add_argument("file", type=Path)
    i.add_argument("--user", required=True, help=_("the province staff importing"))


def _user(username: str):
    from ngoso.accounts.models import User

    u = User.objects.filter(username=username).first()
    if u is None:
        raise CommandError(_("no user '%(username)s'"), username=username)
    return u


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def handle(args: argparse.Namespace) -> int:
    from django.core.exceptions import PermissionDenied

    from ngoso.cli import say
    from ngoso.core.messages import Message
    from ngoso.lessons import services as L
    from ngoso.people.io import ImportFailed

    try:
        if args.action == "check":
            missing = L.missing_variants()
            for code, lang, aud in missing:
                print(say(Message(_("missing: %(skill)s %(language)s %(audience)s"), skill=code, language=lang,
                                  audience=aud)))
            n = L.skills().count()
            print(say(Message(_("%(n)s skills, %(done)s/%(total)s lessons (vi, en × standard, elderly)"), n=n,
                              done=n * 4 - len(missing), total=n * 4)))
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
                    raise CommandError(_("invalid date '%(day)s' (YYYY-MM-DD)"), day=args.day) from None
            batch = L.tomorrow_batch(_user(args.user), day=day, size=args.size)
            _write(args.out, batch.pdf)
            print(say(Message(_("%(file)s: %(households)s households, %(lessons)s lessons"), file=args.out,
                              households=batch.households, lessons=batch.lessons)))
        elif args.action == "translations":
            _write(args.out, L.translation_template(args.language))
            print(f"{args.out}")
        elif args.action == "import-translations":
            try:
                data = args.file.read_bytes()
            except OSError as exc:
                raise CommandError(_("cannot read %(file)s: %(x)s"), file=args.file, x=exc.strerror or exc) from None
            res = L.import_translations(data, args.file.name, _user(args.user), args.language)
            print(say(Message(_("%(lessons)s lessons updated, %(pieces)s sentences translated, %(rows)s rows"),
                              lessons=res.lessons, pieces=res.pieces, rows=res.rows)))
    except L.LessonError as exc:
        raise CommandError(exc) from None
    except ImportFailed as exc:
        raise import_failed(exc) from None
    except PermissionDenied:
        raise CommandError(_("this user may not do this")) from None
    return 0
