"""``ngoso say``: read Vietnamese text aloud into a WAV/OGG file (offline, espeak-ng).

    ngoso say "Hôm nay 28/11/2026 lúc 7h30 họp thôn" --out thong-bao.wav
    ngoso say --file ban-tin.txt --voice south --rate 150 --out ban-tin.ogg
    echo "Xin chào" | ngoso say - --out chao.wav
"""

from __future__ import annotations

# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

import argparse
import sys
from pathlib import Path

from ngoso.cli import CommandError
from django.utils.translation import gettext_lazy as _

HELP = _("speak Vietnamese text into a WAV/OGG file (espeak-ng, no network needed)")
NEEDS_DJANGO = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help=_("the text to read; '-' reads it from stdin"))
    parser.add_argument("--file", type=Path, help=_("read the text from a UTF-8 file"))
    parser.add_argument("--out", required=True, type=Path, help=_("output .wav or .ogg file"))
    parser.add_argument("--voice", choices=["north", "central", "south"], default="north",
                        help=_("voice: northern, central or southern (default: north)"))
    parser.add_argument("--rate", type=int, default=None,
                        help=_("speed in words per minute (80-450, default 175)"))
    parser.add_argument("--no-normalise", dest="normalise", action="store_false",
                        help=_("do not normalise numbers, dates, abbreviations…: read the text as it is"))
    parser.add_argument("--show-text", action="store_true",
                        help=_("print the normalised text"))


def _read_text(args: argparse.Namespace) -> str:
    if args.file is not None and args.text not in (None, "-"):
        raise CommandError(_("give either TEXT or --file, not both"))
    if args.file is not None:
        try:
            return args.file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(_("cannot read %(file)s: %(x)s"), file=args.file, x=exc.strerror or exc) from exc
        except UnicodeDecodeError as exc:
            raise CommandError(_("%(file)s is not UTF-8"), file=args.file) from exc
    if args.text in (None, "-"):
        if args.text is None and sys.stdin.isatty():
            raise CommandError(_("no text: pass TEXT, '-' or --file"))
        return sys.stdin.read()
    return args.text


def handle(args: argparse.Namespace) -> int:
    from ngoso.speech import SpeechError, SpeechUnavailable, synthesize

    text = _read_text(args)
    if not text.strip():
        raise CommandError(_("the text is empty"))
    try:
        result = synthesize(text, args.out, voice=args.voice, rate=args.rate, normalise=args.normalise)
    except SpeechUnavailable as exc:
        raise CommandError(str(exc)) from exc
    except (SpeechError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    if args.show_text:
        print(result.spoken_text)
    print(f"{result.path}\t{result.duration_seconds:.2f} s")
    return 0
