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


def add(name: str, n: int = 1) -> None:
    COUNTS[name] += n


def lines(counts: Counter) -> list[str]:
    out, names = [], sorted({k.split("|")[0] for k in counts})
    for name in names:
        if f"{name}|tried" in counts:
            out.append(f"{name}: {counts.get(f'{name}|ok', 0)}/{counts[f'{name}|tried']}")
        else:
            out.append(f"{name}: {counts[name]}")
    return out
