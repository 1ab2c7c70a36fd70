"""Run every benchmark in bench/ and print its numbers (``make bench``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["vntext_speed.py", "vntext_eval.py", "vntext_vinorm.py", "dashboard.py", "sync_ingest.py", "livelihoods.py"]
BENCHES = ["vntext_speed.py", "vntext_eval.py", "vntext_vinorm.py", "dashboard.py", "sync_ingest.py"]
BENCHES.append("radio.py")
BENCHES.append("jobs.py")
BENCHES.append("service.py")
BENCHES.append("dashboard_report.py")
BENCHES.append("poverty.py")


def main() -> int:
    failed = 0
    for name in BENCHES:
        print(f"\n=== {name} ===", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / name)]) != 0
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
