"""Counts the security tests report at the end of the run ("bad inputs tried and answered clearly: N/N").

A test calls ``tried(name, ok)``; conftest's terminal summary prints every counter, adding up the xdist
workers' counts (each worker hands its own back through ``workeroutput``)."""

from __future__ import annotations

from collections import Counter

COUNTS: Counter = Counter()


def tried(name: str, ok: bool, n: int = 1) -> bool:
    COUNTS[f"{name}|tried"] += n
    if ok:
        COUNTS[f"{name}|ok"] += n
    return ok


def add(name: str, n: int = 1, **parts: int) -> None:
    """Count ``n`` under ``name`` and each keyword under it: add("fuzzed requests", 768, **{"5xx": 0})
    prints "fuzzed requests: 768, 5xx: 0"."""
    COUNTS[name] += n
    for part, m in parts.items():
        COUNTS[f"{name}|{part}"] += m


def lines(counts) -> list[str]:
    out = []
    for name in sorted({k.split("|")[0] for k in counts}):
        if f"{name}|tried" in counts:
            out.append(f"{name}: {counts.get(f'{name}|ok', 0)}/{counts[f'{name}|tried']}")
        else:
            parts = [f"{k.split('|', 1)[1]}: {v}" for k, v in sorted(counts.items()) if k.startswith(f"{name}|")]
            out.append(", ".join([f"{name}: {counts.get(name, 0)}", *parts]))
    return out
