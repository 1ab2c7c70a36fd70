"""``ngoso speaker``: the program a loudspeaker cluster runs (see ngoso.radio.client and docs/radio.md).

    ngoso speaker --server http://xa.example:8000 --code 1A2B-3C4D-5E6F --cache /var/lib/ngoso-speaker
    ngoso speaker --server http://127.0.0.1:8000 --token spk_... --cache ./loa-1 --audio
"""

from __future__ import annotations

# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from ngoso.cli import CommandError
from django.utils.translation import gettext_lazy as _

HELP = _("run a loudspeaker cluster's program (fetch the programme, play, report)")
NEEDS_DJANGO = False


def add_arguments(p):
    p.add_argument("--server", required=True, help=_("server URL, e.g. http://127.0.0.1:8000"))
    p.add_argument("--token", help=_("the cluster's access token"))
    p.add_argument("--code", help=_("one-time registration code (first run)"))
    p.add_argument("--cache", default="./speaker-cache",
                   help=_("cache directory (programme, audio, logs)"))
    p.add_argument("--audio", action="store_true",
                   help=_("play through the real loudspeakers with aplay or sox's play"))
    p.add_argument("--volume", type=int, default=80, help=_("volume reported (0-100)"))
    p.add_argument("--fault-file", help=_("file of hardware fault codes, one a line"))
    p.add_argument("--no-push", action="store_true", help=_("no push channel (heartbeats only)"))
    p.add_argument("--quiet", action="store_true", help=_("log to the cache file only"))


def handle(args) -> int:
    from ngoso.radio.client import LogPlayer, Speaker, SystemPlayer

    if not (0 <= args.volume <= 100):
        raise CommandError(_("--volume must be 0-100, not %(volume)s"), volume=args.volume)
    if not args.server.startswith(("http://", "https://")):
        raise CommandError(_("--server must start with http://: %(server)s"), server=f"{args.server!r}")
    player = SystemPlayer() if args.audio else LogPlayer()
    if args.audio and player.missing():
        raise CommandError(_("no audio player (aplay or play); install: apt-get install -y alsa-utils sox"))
    speaker = Speaker(args.server, args.cache, token=args.token, code=args.code, player=player, volume=args.volume,
                      fault_file=args.fault_file, push=not args.no_push,
                      log=(lambda line: None) if args.quiet else (lambda line: print(line, flush=True)))
    if not speaker.token and not args.code:
        raise CommandError(_("pass --token, or --code on the first run"))
    speaker.run()
    return 0
