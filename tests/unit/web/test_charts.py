"""The dashboard's trend charts: what a user sees and what a screen reader announces."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from oura_addon.web.charts import format_value, nice_axis, render_trend_chart

SVG = "{http://www.w3.org/2000/svg}"


def days(values: list[float | None], start: date = date(2025, 3, 1)):
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own renderer output, not untrusted


def points(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if "point" in c.get("class", "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_one_point_per_day_with_a_value():
    root = parse(render_trend_chart(days([70, None, 75, 80, None]), title="Sleep", unit=""))

    assert len(points(root)) == 3


def test_each_point_has_a_tooltip_with_day_and_value():
    root = parse(render_trend_chart(days([41.5, 48]), title="HRV", unit="ms"))

    tooltips = ["".join(c.find(f"{SVG}title").itertext()) for c in points(root)]
    assert tooltips == ["Mar 1, 2025: 41.5 ms", "Mar 2, 2025: 48 ms"]


def test_latest_value_is_shown_as_text_and_announced():
    svg = render_trend_chart(days([55, 57, 54]), title="Resting heart rate", unit="bpm")
    root = parse(svg)

    assert "54 bpm" in texts(root)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Resting heart rate: latest 54 bpm on Mar 3, 2025, 3 days"
    assert "".join(root.find(f"{SVG}title").itertext()).startswith("Resting heart rate")


def test_latest_value_skips_trailing_missing_days():
    root = parse(render_trend_chart(days([60, 66, None]), title="Readiness", unit=""))

    assert "latest 66 on Mar 2, 2025" in root.get("aria-label")
    latest = [c for c in points(root) if "latest" in c.get("class", "")]
    assert len(latest) == 1


def test_first_and_last_day_label_the_x_axis():
    root = parse(render_trend_chart(days([1, 2, 3] * 10), title="Steps", unit=""))

    labels = texts(root)
    assert "Mar 1" in labels
    assert "Mar 30" in labels


def test_y_axis_has_three_or_four_round_ticks_covering_the_data():
    root = parse(render_trend_chart(days([62, 95, 71]), title="Sleep score", unit=""))

    ticks = [float(t.text) for t in root.iter(f"{SVG}text") if t.get("class") == "tick-label"]
    assert 3 <= len(ticks) <= 4
    assert ticks[0] <= 62
    assert ticks[-1] >= 95
    assert all(t == round(t) for t in ticks)


@pytest.mark.parametrize(
    ("low", "high"),
    [(62, 95), (0, 100), (0.1, 0.35), (-0.8, 0.6), (2500, 14000), (40.2, 40.9), (1, 2)],
)
def test_nice_axis_gives_three_or_four_even_ticks_around_the_range(low, high):
    axis = nice_axis(low, high)

    assert 3 <= len(axis.ticks) <= 4
    assert axis.low <= low
    assert axis.high >= high
    steps = {round(b - a, 9) for a, b in zip(axis.ticks, axis.ticks[1:], strict=False)}
    assert len(steps) == 1


def test_output_is_well_formed_xml_scaled_by_its_viewbox():
    root = parse(render_trend_chart(days([1, 2, 3]), title="HRV", unit="ms", width=400))

    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 400 180"
    assert "trend-chart" in root.get("class").split()
    assert root.get("width") is None  # sized by CSS (width: 100%), not fixed pixels
    assert "width:100%" in "".join(s.text for s in root.iter(f"{SVG}style"))


def test_title_markup_is_escaped():
    svg = render_trend_chart(days([1, 2]), title='<b>"Sleep" & co</b>', unit="°")
    root = parse(svg)

    assert root.get("aria-label").startswith('<b>"Sleep" & co</b>: latest 2 °')
    assert "<b>" not in svg


def test_missing_day_splits_the_line():
    root = parse(render_trend_chart(days([70, 72, None, 74, 76, 75]), title="S", unit=""))

    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(line.get("points").split()) for line in lines] == [2, 3]


def test_lone_value_between_gaps_is_a_point_without_a_line():
    root = parse(render_trend_chart(days([None, 70, None]), title="S", unit=""))

    assert list(root.iter(f"{SVG}polyline")) == []
    assert len(points(root)) == 1


def test_unsorted_input_is_drawn_in_day_order():
    series = list(reversed(days([10, 20, 30])))
    root = parse(render_trend_chart(series, title="S", unit=""))

    xs = [float(c.get("cx")) for c in points(root)]
    assert xs == sorted(xs)
    assert "latest 30 on Mar 3, 2025" in root.get("aria-label")


def test_constant_series_draws_a_flat_line_without_dividing_by_zero():
    root = parse(render_trend_chart(days([50, 50, 50]), title="Flat", unit=""))

    ys = {c.get("cy") for c in points(root)}
    assert len(ys) == 1
    assert "nan" not in ET.tostring(root, encoding="unicode").lower()


def test_single_day_is_drawn_in_the_middle():
    root = parse(render_trend_chart(days([0]), title="One", unit="", width=600))

    (point,) = points(root)
    assert float(point.get("cx")) == pytest.approx((56 + 600 - 16) / 2)


def test_not_a_number_counts_as_missing():
    root = parse(render_trend_chart(days([1.0, float("nan"), 3.0]), title="S", unit=""))

    assert len(points(root)) == 2
    assert "nan" not in ET.tostring(root, encoding="unicode").lower()


@pytest.mark.parametrize("series", [[], days([None, None])])
def test_no_values_says_no_data_yet(series):
    root = parse(render_trend_chart(series, title="HRV", unit="ms"))

    assert "No data yet." in texts(root)
    assert points(root) == []
    assert root.get("aria-label") == "HRV: no data yet"


def test_text_uses_the_page_colour_so_dark_mode_stays_readable():
    svg = render_trend_chart(days([1, 2]), title="S", unit="")

    assert "fill:currentColor" in svg
    assert "#000" not in svg.lower()
    assert "black" not in svg.lower()


@pytest.mark.parametrize(
    ("value", "label"), [(72.0, "72"), (41.56, "41.6"), (-0.234, "-0.23"), (0.5, "0.5")]
)
def test_values_are_labelled_briefly(value, label):
    assert format_value(value) == label
