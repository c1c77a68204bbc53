"""A month of daily calls as an inline SVG bar chart, drawn on the server (no chart library, no JS)."""

from __future__ import annotations

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 240, 44, 24, 12


def nice_step(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … at least `value`."""
    power = 1
    while True:
        for step in (1, 2, 5):
            if power * step >= value:
                return power * step
        power *= 10


def daily_chart(days: list[dict]) -> dict:
    """Stacked bars (successes below, failures above) with y-axis ticks; geometry for the template."""
    step = nice_step(max((d["calls"] for d in days), default=0) / 4)
    peak = step * 4  # four even gridlines with round labels
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        ok_h = plot_h * day["successes"] / peak
        bad_h = plot_h * day["failures"] / peak
        x = LEFT + i * slot + slot * 0.15
        base = TOP + plot_h
        bars.append({"date": day["date"], "label": day["date"][8:], "x": round(x, 1), "w": round(slot * 0.7, 1),
                     "ok_y": round(base - ok_h, 1), "ok_h": round(ok_h, 1),
                     "bad_y": round(base - ok_h - bad_h, 1), "bad_h": round(bad_h, 1),
                     "calls": day["calls"], "successes": day["successes"], "failures": day["failures"],
                     "show_label": i % 5 == 0 or i == len(days) - 1})
    ticks = [{"value": step * k, "y": round(TOP + plot_h - plot_h * k / 4, 1)} for k in range(5)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP, "bottom": TOP + plot_h,
            "right": WIDTH - 8, "bars": bars, "ticks": ticks, "peak": peak}
