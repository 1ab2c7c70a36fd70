"""The dashboard's report (XLSX and PDF) against the dashboard page, at every level, on the commune demo.

    .venv/bin/python bench/dashboard_report.py      # builds bench/out/commune-report (once, ≈1 min), then measures

Prints, for a village, the commune, a former district and the province (whose dashboard lists its ~100
communes): the page's p50, the XLSX's and the PDF's p50 over a few renders, and each as a multiple of the
page measured in the same run. The PDF is made by the job queue (``insights.tasks``, issue 17): the request
is only checked to answer with the job page, and the PDF's time is the worker's render. Its lists are cut at
60 rows (the XLSX holds them whole), so its time does not grow with the area.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from timing import p50  # noqa: E402  (bench/ is the script's folder)

HERE = Path(__file__).resolve().parent
DATA = HERE / "out" / "commune-report"
os.environ["NGOSO_DATA_DIR"] = str(DATA)
os.environ.pop("NGOSO_DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ngoso.settings")
os.environ["NGOSO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from ngoso.core.db import ensure_migrated  # noqa: E402

REPS = {"page": 10, "xlsx": 5, "pdf": 3}


def ensure_demo() -> None:
    ensure_migrated()
    from ngoso.people.models import Household

    if Household.objects.count() > 5_000:
        return
    from ngoso.demo import builder

    if Household.objects.exists():
        builder.reset_database()
    builder.build("commune", seed=42, progress=lambda m: None)


def main() -> int:
    ensure_demo()
    from ngoso.accounts.models import User
    from ngoso.places.models import Level, Place

    client = Client()
    from ngoso.insights import dashboard as dash
    from ngoso.insights import report

    user = User.objects.get(username="tinh")
    client.force_login(user)
    commune = User.objects.get(username="xa").place
    targets = [("village", Place.objects.filter(parent=commune, level=Level.VILLAGE).order_by("code").first()),
               ("commune", commune), ("former district", Place.objects.get(code="old-216")),
               ("province", User.objects.get(username="tinh").place)]
    print(f"{'place':<34} {'page':>8} {'xlsx':>8} {'pdf':>8} {'xlsx/page':>10} {'pdf/page':>9}")
    worst_pdf = 0.0
    for kind, place in targets:
        times = {}
        for what, url in (("page", f"/places/{place.code}/dashboard/"), ("xlsx", f"/places/{place.code}/dashboard.xlsx")):
            assert client.get(url).status_code == 200, url  # warm (and checked)
            times[what] = p50(lambda: client.get(url), REPS[what])
        # the PDF is a job (issue 17): the request only queues it (302 to the job page); what is timed is the
        # worker's render, the same calls as insights.tasks._dashboard_pdf_job without the file
        assert client.get(f"/places/{place.code}/dashboard.pdf").status_code == 302
        times["pdf"] = p50(lambda: report.to_pdf(report.build(dash.dashboard(place), user=user, language="vi")),
                           REPS["pdf"])
        worst_pdf = max(worst_pdf, times["pdf"])
        print(f"{kind + ' ' + place.name:<34.34} {times['page']:7.0f}ms {times['xlsx']:7.0f}ms {times['pdf']:7.0f}ms "
              f"{times['xlsx'] / times['page']:9.1f}x {times['pdf'] / times['page']:8.1f}x", flush=True)
    print(f"\nslowest PDF p50 (in the worker, not the request): {worst_pdf:.0f} ms "
          f"(target < 5000 ms: {'OK' if worst_pdf < 5000 else 'MISSED'})")
    return 0 if worst_pdf < 5000 else 1


if __name__ == "__main__":
    sys.exit(main())
