"""The SVG chart primitives: axes, proportional marks, gaps, escaping."""

from __future__ import annotations

import re

import pytest

from ivr_acd.report.svg import (
    HBar,
    Series,
    axis,
    empty_chart,
    funnel,
    horizontal_bars,
    line_chart,
    stacked_bars,
)


def attrs(svg: str, css: str, tags: str = "rect|circle|path|line") -> list[dict[str, str]]:
    """The attributes of every element of ``tags`` whose class list contains ``css`` (legends excluded)."""
    svg = re.sub(r'<g class="legend">.*?</g>', "", svg, flags=re.S)
    found = []
    for tag in re.findall(rf"<(?:{tags})\b[^>]*>", svg):
        fields = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if css in fields.get("class", "").split():
            found.append(fields)
    return found


@pytest.mark.parametrize(
    ("maximum", "integer", "top", "ticks"),
    [
        (41.0, True, 50.0, [0, 10, 20, 30, 40, 50]),
        (7.0, True, 8.0, [0, 2, 4, 6, 8]),
        (3.0, True, 3.0, [0, 1, 2, 3]),
        (0.0, True, 1.0, [0, 1]),  # nothing to show: still a valid axis
        (0.37, False, 0.4, [0, 0.1, 0.2, 0.3, 0.4]),
        (100.0, False, 100.0, [0, 20, 40, 60, 80, 100]),
    ],
)
def test_axis_rounds_up_to_a_nice_top(maximum: float, integer: bool, top: float, ticks: list[float]) -> None:
    got_top, got_ticks = axis(maximum, integer=integer)
    assert got_top == top
    assert got_ticks == pytest.approx(ticks)


def test_stacked_bar_heights_are_proportional_and_stack() -> None:
    svg = stacked_bars(
        ["a", "b", "c"],
        [Series("Answered", "answered", [4, 0, 10]), Series("Abandoned", "abandoned", [1, 3, None])],
        label="calls",
    )
    bars = attrs(svg, "bar")
    assert [(b["data-series"], float(b["data-value"])) for b in bars] == [
        ("Answered", 4.0),
        ("Abandoned", 1.0),
        ("Abandoned", 3.0),
        ("Answered", 10.0),
    ]
    scales = {round(float(b["height"]) / float(b["data-value"]), 2) for b in bars}
    assert len(scales) == 1  # one height per call everywhere
    first, on_top = bars[0], bars[1]  # the abandoned segment sits right on the answered one
    assert float(on_top["y"]) + float(on_top["height"]) == pytest.approx(float(first["y"]), abs=0.01)


def test_line_breaks_at_missing_values() -> None:
    svg = line_chart(
        ["1", "2", "3", "4"],
        [Series("SL", "sl", [50.0, None, 70.0, 80.0])],
        label="sl",
        left_format=str,
        left_top=100.0,
        target=80.0,
    )
    (line,) = attrs(svg, "l-sl", "path")
    assert line["d"].count("M") == 2  # two segments: [1] and [3, 4]
    assert [p["data-value"] for p in attrs(svg, "p-sl")] == ["50", "70", "80"]
    (target,) = attrs(svg, "l-target")
    # the target at 80 % sits where the 80 % point is drawn
    assert float(target["y1"]) == pytest.approx(float(attrs(svg, "p-sl")[2]["cy"]))


def test_horizontal_bar_widths_are_proportional_to_the_maximum() -> None:
    svg = horizontal_bars(
        [HBar("a", [50.0, 25.0]), HBar("b", [100.0, None])],
        [("Occupancy", "occupancy"), ("Utilisation", "utilisation")],
        label="occ",
        maximum=100.0,
        value_format=str,
    )
    widths = {(b["data-series"], b["data-value"]): float(b["width"]) for b in attrs(svg, "bar")}
    assert widths[("Occupancy", "100")] == pytest.approx(2 * widths[("Occupancy", "50")])
    assert widths[("Utilisation", "25")] == pytest.approx(widths[("Occupancy", "50")] / 2)
    assert ("Utilisation", "None") not in widths


def test_funnel_bars() -> None:
    svg = funnel(["welcome", "menu"], [10, 5], [0, 2], label="funnel")
    entered = [float(b["width"]) for b in attrs(svg, "s-entered")]
    (dropped,) = attrs(svg, "s-dropout")
    assert entered[0] == pytest.approx(2 * entered[1])
    assert float(dropped["width"]) == pytest.approx(entered[0] * 2 / 10)


def test_text_is_escaped() -> None:
    svg = stacked_bars(["<b>"], [Series("x&y", "answered", [1])], label="<script>")
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "&lt;script&gt;" in svg
    assert "x&amp;y" in svg
    assert "&lt;nothing&gt;" in empty_chart("t", "<nothing>")
