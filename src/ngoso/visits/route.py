"""A short walking tour over GPS points: nearest neighbour, then 2-opt until no swap helps.

For the dozen households of a member's day this finds the best or a near-best tour in well under a
millisecond; OR-Tools would add a large native dependency for no visible gain at this size.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000.0


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def path_length(points, order, start=None) -> float:
    seq = ([start] if start is not None else []) + [points[i] for i in order]
    return sum(distance_m(seq[i], seq[i + 1]) for i in range(len(seq) - 1))


def order_route(points: list[tuple[float, float]], start: tuple[float, float] | None = None
                ) -> tuple[list[int], float]:
    """An open walk visiting every point once, beginning at ``start`` (or at the first point).

    Returns the visiting order (indices into ``points``) and its length in metres.
    """
    n = len(points)
    if n == 0:
        return [], 0.0
    if start is None:
        order, left = [0], set(range(1, n))
        here = points[0]
    else:
        order, left, here = [], set(range(n)), start
    while left:
        nxt = min(left, key=lambda i: (distance_m(here, points[i]), i))
        order.append(nxt)
        left.remove(nxt)
        here = points[nxt]
    fixed_first = start is None  # without a start, the first point is where the member begins
    improved = True
    while improved:
        improved = False
        lo = 1 if fixed_first else 0
        for i in range(lo, n - 1):
            for j in range(i + 1, n):
                candidate = order[:i] + order[i:j + 1][::-1] + order[j + 1:]
                if path_length(points, candidate, start) + 1e-6 < path_length(points, order, start):
                    order, improved = candidate, True
    return order, path_length(points, order, start)
