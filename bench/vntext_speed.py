"""Throughput of ngoso.vntext.normalize and latency of a spoken bulletin.

    .venv/bin/python bench/vntext_speed.py [--seconds 3] [--no-speech] [--vinorm]

1. Normalisation throughput, in sentences per second on one core, over bench/data/news_vi.txt
   (~200 hand-written news-style sentences: commune digital teams, radio bulletins, agriculture,
   dates, money, percentages).  Target: >= 10,000 sentences/s (issue 16).  Two baselines are measured in the
   same run so the number can be judged on any machine:
     - "split/lower": " ".join(s.lower().split()) per sentence, the cheapest possible text pass;
     - "no digits": normalize() on the same sentences with every digit removed (the cost of
       scanning text that has nothing to convert: abbreviations and capitals remain).
2. A 300-word bulletin normalised and synthesised with espeak-ng (WAV, and OGG when sox is present).
   Target: under 1 second for normalise + synthesise.
3. With --vinorm, if the optional package vinorm is importable (it is not a dependency), its
   throughput on the same sentences, per call and batched in one call.

The process is pinned to one CPU when the OS allows it.  Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
DATA = REPO / "bench" / "data" / "news_vi.txt"

_t0 = time.perf_counter()
from ngoso.vntext import normalize  # noqa: E402

IMPORT_MS = (time.perf_counter() - _t0) * 1000

TARGET_SENTENCES_PER_S = 10000
TARGET_BULLETIN_S = 1.0


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        try:
            cpu = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cpu})
            return f"pinned to CPU {cpu}"
        except OSError:
            pass
    return "not pinned"


def load_sentences(path: Path = DATA) -> list[str]:
    """One sentence per non-blank line (also used by bench/vntext_vinorm.py)."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def rate(fn, items: list[str], seconds: float) -> float:
    """Items per second, best of several timed passes filling ``seconds``."""
    for s in items[:20]:  # warm-up
        fn(s)
    best = 0.0
    deadline = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        for s in items:
            fn(s)
        elapsed = time.perf_counter() - start
        best = max(best, len(items) / elapsed)
        if time.perf_counter() > deadline:
            return best


def bulletin(sentences: list[str], words: int = 300) -> str:
    out, count = [], 0
    for s in sentences:
        out.append(s)
        count += len(s.split())
        if count >= words:
            break
    paragraphs = [" ".join(out[i:i + 5]) for i in range(0, len(out), 5)]
    return "\n\n".join(paragraphs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per throughput measurement")
    ap.add_argument("--no-speech", action="store_true", help="skip the espeak-ng bulletin")
    ap.add_argument("--vinorm", action="store_true", help="also measure vinorm if importable")
    args = ap.parse_args(argv)

    ok = True
    print(f"ngoso.vntext import + regex compile: {IMPORT_MS:.1f} ms; {pin_one_core()}")
    sentences = load_sentences()
    chars = sum(map(len, sentences))
    print(f"corpus: {len(sentences)} sentences, {chars / len(sentences):.0f} characters each on average")

    ours = rate(normalize, sentences, args.seconds)
    split_lower = rate(lambda s: " ".join(s.lower().split()), sentences, args.seconds / 2)
    no_digits = [re.sub(r"[0-9]", "", s) for s in sentences]
    plain = rate(normalize, no_digits, args.seconds / 2)
    print("\n== normalisation throughput (one core) ==")
    print(f"normalize()            {ours:>12,.0f} sentences/s   target >= {TARGET_SENTENCES_PER_S:,}: "
          f"{'OK' if ours >= TARGET_SENTENCES_PER_S else 'MISSED'}")
    print(f"baseline split/lower   {split_lower:>12,.0f} sentences/s   normalize is {split_lower / ours:,.0f}x slower")
    print(f"baseline no digits     {plain:>12,.0f} sentences/s   normalize on full text is "
          f"{plain / ours:.2f}x slower")
    print(f"per sentence           {1e6 / ours:>12.1f} µs")
    ok &= ours >= TARGET_SENTENCES_PER_S

    if not args.no_speech:
        ok &= speech_bench(sentences)

    if args.vinorm:
        vinorm_bench(sentences, ours)
    return 0 if ok else 1


def speech_bench(sentences: list[str]) -> bool:
    from ngoso.speech import SpeechUnavailable, synthesize

    text = bulletin(sentences)
    words = len(text.split())
    print(f"\n== {words}-word bulletin: normalise + synthesise (espeak-ng) ==")
    if not shutil.which("espeak-ng"):
        print("espeak-ng is not installed: skipped (apt-get install -y espeak-ng sox libsox-fmt-all)")
        return True
    ok = True
    with tempfile.TemporaryDirectory(prefix="ngoso-bench-") as tmp:
        formats = ["wav"] + (["ogg"] if shutil.which("sox") else [])
        for fmt in formats:
            totals, norm = [], []
            result = None
            for _ in range(5):
                t0 = time.perf_counter()
                normalize(text)
                t1 = time.perf_counter()
                try:
                    result = synthesize(text, Path(tmp) / f"bulletin.{fmt}")
                except SpeechUnavailable as exc:
                    print(f"{fmt}: skipped: {exc}")
                    break
                t2 = time.perf_counter()
                norm.append(t1 - t0)
                totals.append(t2 - t1 + (t1 - t0))
            if not totals:
                continue
            total = statistics.median(totals)
            print(f"{fmt}: normalise {statistics.median(norm) * 1000:.1f} ms, normalise + synthesise "
                  f"{total * 1000:.0f} ms (median of {len(totals)}), audio {result.duration_seconds:.1f} s "
                  f"({result.duration_seconds / total:.0f}x real time)   target < {TARGET_BULLETIN_S:.0f} s: "
                  f"{'OK' if total < TARGET_BULLETIN_S else 'MISSED'}")
            ok &= total < TARGET_BULLETIN_S
    return ok


def vinorm_bench(sentences: list[str], ours: float) -> None:
    print("\n== vinorm side by side (optional) ==")
    try:
        from vinorm import TTSnorm  # type: ignore[import-not-found]
    except ImportError:
        print("vinorm is not importable in this interpreter: skipped. It is optional and not a "
              "dependency; to compare, install it in a separate venv and run this script with that "
              "interpreter (see docs/vntext.md).")
        return
    sample = sentences[:40]
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved, saved_err = os.dup(1), os.dup(2)
    try:
        sys.stdout.flush()
        os.dup2(devnull, 1)  # vinorm's binary prints debugging lines
        os.dup2(devnull, 2)
        t0 = time.perf_counter()
        for s in sample:
            TTSnorm(s)
        per_call = len(sample) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        TTSnorm("\n".join(sentences))
        batched = len(sentences) / (time.perf_counter() - t0)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.dup2(saved_err, 2)
        for fd in (devnull, saved, saved_err):
            os.close(fd)
    print(f"vinorm, one call per sentence  {per_call:>10,.0f} sentences/s  (ngoso.vntext {ours / per_call:,.0f}x faster)")
    print(f"vinorm, all sentences batched  {batched:>10,.0f} sentences/s  (ngoso.vntext {ours / batched:,.1f}x faster)")


if __name__ == "__main__":
    raise SystemExit(main())
