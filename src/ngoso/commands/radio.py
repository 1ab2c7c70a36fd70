"""``ngoso radio``: the smart radio from the command line (same services as the pages).

    ngoso radio cluster-add 07351.001 LOA-01 "Cụm loa nhà văn hoá" --connection 4g
    ngoso radio cluster-code LOA-01            # a new one-time registration code
    ngoso radio cluster-revoke LOA-01
    ngoso radio clusters 07351
    ngoso radio bulletin 07351 "Lịch tiêm chủng" --file tin.txt --category health [--approve]
    ngoso radio schedule 12 --times 06:00 17:00 --targets 07351 [--from 2026-12-01 --until 2026-12-31]
    ngoso radio emergency 13 --targets 07351.001 07351.002
    ngoso radio check
    ngoso radio report 07351 --year 2026 --month 11 --xlsx bc.xlsx --pdf bc.pdf
    ngoso radio abbreviations 07351            # the local abbreviations a bulletin of 07351 is read with
    ngoso radio abbreviation-add 07351 KDC "khu dân cư" --note "thôn Đồng Bụt"
    ngoso radio abbreviation-import 24 viet-tat.xlsx   # columns Viết tắt, Cách đọc, Ghi chú; all or nothing
"""

from __future__ import annotations

# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

import datetime as dt
from pathlib import Path

from ngoso.cli import CommandError, import_failed
from django.utils.translation import gettext_lazy as _

HELP = _("smart radio: speaker clusters, bulletins, schedules, emergencies, reports")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--user", help=_("acting user"))
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = sub.add_parser("cluster-add", help=_("register a speaker cluster"))
    a.add_argument("place")
    a.add_argument("code")
    a.add_argument("name")
    a.add_argument("--connection", default="4g", choices=["internet", "4g", "3g", "wifi"])
    a.add_argument("--address", default="")
    a.add_argument("--heartbeat", type=int, default=30, help=_("seconds between two heartbeats"))
    for name, text in (("cluster-code", _("a new one-time registration code for a cluster")),
                       ("cluster-revoke", _("revoke a cluster's access token"))):
        s = sub.add_parser(name, help=text)
        s.add_argument("code")
    s = sub.add_parser("clusters", help=_("status of the speaker clusters"))
    s.add_argument("place")
    b = sub.add_parser("bulletin", help=_("write a bulletin (a draft to approve)"))
    b.add_argument("place")
    b.add_argument("title")
    b.add_argument("--text", default="")
    b.add_argument("--file", type=Path)
    b.add_argument("--audio", type=Path, help=_("recorded audio instead of speech"))
    b.add_argument("--category", default="policy")
    b.add_argument("--priority", default="normal")
    b.add_argument("--approve", action="store_true", help=_("approve at once (commune staff)"))
    s = sub.add_parser("approve", help=_("approve a bulletin"))
    s.add_argument("bulletin", type=int)
    s = sub.add_parser("schedule", help=_("schedule a bulletin"))
    s.add_argument("bulletin", type=int)
    s.add_argument("--times", nargs="+", required=True)
    s.add_argument("--targets", nargs="+", required=True, help=_("place codes"))
    s.add_argument("--weekdays", nargs="*", type=int, default=[])
    s.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=None)
    s.add_argument("--until", dest="end", type=dt.date.fromisoformat, default=None)
    s = sub.add_parser("emergency", help=_("broadcast an emergency now"))
    s.add_argument("bulletin", type=int)
    s.add_argument("--targets", nargs="+", required=True)
    s.add_argument("--repeat", type=int, default=2)
    sub.add_parser("check", help=_("raise alerts: clusters offline, plays not confirmed"))
    r = sub.add_parser("report", help=_("monthly or yearly report"))
    r.add_argument("place")
    r.add_argument("--year", type=int, required=True)
    r.add_argument("--month", type=int)
    r.add_argument("--xlsx", type=Path)
    r.add_argument("--pdf", type=Path)
    s = sub.add_parser("abbreviations", help=_("local abbreviations that apply"))
    s.add_argument("place")
    s = sub.add_parser("abbreviation-add", help=_("add a local abbreviation"))
    s.add_argument("place")
    s.add_argument("abbreviation")
    s.add_argument("reading")
    s.add_argument("--note", default="")
    s = sub.add_parser("abbreviation-import", help=_("import a list of abbreviations (the whole file or nothing)"))
    s.add_argument("place")
    s.add_argument("file", type=Path)


def _place(code, user):
    from ngoso.accounts.scope import can_see_place
    from ngoso.places.models import Place

    place = Place.objects.filter(code=code).first()
    if place is None:
        raise CommandError(_("no place with code '%(place)s'"), place=code)
    if not can_see_place(user, place):
        raise CommandError(_("'%(name)s' is outside the area of %(username)s"), name=place.name, username=user.username)
    return place


def _bulletin(pk, user):
    from ngoso.accounts.scope import scoped
    from ngoso.radio.models import Bulletin

    b = scoped(Bulletin.objects.all(), user).filter(pk=pk).first()
    if b is None:
        raise CommandError(_("no bulletin %(pk)s in the user's area"), pk=pk)
    return b


def handle(args) -> int:
    from ngoso.accounts import audit
    from ngoso.accounts.scope import scoped
    from ngoso.commands._common import acting_user
    from ngoso.radio import services
    from ngoso.radio.models import SpeakerCluster

    from ngoso.people.io import ImportFailed
    from ngoso.radio.abbreviations import AbbreviationError

    user = acting_user(args.user)
    try:
        with audit.acting_as(user):
            return _do(args, user, services, scoped, SpeakerCluster)
    except (services.RadioError, AbbreviationError) as exc:
        raise CommandError(exc) from None
    except ImportFailed as exc:
        raise import_failed(exc) from None


