"""``ngoso speaker``: the program a loudspeaker cluster runs (see ngoso.radio.client and docs/radio.md).

    ngoso speaker --server http://xa.example:8000 --code 1A2B-3C4D-5E6F --cache /var/lib/ngoso-speaker
    ngoso speaker --server http://127.0.0.1:8000 --token spk_... --cache ./loa-1 --audio
"""

from __future__ import annotations

# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from ngoso.cli import CommandError
from django.utils.translation import gettext_lazy as _

HELP = "Chạy phần mềm của một cụm loa (nhận lịch, phát, báo cáo) / run a loudspeaker cluster's client"
NEEDS_DJANGO = False


def add_arguments(p):
    p.add_argument("--server", required=True, help="địa chỉ máy chủ / server URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--token", help="mã truy cập của cụm loa / the cluster's token")
    p.add_argument("--code", help="mã đăng ký một lần (lần chạy đầu) / one-time registration code (first run)")
    p.add_argument("--cache", default="./speaker-cache",
                   help="thư mục lưu lịch, âm thanh, nhật ký / cache directory (programme, audio, logs)")
    p.add_argument("--audio", action="store_true",
                   help="phát ra loa thật bằng aplay/play / play through aplay or sox's play")
    p.add_argument("--volume", type=int, default=80, help="âm lượng báo cáo 0-100 / volume reported (0-100)")
    p.add_argument("--fault-file", help="tệp lỗi phần cứng, mỗi dòng một mã / hardware fault codes, one a line")
    p.add_argument("--no-push", action="store_true", help="không dùng kênh đẩy (chỉ nhịp tim) / heartbeats only")
    p.add_argument("--quiet", action="store_true", help="chỉ ghi nhật ký vào tệp / log to the cache file only")


def handle(args) -> int:
    from ngoso.radio.client import LogPlayer, Speaker, SystemPlayer

    if not (0 <= args.volume <= 100):
        raise CommandError(_("must be 0-100"))
    if not args.server.startswith(("http://", "https://")):
        raise CommandError(_("--server must start with http://: %(server)s"), server=f"{args.server!r}")
    player = SystemPlayer() if args.audio else LogPlayer()
    if args.audio and player.missing():
        raise CommandError(_("no audio player found"))
    speaker = Speaker(args.server, args.cache, token=args.token, code=args.code, player=player, volume=args.volume,
                      fault_file=args.fault_file, push=not args.no_push,
                      log=(lambda line: None) if args.quiet else (lambda line: print(line, flush=True)))
    if not speaker.token and not args.code:
        raise CommandError(_("pass --token, or --code on the first run"))
    speaker.run()
    return 0
