"""Trend charts as self-contained inline SVG, built by pure functions (no I/O).

Colours come from ``currentColor`` and CSS classes scoped to ``.trend-chart`` so a chart
reads well on the panel's light and dark backgrounds alike; the SVG has a viewBox and
``width: 100%`` so it scales with its container.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from oura_addon.i18n import Translator

# Space around the plot area, in viewBox units: room for the title row, the y tick labels
# on the left and the x day labels below.
_TOP = 52.0
_BOTTOM = 34.0
_LEFT = 56.0
_RIGHT = 16.0
_POINT_RADIUS = 5

# Scoped to .trend-chart because a <style> inside inline SVG applies to the whole page.
_STYLE = (
    ".trend-chart{width:100%;height:auto;display:block;color:inherit;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    ".trend-chart text{fill:currentColor}"
    ".trend-chart .chart-title{font-size:24px;font-weight:600}"
    ".trend-chart .latest-value{font-size:24px;font-weight:700}"
    ".trend-chart .tick-label,.trend-chart .day-label{font-size:19px;opacity:.8}"
    ".trend-chart .grid{stroke:currentColor;stroke-opacity:.15;stroke-width:1}"
    ".trend-chart .line{fill:none;stroke:var(--trend-chart-line,#4a90d9);stroke-width:3;"
    "stroke-linejoin:round;stroke-linecap:round}"
    ".trend-chart .point{fill:var(--trend-chart-line,#4a90d9)}"
    ".trend-chart .point.latest{stroke:currentColor;stroke-width:1.5}"
    ".trend-chart .empty{font-size:20px;opacity:.8}"
)


@dataclass(frozen=True)
class Axis:
    """A y axis: the covered range and the tick values on it (lowest first)."""

    low: float
    high: float
    ticks: tuple[float, ...]


def format_value(value: float) -> str:
    """A short label: whole numbers without decimals, others to one or two decimals."""
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    decimals = 1 if abs(value) >= 10 else 2
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".")


def _with_unit(value: float, unit: str, translator: Translator) -> str:
    text = translator.number(format_value(value))
    return f"{text} {unit}" if unit else text


def _nice_steps(rough: float) -> list[float]:
    """Candidate tick steps (1, 2, 2.5, 5 times powers of ten) from below ``rough`` upwards."""
    magnitude = 10 ** math.floor(math.log10(rough))
    return [
        factor * magnitude * scale
        for scale in (0.1, 1, 10, 100)
        for factor in (1, 2, 2.5, 5)
        if factor * magnitude * scale >= rough / 10
    ]


def nice_axis(low: float, high: float) -> Axis:
    """Three or four round tick values that cover ``low``..``high``.

    A flat range (every value equal) is widened around the value so scaling never divides
    by zero.
    """
    if high < low:
        low, high = high, low
    if high - low < 1e-9:
        pad = max(abs(low) * 0.1, 1.0)
        low, high = low - pad, high + pad
    for step in _nice_steps((high - low) / 3):
        start = math.floor(low / step + 1e-9) * step
        stop = math.ceil(high / step - 1e-9) * step
        count = round((stop - start) / step) + 1
        if count <= 4:
            if count < 3:
                stop += step
                count += 1
            ticks = tuple(_tidy(start + i * step) for i in range(count))
            return Axis(ticks[0], ticks[-1], ticks)
    # Unreachable for finite input: the largest candidate step covers the range in 2 ticks.
    return Axis(low, high, (low, high))


def _tidy(value: float) -> float:
    """Drop float noise such as 0.30000000000000004 so labels stay round."""
    return round(value, 10) + 0.0


def _day_label(day: date, translator: Translator) -> str:
    return translator.short_day(day)


def _clean(series: Sequence[tuple[date, float | None]]) -> list[tuple[date, float | None]]:
    """The series sorted by day, with non-numbers (NaN, infinity) treated as missing."""
    cleaned: list[tuple[date, float | None]] = []
    for day, value in sorted(series, key=lambda item: item[0]):
        usable = value is not None and math.isfinite(value)
        cleaned.append((day, float(value) if value is not None and usable else None))
    return cleaned


def _runs(points: list[tuple[date, float | None]]) -> list[list[tuple[date, float]]]:
    """Consecutive days with values; a missing value or a skipped day starts a new run."""
    runs: list[list[tuple[date, float]]] = []
    current: list[tuple[date, float]] = []
    for day, value in points:
        if value is None:
            if current:
                runs.append(current)
            current = []
            continue
        if current and (day - current[-1][0]).days > 1:
            runs.append(current)
            current = []
        current.append((day, value))
    if current:
        runs.append(current)
    return runs


def _empty_chart(title: str, width: int, translator: Translator) -> str:
    height = 80
    safe_title = escape(title)
    empty = escape(translator.gettext("No data yet."))
    label = f"{safe_title}: {escape(translator.gettext('no data yet'))}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{label}" viewBox="0 0 {width} {height}" '
        f'class="trend-chart trend-chart-empty" preserveAspectRatio="xMinYMin meet">'
        f"<title>{label}</title><style>{_STYLE}</style>"
        f'<text class="chart-title" x="0" y="26">{safe_title}</text>'
        f'<text class="empty" x="0" y="64">{empty}</text></svg>'
    )


def render_trend_chart(
    series: Sequence[tuple[date, float | None]],
    *,
    title: str,
    unit: str,
    width: int = 600,
    height: int = 180,
    translator: Translator | None = None,
) -> str:
    """An inline SVG line chart of daily values; ``None`` leaves a gap in the line."""
    translator = translator or Translator()
    points = _clean(series)
    present = [(day, value) for day, value in points if value is not None]
    if not present:
        return _empty_chart(title, width, translator)

    first_day, last_day = points[0][0], points[-1][0]
    latest_day, latest_value = present[-1]
    axis = nice_axis(min(v for _, v in present), max(v for _, v in present))

    plot_left, plot_right = _LEFT, width - _RIGHT
    plot_top, plot_bottom = _TOP, height - _BOTTOM
    span_days = (last_day - first_day).days

    def x_of(day: date) -> float:
        if span_days == 0:
            return (plot_left + plot_right) / 2
        return plot_left + (day - first_day).days / span_days * (plot_right - plot_left)

    def y_of(value: float) -> float:
        share = (value - axis.low) / (axis.high - axis.low)
        return plot_bottom - share * (plot_bottom - plot_top)

    safe_title = escape(title)
    latest_text = escape(_with_unit(latest_value, unit, translator))
    label = escape(
        translator.gettext(
            "%(title)s: latest %(value)s on %(day)s, %(count)s days",
            title=title,
            value=_with_unit(latest_value, unit, translator),
            day=translator.date(latest_day),
            count=len(points),
        )
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'viewBox="0 0 {width} {height}" class="trend-chart" '
        f'preserveAspectRatio="xMidYMid meet">',
        f"<title>{label}</title>",
        f"<style>{_STYLE}</style>",
        f'<text class="chart-title" x="0" y="26">{safe_title}</text>',
        f'<text class="latest-value" x="{width}" y="26" text-anchor="end">{latest_text}</text>',
    ]
    for tick in axis.ticks:
        y = y_of(tick)
        parts.append(
            f'<line class="grid" x1="{plot_left:.1f}" x2="{plot_right:.1f}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick-label" x="{plot_left - 10:.1f}" y="{y + 6:.1f}" '
            f'text-anchor="end">{escape(translator.number(format_value(tick)))}</text>'
        )
    parts.append(
        f'<text class="day-label" x="{plot_left:.1f}" y="{height - 6}" '
        f'text-anchor="start">{_day_label(first_day, translator)}</text>'
    )
    if span_days:
        parts.append(
            f'<text class="day-label" x="{plot_right:.1f}" y="{height - 6}" '
            f'text-anchor="end">{_day_label(last_day, translator)}</text>'
        )
    for run in _runs(points):
        if len(run) > 1:
            coords = " ".join(f"{x_of(day):.1f},{y_of(value):.1f}" for day, value in run)
            parts.append(f'<polyline class="line" points="{coords}"/>')
    for day, value in present:
        css = "point latest" if day == latest_day else "point"
        tooltip = escape(f"{translator.date(day)}: {_with_unit(value, unit, translator)}")
        parts.append(
            f'<circle class="{css}" cx="{x_of(day):.1f}" cy="{y_of(value):.1f}" '
            f'r="{_POINT_RADIUS}"><title>{tooltip}</title></circle>'
        )
    parts.append("</svg>")
    return "".join(parts)