def _do(args, user, services, scoped, SpeakerCluster) -> int:
    from ngoso.cli import say
    from ngoso.core.messages import Message

    if not user.can("radio"):
        raise CommandError(_("%(username)s may not run the radio"), username=user.username)
    act = args.action
    if act == "cluster-add":
        cluster, code = services.register_cluster(place=_place(args.place, user), code=args.code, name=args.name,
                                                  connection=args.connection, address=args.address,
                                                  heartbeat_interval=args.heartbeat, user=user)
        print(say(Message(_("%(cluster)s: registration code %(code)s"), cluster=cluster.code, code=code)))
    elif act in ("cluster-code", "cluster-revoke"):
        cluster = scoped(SpeakerCluster.objects.all(), user).filter(code=args.code).first()
        if cluster is None:
            raise CommandError(_("no speaker cluster '%(code_)s'"), code_=args.code)
        if act == "cluster-code":
            code = services.issue_registration_code(cluster, user)
            print(say(Message(_("%(cluster)s: registration code %(code)s"), cluster=cluster.code, code=code)))
        else:
            services.revoke_cluster_token(cluster, user)
            print(say(Message(_("%(cluster)s: access token revoked"), cluster=cluster.code)))
    elif act == "clusters":
        place = _place(args.place, user)
        from ngoso.accounts.scope import within

        for row in services.cluster_rows(list(within(SpeakerCluster.objects.select_related("place"), place))):
            c = row["c"]
            seen = c.last_seen_at.astimezone(services.tz()).strftime("%d/%m %H:%M:%S") if c.last_seen_at else "-"
            print(f"{c.code}\t{c.place.name}\t{'online' if row['online'] else 'OFFLINE'}\t{seen}\t"
                  f"vol={c.volume if c.volume is not None else '-'}\t{c.now_playing or '-'}\t"
                  f"faults={','.join(c.faults) or '-'}\talerts={row['alerts']}")
    elif act == "bulletin":
        text = args.text
        if args.file:
            try:
                text = args.file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(_("cannot read %(file)s: %(x)s"), file=args.file, x=exc) from None
        b = services.create_bulletin(title=args.title, text=text, category=args.category,
                                     place=_place(args.place, user), author=user, priority=args.priority)
        if args.audio:
            services.attach_upload(b, args.audio.read_bytes(), args.audio.name, user)
        else:
            services.request_render(b, user, background=False)
            b.refresh_from_db()
        if b.audio_status != b.Audio.READY:
            raise CommandError(_("bulletin %(pk)s has no audio yet: %(audio_error)s"),
                               audio_error=b.audio_error, pk=b.pk)
        if args.approve:
            services.approve(b, user)
        print(f"{b.pk}\t{b.get_status_display()}\t{b.audio_duration:.1f} s\t{b.audio_path}")
    elif act == "approve":
        b = services.approve(_bulletin(args.bulletin, user), user)
        print(f"{b.pk}\t{b.get_status_display()}")
    elif act == "schedule":
        b = _bulletin(args.bulletin, user)
        targets = [_place(c, user) for c in args.targets]
        owner = user.place or targets[0]
        prog = services.create_programme(place=owner, title=b.title, times=args.times, targets=targets, bulletin=b,
                                         weekdays=args.weekdays, start_date=args.start or dt.date.today(),
                                         end_date=args.end, user=user)
        print(f"{prog.pk}\t{prog.title}\t{' '.join(prog.times)}")
    elif act == "emergency":
        b = _bulletin(args.bulletin, user)
        em = services.issue_emergency(b, [_place(c, user) for c in args.targets], user, repeat=args.repeat)
        from ngoso.radio import delivery

        sent = delivery.reach(list(em.targets.all()))  # what the page says after sending, in both languages
        print(say(Message(_("emergency %(pk)s: %(title)s"), pk=em.pk, title=b.title)))
        print(say(lambda: delivery.result_message(sent["online"], sent["total"])))
    elif act == "check":
        raised = services.check()
        print(say(Message(_("new alerts: %(offline)s clusters offline, %(unconfirmed)s plays not confirmed"),
                          **raised)))
    elif act == "report":
        data = services.report(_place(args.place, user), args.year, args.month)
        for r in data["hours"]:
            print(f"{r['commune']}\t{r['total']} h")
        for r in data["clusters"]:
            print(f"{r['code']}\texpected={r['expected']}\tplayed={r['played']}\tmissing={r['missing']}\t"
                  f"uptime={r['uptime_pct']}%")
        if args.xlsx:
            args.xlsx.write_bytes(services.report_xlsx(data))
        if args.pdf:
            args.pdf.write_bytes(services.report_pdf(data))
    elif act.startswith("abbreviation"):
        from ngoso.radio import abbreviations as abbr

        place = _place(args.place, user)
        if act == "abbreviation-add":
            e = abbr.add(place, user, args.abbreviation, args.reading, args.note)
            print(f"{e.abbreviation}\t{e.reading}\t{e.place.name}")
        elif act == "abbreviation-import":
            try:
                data = args.file.read_bytes()
            except OSError as exc:
                raise CommandError(_("cannot read %(file)s: %(x)s"), file=args.file, x=exc) from None
            done = abbr.import_file(data, args.file.name, place, user)
            print(say(Message(_("Imported: %(c)d new, %(u)d changed, %(n)d unchanged."), c=done.created,
                              u=done.updated, n=done.unchanged)))
        else:
            for e in sorted(abbr.entries_for(place), key=lambda e: (e.abbreviation, -len(e.place.path))):
                print(f"{e.abbreviation}\t{e.reading}\t{e.place.name}\t{e.note}")
    return 0
