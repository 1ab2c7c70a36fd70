# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

from django.utils.translation import gettext_lazy as _

HELP = _("run a background-job worker (huey)")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--threads", type=int, default=2,
                   help=_("jobs run at the same time (default 2)"))
    p.add_argument("--periodic", action="store_true",
                   help=_("also run the schedule (ngoso serve's own worker does); several schedulers never run a "
                          "slot twice"))
    p.add_argument("--list", action="store_true", help=_("print the schedule and exit"))
    p.add_argument("--ping", action="store_true",
                   help=_("queue a health check and wait for a worker to answer (monitoring); exit code 1 if none "
                          "does in 30 s"))


def handle(args) -> int:
    if args.list:
        from django.utils import timezone

        from ngoso.core import jobs
        from django.utils.translation import pgettext_lazy

        from ngoso.core.messages import both

        last_word, next_word = both(pgettext_lazy("schedule", "last")), both(pgettext_lazy("schedule", "next"))
        for row in jobs.schedule():
            last = row["last"]
            last_s = f"{timezone.localtime(last.slot):%Y-%m-%d %H:%M} {last.status}" if last else "-"
            nxt = f"{row['next']:%Y-%m-%d %H:%M}" if row["next"] else "-"
            print(f"{row['name']:<18} {last_word}: {last_s:<24} {next_word}: {nxt}  {both(row['label'])}")
        return 0
    if args.ping:
        from ngoso.cli import say
        from ngoso.core import jobs
        from ngoso.core.messages import Message

        answer = jobs.ping()
        if answer is None:
            print(say(_("no worker answered in 30 s")))
            return 1
        print(say(Message(_("worker answered: %(host)s pid %(pid)s, %(seconds)s s"), **answer)))
        return 0
    return run_worker(args.threads, args.periodic)


def run_worker(threads: int = 2, periodic: bool = False) -> int:
    """Take jobs from the queue until Ctrl+C or SIGTERM; then give running jobs back to the queue."""
    import logging

    from ngoso.cli import say
    from ngoso.core import jobs
    from ngoso.core.messages import Message

    logging.getLogger("huey").setLevel(logging.WARNING)
    if jobs.HUEY.immediate:
        from ngoso.cli import CommandError

        raise CommandError(_("no worker in immediate mode"))
    n = jobs.recover()
    where = f"Redis {jobs.redis_url()}" if jobs.redis_url() else str(jobs.HUEY.storage.filename)
    started = Message(_("worker: %(threads)s threads, queue: %(where)s"), threads=threads, where=where)
    if periodic:
        started = Message(_("%(started)s, schedule: on"), started=started)
    if n:
        started = Message(_("%(started)s, %(n)s jobs requeued"), started=started, n=n)
    print(say(started), flush=True)
    consumer = jobs.HUEY.create_consumer(workers=threads, worker_type="thread", periodic=periodic,
                                         initial_delay=0.05, backoff=1.5, max_delay=1.0, scheduler_interval=1)
    try:
        consumer.run()
    finally:
        released = jobs.release_running()
        print(say(Message(_("worker stopped (%(n)s jobs back in the queue)"), n=released) if released
                  else _("worker stopped")), flush=True)
    return 0
