"""Timing helpers the benches share (each bench imports them from its own folder)."""

from __future__ import annotations

import statistics
import time


def p50(fn, reps: int) -> float:
    """The median of ``reps`` calls of ``fn``, in milliseconds."""
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)
