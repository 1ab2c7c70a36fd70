HELP = "Chạy máy chủ web trên cơ sở dữ liệu hiện có / serve the existing database"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--push-port", type=int, default=None,
                   help="cổng đẩy lệnh cho cụm loa (mặc định: cổng + 1; 0 = tắt) / radio push port (default port+1, 0 = off)")


def handle(args) -> int:
    return run_server(args.host, args.port, args.threads, args.push_port)


def run_server(host: str, port: int, threads: int = 8, push_port: int | None = None) -> int:
    from waitress import serve

    from django.db import connection

    from ngoso.core.jobs import clean_up, mark_interrupted
    from ngoso.wsgi import application

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
