"""The bins of one insight as a small inline SVG bar chart (pure, like ``charts.py``).

One bar per bin of the entity's value, its height the mean of the sleep measure, the nights
counted under it. Colours follow the page (``currentColor``) and Home Assistant's theme
variable the trend charts use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from oura_addon.i18n import Translator
from oura_addon.web.charts import format_value, nice_axis

_STYLE = (
    ".insight-chart{width:100%;max-width:480px;height:auto;display:block;color:inherit;"
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    ".insight-chart text{fill:currentColor}"
    ".insight-chart .tick-label,.insight-chart .bin-label{font-size:15px;opacity:.8}"
    ".insight-chart .bin-value{font-size:16px;font-weight:600}"
    ".insight-chart .grid{stroke:currentColor;stroke-opacity:.15;stroke-width:1}"
    ".insight-chart .bar{fill:var(--trend-chart-line,#4a90d9)}"
)
_TOP, _BOTTOM, _LEFT, _RIGHT = 24.0, 46.0, 48.0, 8.0


def _number(value: float, translator: Translator) -> str:
    return translator.number(format_value(round(value, 1)))


def render_bins_chart(
    bins: Sequence[Mapping[str, Any]],
    *,
    label: str,
    unit: str | None,
    translator: Translator,
    width: int = 480,
    height: int = 200,
) -> str:
    """Bars of each bin's mean; under each, its range of the entity's value and its nights."""
    usable = [b for b in bins if isinstance(b.get("mean"), int | float)]
    if not usable:
        return ""
    means = [float(b["mean"]) for b in usable]
    axis = nice_axis(min(min(means), 0.0) if min(means) < 0 else min(means) * 0.9, max(means))
    plot_top, plot_bottom = _TOP, height - _BOTTOM
    slot = (width - _LEFT - _RIGHT) / len(usable)

    def y_of(value: float) -> float:
        share = (value - axis.low) / (axis.high - axis.low)
        return plot_bottom - share * (plot_bottom - plot_top)

    safe_label = escape(label)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{safe_label}" '
        f'viewBox="0 0 {width} {height}" class="insight-chart" '
        f'preserveAspectRatio="xMidYMid meet">',
        f"<title>{safe_label}</title><style>{_STYLE}</style>",
    ]
    for tick in axis.ticks:
        y = y_of(tick)
        parts.append(
            f'<line class="grid" x1="{_LEFT:.1f}" x2="{width - _RIGHT:.1f}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick-label" x="{_LEFT - 6:.1f}" y="{y + 5:.1f}" '
            f'text-anchor="end">{escape(translator.number(format_value(tick)))}</text>'
        )
    suffix = f" {unit}" if unit else ""
    for index, (item, mean) in enumerate(zip(usable, means, strict=True)):
        left = _LEFT + index * slot + slot * 0.15
        bar_width = slot * 0.7
        top = y_of(mean)
        centre = left + bar_width / 2
        span = escape(
            f"{_number(float(item['from']), translator)}\u2013"
            f"{_number(float(item['to']), translator)}{suffix}"
        )
        nights = escape(
            translator.gettext("%(count)s nights", count=translator.number(int(item["nights"])))
        )
        parts.append(
            f'<rect class="bar" x="{left:.1f}" y="{top:.1f}" width="{bar_width:.1f}" '
            f'height="{max(plot_bottom - top, 1.0):.1f}"><title>{span}: '
            f"{escape(_number(mean, translator))} ({nights})</title></rect>"
            f'<text class="bin-value" x="{centre:.1f}" y="{top - 5:.1f}" '
            f'text-anchor="middle">{escape(_number(mean, translator))}</text>'
            f'<text class="bin-label" x="{centre:.1f}" y="{height - 26}" '
            f'text-anchor="middle">{span}</text>'
            f'<text class="bin-label" x="{centre:.1f}" y="{height - 8}" '
            f'text-anchor="middle">{nights}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
