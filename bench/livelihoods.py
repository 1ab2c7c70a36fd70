"""Livelihoods at province scale: dashboard figures and the public producer page.

    .venv/bin/python bench/livelihoods.py      # builds bench/out/livelihoods once (province, no visits)

Builds the province-scale demo without the year of visits (``NGOSO_BENCH_DENSITY``, default 0.5 of the
realistic number of households) in its own SQLite database under bench/out/, so nothing else is touched.
Prints:

- the livelihood figures of the province, a commune and a village (producers online and households using
  e-payment now, for 12 months and every year, per place below; published stories): p50/p95 over 20 runs
  when computed (after any change) and when served from the cache, against a baseline measured in the
  same run that asks the database per producer (the obvious loop), and the ratio;
- the public producer page: bytes of HTML, bytes of a thumbnail, p50/p95 render time;
- the farming-library search ("banh nhom").
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "out" / "livelihoods"
os.environ["NGOSO_DATA_DIR"] = str(DATA)
os.environ.pop("NGOSO_DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
os.environ["NGOSO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
sys.path.insert(0, str(HERE.parent / "src"))

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from ngoso.core.db import ensure_migrated  # noqa: E402

REPS = 20
UNTIL = datetime.date(2026, 11, 27)
DENSITY = float(os.environ.get("NGOSO_BENCH_DENSITY", "0.5"))


def ensure_demo() -> None:
    ensure_migrated()
    from ngoso.livelihoods.models import Producer
    from ngoso.people.models import Household

    if Household.objects.count() > 100_000 * DENSITY and Producer.objects.exists():
        return
    from ngoso.demo import builder

    if Household.objects.exists():
        builder.reset_database()
    t = time.perf_counter()
    print(f"building the province-scale demo (density {DENSITY}, no visits) once …", flush=True)
    builder.build("province", seed=42, progress=lambda m: None, until=UNTIL, density=DENSITY, activity=False)
    print(f"built in {time.perf_counter() - t:.0f} s", flush=True)


def timed(fn, reps=REPS):
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    out.sort()
    return statistics.median(out), out[int(0.95 * (len(out) - 1))]


def per_producer_baseline(place, today):
    """The same headline figures the obvious way: one query per producer for its channels."""
    from ngoso.accounts.scope import within
    from ngoso.livelihoods.indicators import _month_ends
    from ngoso.livelihoods.models import ONLINE_SELLING, Producer

    months = _month_ends(today, 12)
    online = [0] * 12
    paying = set()
    now_online = 0
    for p in within(Producer.objects.all(), place):
        chans = list(p.channels.all())
        sell = [c for c in chans if c.kind in ONLINE_SELLING]
        for i, end in enumerate(months):
            if any(c.since <= end and (c.ended_on is None or c.ended_on >= end) for c in sell):
                online[i] += 1
        if any(c.ended_on is None for c in sell):
            now_online += 1
        if any(c.kind == "payment" and c.ended_on is None for c in chans):
            paying.add(p.household_id)
    return now_online, len(paying), online


def main() -> int:
    from ngoso.livelihoods import services
    from ngoso.livelihoods.indicators import _compute, livelihood_figures
    from ngoso.livelihoods.models import OnlineChannel, Producer, ProductPhoto
    from ngoso.places.models import Level, Place

    ensure_demo()
    today = UNTIL
    province = Place.objects.get(code="24", valid_to__isnull=True)
    commune = Place.objects.get(code="07351", valid_to__isnull=True)
    village = Place.objects.filter(level=Level.VILLAGE, path__startswith=commune.path).order_by("path").first()
    print(f"producers {Producer.objects.count():,} · online channels {OnlineChannel.objects.count():,}")
    print(f"{'place':28} {'computed p50/p95 ms':>20} {'cached p50 ms':>14} {'per-producer p50 ms':>20} {'ratio':>7}")
    for place in (province, commune, village):
        fig = livelihood_figures(place, today)
        base = per_producer_baseline(place, today)
        assert (fig["producers_online"], fig["households_epayment"]) == base[:2], (fig, base[:2])
        p50, p95 = timed(lambda: _compute(place, today, None, None))
        c50, _ = timed(lambda: livelihood_figures(place, today))
        reps = 3 if place is province else 10
        b50, _ = timed(lambda: per_producer_baseline(place, today), reps=reps)
        print(f"{place.name[:28]:28} {p50:9.1f} / {p95:8.1f} {c50:14.2f} {b50:20.1f} {b50 / p50:6.1f}×")

    p = Producer.objects.filter(name__startswith="Bánh nhôm Ngọc Thiện").first()
    if p is not None and services.is_public(p):
        if not ProductPhoto.objects.filter(product__producer=p).exists():
            import io

            from PIL import Image

            buf = io.BytesIO()
            Image.effect_mandelbrot((2400, 1800), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB").save(buf, "JPEG", quality=92)
            services.add_product_photo(p.products.first(), buf.getvalue(), "banh.jpg", p.created_by)
        c = Client()
        url = f"/p/{p.public_code}/"
        html = c.get(url).content
        ph = ProductPhoto.objects.filter(product__producer=p).first()
        thumb = c.get(f"{url}img/{ph.pk}-t").getvalue()
        full = c.get(f"{url}img/{ph.pk}-l").getvalue()
        r50, r95 = timed(lambda: c.get(url))
        print(f"public page: HTML {len(html):,} bytes · thumbnail {len(thumb):,} bytes (WebP {ph.width}px max "
              f"{services.THUMB_SIZE}) · display photo {len(full):,} bytes · render p50 {r50:.1f} ms / p95 {r95:.1f} ms")
        print(f"  first view on the phone (HTML + one thumbnail) {len(html) + len(thumb):,} bytes; "
              f"at 3G's ~50 kB/s: {(len(html) + len(thumb)) / 50_000:.2f} s")
    s50, s95 = timed(lambda: services.search_articles("banh nhom"))
    print(f"farming library search «banh nhom»: p50 {s50:.2f} ms / p95 {s95:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
