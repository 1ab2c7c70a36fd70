"""SVG charts drawn on the server: every number written for the machine, never through the locale.

Django localises a float in a template (``19,5`` in Vietnamese), which SVG cannot read, so every
coordinate here is a string with a dot (``svg_number``). A chart carries its title, its axes' labels and
the rows of its table view, so a person can read it and a screen reader can too.
"""

from __future__ import annotations

import math


def svg_number(x: float) -> str:
    """A coordinate or length for an SVG/CSS attribute: a dot, at most one decimal, never a comma."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def nice_max(peak: float) -> int:
    """The top of the value axis: 1, 2, 5 × 10^k at or above ``peak`` (at least 1)."""
    if peak <= 1:
        return 1
    base = 10 ** math.floor(math.log10(peak))
    for m in (1, 2, 5, 10):
        if m * base >= peak:
            return int(m * base)
    return int(10 * base)


def bar_chart(points: list[tuple[str, str, int]], *, width: int = 320, height: int = 150,
              x_labels_every: int = 4) -> dict:
    """Bars for ``points`` (key, label, value): a y axis with 0, half and top, x labels every few bars.

    Returns the viewBox size, the plot area, ``bars`` (x, y, w, h strings + label + value), ``y_ticks``
    and ``x_ticks`` (position strings + text); all numbers for attributes are strings from ``svg_number``.
    """
    left, right, top, bottom = 30, 6, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max([v for _, _, v in points] + [0]))
    n = max(len(points), 1)
    step = plot_w / n
    bar_w = max(step * 0.75, 1.0)
    bars, x_ticks = [], []
    for i, (key, label, value) in enumerate(points):
        h = plot_h * value / top_value
        x = left + i * step + (step - bar_w) / 2
        bars.append({"key": key, "label": label, "value": value, "x": svg_number(x), "y": svg_number(top + plot_h - h),
                     "w": svg_number(bar_w), "h": svg_number(h)})
        if i % x_labels_every == 0:
            x_ticks.append({"x": svg_number(left + i * step + step / 2), "text": label})
    y_ticks = []
    for frac in (0, 0.5, 1):
        value = top_value * frac
        if frac == 0.5 and value != int(value):
            continue
        y_ticks.append({"y": svg_number(top + plot_h - plot_h * frac), "ty": svg_number(top + plot_h - plot_h * frac + 3),
                        "text": str(int(value))})
    return {"width": width, "height": height, "left": str(left), "right": str(width - right),
            "top": str(top), "base": svg_number(top + plot_h), "label_y": svg_number(height - 6),
            "bars": bars, "y_ticks": y_ticks, "x_ticks": x_ticks, "top_value": top_value}
