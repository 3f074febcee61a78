"""Charts the admin pages draw as inline SVG on the server (no scripts): the layout only."""

from __future__ import annotations

from dataclasses import dataclass


def nice_top(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (a round top for the axis)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


@dataclass(frozen=True)
class StarsChart:
    """Members at each star level (0-5), this quarter beside the one before, for an inline SVG."""

    bars: tuple[tuple[float, float, float, int, str], ...]  # x, y, height, count, "this"/"last"
    labels: tuple[tuple[float, str], ...]
    ticks: tuple[tuple[float, int], ...]
    base: float
    width: int = 560
    height: int = 200
    left: int = 40


def stars_chart(this: list, last: list) -> StarsChart:
    counts = [
        [sum(1 for line in lines if line.stars == level) for level in range(6)]
        for lines in (this, last)
    ]
    top = nice_top(max([1, *counts[0], *counts[1]]))
    base, plot = 170.0, 150.0
    slot = (560 - 40) / 6
    bars, labels = [], []
    for level in range(6):
        centre = 40 + slot * (level + 0.5)
        labels.append((round(centre, 1), "★" * level if level else "–"))
        for offset, kind, count in ((-1, "this", counts[0][level]), (0, "last", counts[1][level])):
            height = plot * count / top
            bars.append((round(centre + offset * 26, 1), round(base - height, 1), round(height, 1),
                         count, kind))  # fmt: skip
    ticks = tuple((round(base - plot * step / 4, 1), top * step // 4) for step in range(5))
    return StarsChart(tuple(bars), tuple(labels), ticks, base)


@dataclass(frozen=True)
class PointsChart:
    """The quarter's points (earned less deducted) over the last quarters, for an inline SVG."""

    bars: tuple[tuple[float, float, float, int, str], ...]  # x, y, height, points, quarter
    ticks: tuple[tuple[float, int], ...]
    base: float
    width: int = 560
    height: int = 200
    left: int = 48


def quarter_points_chart(points: dict[str, int]) -> PointsChart:
    top = nice_top(max([1, *points.values()]))
    base, plot = 170.0, 150.0
    slot = (560 - 48) / max(1, len(points))
    bars = []
    for index, (quarter, value) in enumerate(points.items()):
        height = plot * max(0, value) / top
        centre = 48 + slot * (index + 0.5)
        bars.append((round(centre - 24, 1), round(base - height, 1), round(height, 1), value,
                     quarter))  # fmt: skip
    ticks = tuple((round(base - plot * step / 4, 1), top * step // 4) for step in range(5))
    return PointsChart(tuple(bars), ticks, base)
