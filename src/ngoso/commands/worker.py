# The apps are imported inside the functions: the CLI imports every command to build its parser, before
# Django is set up (no model can load yet) and without loading what one command alone needs.

HELP = "Chạy tiến trình xử lý công việc nền / run a background-job worker (huey)"
NEEDS_DJANGO = True


def add_arguments(p):
    p.add_argument("--threads", type=int, default=2,
                   help="số luồng xử lý đồng thời / jobs run at the same time (default 2)")
    p.add_argument("--periodic", action="store_true",
                   help="cũng chạy lịch định kỳ (ngoso serve bật sẵn cho tiến trình của nó) / also run the schedule "
                        "(ngoso serve's own worker does); several schedulers never run a slot twice")
    p.add_argument("--list", action="store_true", help="in lịch định kỳ rồi thoát / print the schedule and exit")
    p.add_argument("--ping", action="store_true",
                   help="gửi một việc kiểm tra và chờ tiến trình xử lý trả lời (giám sát) / queue a health check and "
                        "wait for a worker to answer (monitoring); exit code 1 if none does in 30 s")


def handle(args) -> int:
    if args.list:
        from django.utils import timezone

        from ngoso.core import jobs

        for row in jobs.schedule():
            last = row["last"]
            last_s = f"{timezone.localtime(last.slot):%Y-%m-%d %H:%M} {last.status}" if last else "-"
            nxt = f"{row['next']:%Y-%m-%d %H:%M}" if row["next"] else "-"
            print(f"{row['name']:<18} lần trước / last: {last_s:<24} lần tới / next: {nxt}  {row['label']}")
        return 0
    if args.ping:
        from ngoso.core import jobs

        answer = jobs.ping()
        if answer is None:
            print("Không có tiến trình xử lý nào trả lời trong 30 giây / no worker answered in 30 s")
            return 1
        print(f"Tiến trình xử lý trả lời / worker answered: {answer['host']} pid {answer['pid']}, {answer['seconds']} s")
        return 0
    return run_worker(args.threads, args.periodic)


def run_worker(threads: int = 2, periodic: bool = False) -> int:
    """Take jobs from the queue until Ctrl+C or SIGTERM; then give running jobs back to the queue."""
    import logging

    from ngoso.core import jobs

    logging.getLogger("huey").setLevel(logging.WARNING)
    if jobs.HUEY.immediate:
        from ngoso.cli import CommandError

        raise CommandError("NGOSO_JOBS_IMMEDIATE=1: không cần tiến trình xử lý / no worker in immediate mode")
    n = jobs.recover()
    where = f"Redis {jobs.redis_url()}" if jobs.redis_url() else str(jobs.HUEY.storage.filename)
    print(f"Tiến trình xử lý / worker: {threads} luồng / threads, hàng đợi / queue: {where}"
          f"{', lịch định kỳ / schedule: on' if periodic else ''}"
          f"{f', {n} việc đưa lại / requeued' if n else ''}", flush=True)
    consumer = jobs.HUEY.create_consumer(workers=threads, worker_type="thread", periodic=periodic,
                                         initial_delay=0.05, backoff=1.5, max_delay=1.0, scheduler_interval=1)
    try:
        consumer.run()
    finally:
        released = jobs.release_running()
        print(f"Tiến trình xử lý đã dừng / worker stopped{f' ({released} việc trả lại hàng đợi / requeued)' if released else ''}",
              flush=True)
    return 0
