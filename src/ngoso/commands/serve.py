HELP = "Chạy máy chủ web trên cơ sở dữ liệu hiện có / serve the existing database"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)


def handle(args) -> int:
    return run_server(args.host, args.port, args.threads)


def run_server(host: str, port: int, threads: int = 8) -> int:
    from waitress import serve

    from django.db import connection

    from ngoso.core.jobs import mark_interrupted
    from ngoso.wsgi import application

    mark_interrupted()
    if connection.vendor == "sqlite":
        from ngoso.core.sqlite.base import Checkpointer

        Checkpointer().start()  # WAL checkpoints off the writers' path (core/sqlite/base.py)
    print(f"\nNgõ Số đang chạy tại / serving at http://{host}:{port}/  (Ctrl+C để dừng / to stop)", flush=True)
    serve(application, host=host, port=port, threads=threads, ident="ngoso", channel_timeout=120)
    return 0
