# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Chạy máy chủ web trên cơ sở dữ liệu hiện có / serve the existing database"
NEEDS_DJANGO = True

import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from django.utils.translation import gettext_lazy as _


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--push-port", type=int, default=None,
                   help="cổng đẩy lệnh cho cụm loa (mặc định: cổng + 1; 0 = tắt) / radio push port (default port+1, 0 = off)")
    p.add_argument("--demo", action="store_true",
                   help="chạy dữ liệu mẫu: cho phép mật khẩu mẫu và khoá bí mật mặc định (có cảnh báo) / "
                        "serve a demo: the demo logins and the development secret key are allowed, with a warning")


    p.add_argument("--workers", type=int, default=1,
                   help="số tiến trình web (gunicorn, cần PostgreSQL) / web processes (gunicorn; PostgreSQL only)")
    p.add_argument("--job-threads", type=int, default=2,
                   help="số luồng của tiến trình xử lý công việc nền / threads of the background-job worker")
    p.add_argument("--no-worker", action="store_true",
                   help="không chạy tiến trình xử lý (đã có ngoso worker riêng) / no worker (run ngoso worker apart)")
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


def insecure_reasons() -> list[str]:
    """Why this installation must not be served to real users: the development secret key, or accounts
    still logging in with the demo's published password. Each reason says the command that fixes it."""
    from django.conf import settings

    from ngoso.accounts.services import demo_password_users

    reasons = []
    if settings.SECRET_KEY == settings.INSECURE_SECRET_KEY or len(settings.SECRET_KEY) < 32:
        reasons.append(
            "Khoá bí mật (SECRET_KEY) là khoá mặc định công khai trong mã nguồn (hoặc quá ngắn): ai cũng giả được phiên "
            "đăng nhập. / The secret key is the default one published in the source code (or too short): anyone can forge "
            f"a login.\n    Sửa / fix:  ngoso secret-key   (tạo / writes {settings.SECRET_KEY_FILE}, "
            "hoặc đặt / or set NGOSO_SECRET_KEY)")
    users = demo_password_users()
    if users:
        names = ", ".join(users)
        reasons.append(
            f"Các tài khoản vẫn dùng mật khẩu mẫu công khai / accounts still using the published demo "
            f"password: {names}.\n    Sửa / fix:  "
            + "\n            ".join(f"ngoso createuser {u} --reset-password" for u in users)
            + "\n    hoặc khoá tài khoản trong trang quản trị / or deactivate them in the admin")
    return reasons


def check_secure(demo: bool = False) -> None:
    """Refuse to serve (CommandError) with the development key or a demo password, unless serving a demo;
    a demo is served with a warning."""
    import sys

    from ngoso.cli import CommandError

    reasons = insecure_reasons()
    if not reasons:
        return
    text = "\n  - ".join(reasons)
    if demo:
        print("\nCẢNH BÁO / WARNING: đây là bản chạy thử, không dùng cho dữ liệu thật / this is a demo, not for "
              f"real personal data:\n  - {text}\n", file=sys.stderr, flush=True)
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
        f"\nNgõ Số đang chạy tại / serving at http://{host}:{port}/  (Ctrl+C để dừng / to stop)")


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
                    print(f"Tiến trình {name} dừng (mã {code}); khởi động lại / {name} exited ({code}); restarting",
                          file=sys.stderr, flush=True)
                    self._start(name)
        finally:
            self.shutdown()
        print("Ngõ Số đã dừng / stopped", flush=True)
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
        print(f"Cảnh báo: không mở được kênh đẩy cho cụm loa ({exc}); cụm loa nhận lệnh qua nhịp tim. / "
              f"Warning: radio push channel not started; clusters get commands with heartbeats.",
              file=sys.stderr, flush=True)
        return None
    os.environ["NGOSO_RADIO_PUSH_PORT"] = str(server.port)
    print(f"Cụm loa: kênh đẩy lệnh / radio push channel at http://{host}:{server.port}/wait", flush=True)
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
