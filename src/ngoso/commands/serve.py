# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

import os
import signal
import subprocess
import sys
import threading
import time

from django.utils.translation import gettext_lazy as _

from ngoso.cli import say
from ngoso.core.messages import Message, render

HELP = _("serve the existing database")
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--push-port", type=int, default=None,
                   help=_("radio push port for the speaker clusters (default: port + 1; 0 = off)"))
    p.add_argument("--demo", action="store_true",
                   help=_("serve a demo: the demo logins and the development secret key are allowed, with a "
                          "warning"))
    p.add_argument("--workers", type=int, default=1,
                   help=_("web processes (gunicorn; PostgreSQL only)"))
    p.add_argument("--job-threads", type=int, default=2,
                   help=_("threads of the background-job worker"))
    p.add_argument("--no-worker", action="store_true",
                   help=_("no worker (one runs apart: ngoso worker)"))
    p.add_argument("--role", choices=["web", "push"], default=None, help=argparse_suppress())


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def handle(args) -> int:
    if args.role == "web":
        return run_web(args.host, args.port, args.threads, args.push_port)
    if args.role == "push":
        return run_push(args.host, args.push_port)
    return run_server(args.host, args.port, args.threads, args.push_port, demo=args.demo, workers=args.workers,
                      worker=not args.no_worker, job_threads=args.job_threads)


def insecure_reasons() -> list[Message]:
    """Why this installation must not be served to real users: the development secret key, or accounts
    still logging in with the demo's published password. Each reason says the command that fixes it."""
    from django.conf import settings

    from ngoso.accounts.services import demo_password_users

    reasons = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        reasons.append(Message(_(
            "The secret key (SECRET_KEY) is the default one published in the source code (or too short): anyone "
            "can forge a login.\n    fix:  ngoso secret-key   (writes %(file)s, or set NGOSO_SECRET_KEY)"),
            file=settings.SECRET_KEY_FILE))
    users = demo_password_users()
    if users:
        reasons.append(Message(_(
            "accounts still using the published demo password: %(names)s.\n    fix:  %(commands)s\n    or "
            "deactivate them in the admin"), names=", ".join(users),
            commands="\n          ".join(f"ngoso createuser {u} --reset-password" for u in users)))
    return reasons


def check_secure(demo: bool = False) -> None:
    """Refuse to serve (CommandError) with the development key or a demo password, unless serving a demo;
    a demo is served with a warning."""
    import sys

    from ngoso.cli import CommandError

    reasons = insecure_reasons()
    if not reasons:
        return
    text = lambda: "\n  - ".join(render(r) for r in reasons)  # noqa: E731 (in the message's language)
    if demo:
        print("\n" + say(Message(_("WARNING: this is a demo, not for real personal data:\n  - %(reasons)s"),
                                 reasons=text)) + "\n", file=sys.stderr, flush=True)
        return
    raise CommandError(_("refusing to serve an insecure installation:\n  - %(reasons)s\n(for a demo only: ngoso "
                         "serve --demo)"), reasons=text)


