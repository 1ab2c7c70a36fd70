# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

import sys
import time
from django.utils.translation import gettext_lazy as _

HELP = _("build the demo area (the former Bắc Giang), then serve it")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--scale", choices=["village", "commune", "province"], default="commune",
                   help=_("village (1 village), commune (Ngọc Thiện, the default), province (≈450,000 households)"))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--no-serve", action="store_true", help=_("build only, do not serve"))
    p.add_argument("--reset", action="store_true", help=_("wipe existing data first"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def handle(args) -> int:
    from ngoso.cli import CommandError, say
    from ngoso.core.messages import Message
    from ngoso.demo import builder
    from ngoso.people.models import Household

    if Household.objects.exists():
        if not args.reset:
            raise CommandError(_("the database already has data; add --reset to rebuild"))
        print(say(_("wiping existing data …")), flush=True)
        builder.reset_database()
    t0 = time.perf_counter()
    summary = builder.build(args.scale, args.seed, progress=lambda m: print(m, flush=True))
    c = summary.counts
    print()
    print(say(Message(_("demo '%(scale)s' built in %(s).1f s: villages %(villages)s · communes %(communes)s (before "
                        "July 2025: %(former)s) · households %(households)s · residents %(residents)s · teams "
                        "%(teams)s · members %(members)s"), scale=args.scale, s=time.perf_counter() - t0,
                      villages=f"{c['places']['village']:,}", communes=f"{summary.communes:,}",
                      former=f"{summary.former_communes:,}", households=f"{c['households']:,}",
                      residents=f"{c['residents']:,}", teams=f"{c['teams']:,}", members=f"{c['members']:,}")))
    _print_logins(summary.logins)
    if args.no_serve:
        return 0
    from ngoso.commands.serve import run_server

    return run_server(args.host, args.port, demo=True)  # demo logins allowed, with a warning


def _print_logins(logins):
    from ngoso.cli import say

    print()
    print(say(_("demo logins (password):")))
    for username, password, label, place in logins:
        print(f"  {username:<12} {password}   {label} — {place}")
    sys.stdout.flush()
