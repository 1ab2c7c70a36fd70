HELP = "Chạy máy chủ web trên cơ sở dữ liệu hiện có / serve the existing database"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--push-port", type=int, default=None,
                   help="cổng đẩy lệnh cho cụm loa (mặc định: cổng + 1; 0 = tắt) / radio push port (default port+1, 0 = off)")
    p.add_argument("--demo", action="store_true",
                   help="chạy dữ liệu mẫu: cho phép mật khẩu mẫu và khoá bí mật mặc định (có cảnh báo) / "
                        "serve a demo: the demo logins and the development secret key are allowed, with a warning")


def handle(args) -> int:
    return run_server(args.host, args.port, args.threads, args.push_port, demo=args.demo)


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
    raise CommandError(
        "không chạy máy chủ với cài đặt không an toàn / refusing to serve an insecure installation:\n  - "
        f"{text}\n(Chỉ để chạy thử / for a demo only: ngoso serve --demo)")


def run_server(host: str, port: int, threads: int = 8, push_port: int | None = None, demo: bool = False) -> int:
    from waitress import serve

    from django.db import connection

    from ngoso.core.jobs import clean_up, mark_interrupted
    from ngoso.wsgi import application

    check_secure(demo)
    mark_interrupted()
    clean_up(grace_seconds=0)  # expired export files, orphan exports and uploads of interrupted jobs
    if push_port != 0:  # the smart radio's long-poll push server (docs/radio.md)
        import os

        from ngoso.radio import push

        try:
            server = push.start(host, port + 1 if push_port is None else push_port)
        except RuntimeError as exc:
            import sys

            print(f"Cảnh báo: không mở được kênh đẩy cho cụm loa ({exc}); cụm loa nhận lệnh qua nhịp tim. / "
                  f"Warning: radio push channel not started; clusters get commands with heartbeats.",
                  file=sys.stderr, flush=True)
        else:
            os.environ["NGOSO_RADIO_PUSH_PORT"] = str(server.port)
            print(f"Cụm loa: kênh đẩy lệnh / radio push channel at http://{host}:{server.port}/wait", flush=True)
    if connection.vendor == "sqlite":
        from ngoso.core.sqlite.base import Checkpointer

        Checkpointer().start()  # WAL checkpoints off the writers' path (core/sqlite/base.py)
    print(f"\nNgõ Số đang chạy tại / serving at http://{host}:{port}/  (Ctrl+C để dừng / to stop)", flush=True)
    # poll() rather than select(): the radio push server holds thousands of sockets in this process, and
    # select() fails on descriptors above 1024
    serve(application, host=host, port=port, threads=threads, ident="ngoso", channel_timeout=120,
          asyncore_use_poll=True, connection_limit=1000)
    return 0
