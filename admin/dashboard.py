"""The admin's landing page: today's redemptions, points by month as an SVG chart, top goods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import render_template

from admin.charts import nice_top, quarter_points_chart
from admin.goods import chosen_corner
from points.chain import fingerprint
from points.clock import now
from points.periods import recent_quarters
from points.reports import dashboard
from points.settlement import points_by_quarter
from web.db import get_db

CHART_WIDTH = 640
CHART_HEIGHT = 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 48, 40, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    kind: str  # "awarded" or "redeemed"
    month: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, int], ...]  # (y, value) of the horizontal grid lines
    labels: tuple[tuple[float, str, str], ...]  # (x, "MM", "YYYY" or "") under each month
    base: float  # y of the zero line
    left: int


def month_chart(months: tuple[tuple[str, int, int], ...]) -> Chart:
    """Bars of points awarded beside points redeemed per month, laid out for an inline SVG."""
    top = nice_top(max([1, *(max(awarded, redeemed) for _m, awarded, redeemed in months)]))
    plot_height = CHART_HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    base = CHART_HEIGHT - MARGIN_BOTTOM
    slot = (CHART_WIDTH - MARGIN_LEFT) / max(1, len(months))
    bar_width = min(28.0, slot * 0.36)
    bars, labels = [], []
    for index, (month, awarded, redeemed) in enumerate(months):
        centre = MARGIN_LEFT + slot * (index + 0.5)
        year = month[:4] if index == 0 or month.endswith("-01") else ""
        labels.append((round(centre, 1), month[5:], year))
        for offset, kind, value in ((-1, "awarded", awarded), (0, "redeemed", max(0, redeemed))):
            height = plot_height * value / top
            bars.append(
                Bar(
                    x=round(centre + offset * bar_width, 1),
                    y=round(base - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    value=value,
                    kind=kind,
                    month=month,
                )
            )
    ticks = tuple(
        (round(base - plot_height * fraction / 4, 1), top * fraction // 4) for fraction in range(5)
    )
    return Chart(CHART_WIDTH, CHART_HEIGHT, tuple(bars), ticks, tuple(labels), base, MARGIN_LEFT)


def last_months(
    months: tuple[tuple[str, int, int], ...], today: date, count: int = 12
) -> tuple[tuple[str, int, int], ...]:
    """The ``count`` months up to this one, a month without points as zeros: a time line."""
    known = {month: (awarded, redeemed) for month, awarded, redeemed in months}
    year, month = today.year, today.month
    result = []
    for _ in range(count):
        key = f"{year:04d}-{month:02d}"
        result.append((key, *known.get(key, (0, 0))))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(result))


def render_dashboard():
    corner, corners = chosen_corner()
    figures = dashboard(get_db(), corner_id=corner.id)
    return render_template(
        "admin/dashboard.html",
        figures=figures,
        chart=month_chart(last_months(figures.months, now().date())),
        points_chart=quarter_points_chart(points_by_quarter(get_db(), recent_quarters(4))),
        corner=corner,
        corners=corners,
        fingerprint=fingerprint(get_db()),
    )