def run_server(host: str, port: int, threads: int = 8, push_port: int | None = None, demo: bool = False,
               workers: int = 1, worker: bool = True, job_threads: int = 2) -> int:
    """``ngoso serve``: check, tidy, then start and supervise the child processes — the web server (waitress,
    with the radio push server in it; or gunicorn with ``workers`` processes plus a push process, PostgreSQL
    only) and a background-job worker that also runs the schedule. A child that dies is started again;
    Ctrl+C or SIGTERM stops them all cleanly."""
    from django.db import connection

    from ngoso.cli import CommandError
    from ngoso.core.jobs import HUEY, clean_up, run_on_start

    check_secure(demo)
    if workers > 1 and connection.vendor == "sqlite":
        raise CommandError(_("--workers > 1 needs PostgreSQL (NGOSO_DATABASE_URL); with SQLite one process is right."))
    clean_up(grace_seconds=0 if not worker else 600)  # expired export files, orphan exports and uploads
    run_on_start()  # e.g. counters built before the first request, never inside it (insights/tasks.py)
    connection.close()
    push = None if push_port == 0 else (port + 1 if push_port is None else push_port)
    base = [sys.executable, "-m", "ngoso", "serve", "--host", host, "--port", str(port)]
    children: dict[str, list[str]] = {}
    if workers > 1:
        children["web"] = [sys.executable, "-m", "gunicorn", "ngoso.wsgi:application", "--bind", f"{host}:{port}",
                           "--workers", str(workers), "--threads", str(max(1, threads // 2)),
                           "--worker-class", "gthread", "--timeout", "120", "--graceful-timeout", "20",
                           "--access-logfile", "-" if os.environ.get("NGOSO_ACCESS_LOG") else "/dev/null"]
        if push is not None:
            children["push"] = [*base, "--role", "push", "--push-port", str(push)]
    else:
        children["web"] = [*base, "--role", "web", "--threads", str(threads), "--push-port", str(push or 0)]
    if worker and not HUEY.immediate:
        children["worker"] = [sys.executable, "-m", "ngoso", "worker", "--periodic", "--threads", str(job_threads)]
    env = dict(os.environ)
    if push is not None:
        env["NGOSO_RADIO_PUSH_PORT"] = str(push)
    return Supervisor(children, env).run(
        "\n" + say(Message(_("Ngõ Số is serving at http://%(host)s:%(port)s/  (Ctrl+C to stop)"), host=host,
                           port=port)))


class Supervisor:
    """Starts named child processes, restarts one that dies (at most every 5 s), and on SIGINT/SIGTERM sends
    SIGTERM to all, waits up to 20 s, then kills what is left. Returns 0 after a clean stop."""

    def __init__(self, children: dict[str, list[str]], env: dict):
        self.commands, self.env = children, env
        self.procs: dict[str, subprocess.Popen] = {}
        self.started: dict[str, float] = {}
        self.stopping = False

    def _start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.commands[name], env=self.env)
        self.started[name] = time.monotonic()

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self, banner: str) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for name in self.commands:
            self._start(name)
        print(banner, flush=True)
        try:
            while not self.stopping:
                time.sleep(0.2)
                for name, proc in list(self.procs.items()):
                    code = proc.poll()
                    if code is None or self.stopping:
                        continue
                    if time.monotonic() - self.started[name] < 5:
                        time.sleep(1)
                    print(say(Message(_("process %(name)s exited (code %(code)s); restarting"), name=name,
                                      code=code)), file=sys.stderr, flush=True)
                    self._start(name)
        finally:
            self.shutdown()
        print(say(_("Ngõ Số stopped")), flush=True)
        return 0

    def shutdown(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_web(host: str, port: int, threads: int = 8, push_port: int | None = None) -> int:
    """The web child (one process): waitress, with the radio push server in a thread when ``push_port``."""
    from waitress import serve

    from django.db import connection

    from ngoso.wsgi import application

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor stops us with SIGTERM (after Ctrl+C too)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    if push_port:
        _start_push(host, push_port)
    if connection.vendor == "sqlite":
        from ngoso.core.sqlite.base import Checkpointer

        Checkpointer().start()  # WAL checkpoints off the writers' path (core/sqlite/base.py)
    connection.close()
    # poll() rather than select(): the radio push server holds thousands of sockets in this process, and
    # select() fails on descriptors above 1024
    serve(application, host=host, port=port, threads=threads, ident="ngoso", channel_timeout=120,
          asyncore_use_poll=True, connection_limit=1000)
    return 0


def _start_push(host: str, port: int):
    from ngoso.radio import push

    try:
        # the checks run on the worker's schedule (radio/tasks.py), not in the push server
        server = push.start(host, port, check_interval=0)
    except RuntimeError as exc:
        print(say(Message(_("Warning: the radio push channel did not start (%(exc)s); the speaker clusters get "
                            "their commands with their heartbeats."), exc=exc)), file=sys.stderr, flush=True)
        return None
    os.environ["NGOSO_RADIO_PUSH_PORT"] = str(server.port)
    print(say(Message(_("radio push channel for the speaker clusters at http://%(host)s:%(port)s/wait"), host=host,
                      port=server.port)), flush=True)
    return server


def run_push(host: str, port: int) -> int:
    """The push child when the web server has several processes: one push server for all clusters."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    server = _start_push(host, port)
    if server is None:
        return 1
    stop.wait()
    server.stop()
    return 0
