"""Inline SVG charts written as text: no JavaScript, no fonts or files to fetch.

Every mark carries its number: bars and points have ``data-series`` / ``data-value``
attributes and a ``<title>`` tooltip, so the charts can be checked against the data
(the tests do) and read by hovering. Colours are CSS classes (``s-<name>``) styled by the
page, which lets the page switch palettes (dark mode) without touching the charts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720.0
"""Default chart width in SVG units; pass the width the chart is shown at so 11-unit text stays ~11 px."""


@dataclass(frozen=True)
class Series:
    """One named set of values, drawn with the CSS class ``s-<css>``."""

    name: str
    css: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Frame:
    """The plot area inside a chart of ``width`` × ``height``."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def plot_width(self) -> float:
        """Width of the plot area."""
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        """Height of the plot area."""
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> float:
        """The y of the value 0."""
        return self.height - self.bottom


def axis(maximum: float, *, ticks: int = 5, integer: bool = False) -> tuple[float, list[float]]:
    """A round top for a value axis and its tick values (steps of 1, 2 or 5 × 10ⁿ)."""
    if maximum <= 0:
        maximum = 1.0
    raw = maximum / ticks
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1.0, 2.0, 5.0, 10.0) if m * magnitude >= raw * (1 - 1e-9))
    if integer:
        step = float(max(1, math.ceil(step)))
    count = math.ceil(maximum / step - 1e-9)
    return count * step, [round(i * step, 9) for i in range(count + 1)]


def num(value: float) -> str:
    """A coordinate with at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(frame: Frame, label: str, kind: str) -> list[str]:
    return [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" '
            f'viewBox="0 0 {num(frame.width)} {num(frame.height)}" role="img" aria-label="{escape(label)}">'
        ),
        f"<title>{escape(label)}</title>",
    ]


def empty_chart(label: str, message: str, *, width: float = WIDTH, height: float = 140.0) -> str:
    """A placeholder chart that says why there is nothing to draw."""
    frame = Frame(width, height, 0, 0, 0, 0)
    parts = _open(frame, label, "empty")
    parts.append(
        f'<text class="empty" x="{num(width / 2)}" y="{num(height / 2)}" text-anchor="middle">{escape(message)}</text>'
    )
    return "\n".join([*parts, "</svg>"])


def _legend(series: Sequence[tuple[str, str, str]], frame: Frame) -> list[str]:
    """Swatches along the top; entries are (name, css, shape) with shape ``box`` or ``line``."""
    parts = ['<g class="legend">']
    x = frame.left
    for name, css, shape in series:
        if shape == "line":
            parts.append(f'<line class="l-{css}" x1="{num(x)}" y1="11" x2="{num(x + 14)}" y2="11"/>')
        else:
            parts.append(f'<rect class="s-{css}" x="{num(x)}" y="5" width="12" height="12" rx="2"/>')
        parts.append(f'<text x="{num(x + 18)}" y="15">{escape(name)}</text>')
        x += 30 + 7.0 * len(name)  # about 7 px per character at 11 px
    parts.append("</g>")
    return parts


def _x_labels(labels: Sequence[str], frame: Frame, centre: Callable[[int], float]) -> list[str]:
    # Thin the labels out when they would touch: at most 12, and never wider than their slots.
    slot = frame.plot_width / max(1, len(labels))
    widest = max((len(label) for label in labels), default=0) * 6.2 + 4  # ≈ px of 12-unit digits
    every = max(1, math.ceil(len(labels) / 12), math.ceil(widest / slot))
    parts = ['<g class="x-labels">']
    for i, label in enumerate(labels):
        if i % every == 0:
            y = frame.baseline + 16
            parts.append(
                f'<text x="{num(centre(i))}" y="{num(y)}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</g>")
    return parts


def _y_grid(
    frame: Frame, ticks: Sequence[float], top: float, fmt: Callable[[float], str], *, side: str = "left"
) -> list[str]:
    parts = [f'<g class="y-axis y-{side}">']
    for tick in ticks:
        y = frame.baseline - frame.plot_height * tick / top
        if side == "left":
            parts.append(
                f'<line class="grid" x1="{num(frame.left)}" y1="{num(y)}" x2="{num(frame.width - frame.right)}" y2="{num(y)}"/>'
            )
            parts.append(
                f'<text x="{num(frame.left - 6)}" y="{num(y + 4)}" text-anchor="end">{escape(fmt(tick))}</text>'
            )
        else:
            x = frame.width - frame.right + 6
            parts.append(
                f'<text x="{num(x)}" y="{num(y + 4)}" text-anchor="start">{escape(fmt(tick))}</text>'
            )
    parts.append("</g>")
    return parts


def stacked_bars(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    label: str,
    value_format: Callable[[float], str] = lambda v: f"{v:g}",
    width: float = WIDTH,
    height: float = 300.0,
    fill: float = 0.72,
) -> str:
    """Vertical bars, one per label, the series stacked bottom-up; heights ∝ values."""
    frame = Frame(width, height, 48, 16, 30, 30)
    totals = [sum(s.values[i] or 0.0 for s in series) for i in range(len(labels))]
    top, ticks = axis(max(totals, default=0.0), integer=True)
    band = frame.plot_width / max(1, len(labels))
    bar = max(1.0, band * fill)

    def centre(i: int) -> float:
        return frame.left + band * (i + 0.5)

    parts = _open(frame, label, "bars")
    parts += _legend([(s.name, s.css, "box") for s in series], frame)
    parts += _y_grid(frame, ticks, top, value_format)
    parts.append('<g class="bars">')
    for i, name in enumerate(labels):
        y = frame.baseline
        for s in series:
            value = s.values[i] or 0.0
            if value <= 0:
                continue
            h = frame.plot_height * value / top
            y -= h
            parts.append(
                f'<rect class="bar s-{s.css}" data-series="{escape(s.name)}" data-value="{value:g}" '
                f'x="{num(centre(i) - bar / 2)}" y="{num(y)}" width="{num(bar)}" height="{num(h)}">'
                f"<title>{escape(name)}: {escape(s.name)} {escape(value_format(value))}</title></rect>"
            )
    parts.append("</g>")
    parts.append(
        f'<line class="axis" x1="{num(frame.left)}" y1="{num(frame.baseline)}" '
        f'x2="{num(frame.width - frame.right)}" y2="{num(frame.baseline)}"/>'
    )
    parts += _x_labels(labels, frame, centre)
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(
    labels: Sequence[str],
    left: Sequence[Series],
    right: Sequence[Series] = (),
    *,
    label: str,
    left_format: Callable[[float], str],
    right_format: Callable[[float], str] = lambda v: f"{v:g}",
    left_top: float | None = None,
    target: float | None = None,
    target_label: str = "target",
    width: float = WIDTH,
    height: float = 300.0,
) -> str:
    """Lines over the labels: ``left`` series on the left axis, ``right`` on a second axis.

    ``left_top`` fixes the left axis (100 for percentages); ``target`` draws a dashed
    reference line on the left axis. ``None`` values break a line instead of faking a 0.
    """
    frame = Frame(width, height, 48, 52, 30, 30)
    left_max = max((v for s in left for v in s.values if v is not None), default=0.0)
    if left_top is not None:
        l_top = left_top
        l_ticks = [left_top * i / 4 for i in range(5)]
    else:
        l_top, l_ticks = axis(max(left_max, target or 0.0))
    right_max = max((v for s in right for v in s.values if v is not None), default=0.0)
    r_top, r_ticks = axis(right_max)
    band = frame.plot_width / max(1, len(labels))

    def centre(i: int) -> float:
        return frame.left + band * (i + 0.5)

    legend = [(s.name, s.css, "line") for s in (*left, *right)]
    if target is not None:
        legend.append((target_label, "target", "line"))
    parts = _open(frame, label, "lines")
    parts += _legend(legend, frame)
    parts += _y_grid(frame, l_ticks, l_top, left_format)
    if right:
        parts += _y_grid(frame, r_ticks, r_top, right_format, side="right")
    if target is not None:
        y = frame.baseline - frame.plot_height * target / l_top
        parts.append(
            f'<line class="l-target" data-value="{target:g}" x1="{num(frame.left)}" y1="{num(y)}" '
            f'x2="{num(frame.width - frame.right)}" y2="{num(y)}"><title>{escape(target_label)}</title></line>'
        )
    for group, top, fmt in ((left, l_top, left_format), (right, r_top, right_format)):
        for s in group:
            parts += _line(s, labels, frame, centre, top, fmt)
    parts.append(
        f'<line class="axis" x1="{num(frame.left)}" y1="{num(frame.baseline)}" '
        f'x2="{num(frame.width - frame.right)}" y2="{num(frame.baseline)}"/>'
    )
    parts += _x_labels(labels, frame, centre)
    parts.append("</svg>")
    return "\n".join(parts)


def _line(
    s: Series,
    labels: Sequence[str],
    frame: Frame,
    centre: Callable[[int], float],
    top: float,
    fmt: Callable[[float], str],
) -> list[str]:
    points: list[tuple[int, float, float]] = []
    for i, value in enumerate(s.values):
        if value is not None:
            points.append((i, centre(i), frame.baseline - frame.plot_height * min(value, top) / top))
    path: list[str] = []
    previous = -2
    for i, x, y in points:
        path.append(f"{'L' if i == previous + 1 else 'M'}{num(x)} {num(y)}")
        previous = i
    parts = [f'<g class="series" data-series="{escape(s.name)}">']
    if path:
        parts.append(f'<path class="l-{s.css}" d="{" ".join(path)}"/>')
    for i, x, y in points:
        value = s.values[i]
        assert value is not None
        parts.append(
            f'<circle class="p-{s.css}" data-value="{value:g}" cx="{num(x)}" cy="{num(y)}" r="3">'
            f"<title>{escape(labels[i])}: {escape(s.name)} {escape(fmt(value))}</title></circle>"
        )
    parts.append("</g>")
    return parts


@dataclass(frozen=True)
class HBar:
    """One row of a horizontal bar chart: a label and one value per series."""

    label: str
    values: Sequence[float | None]
    note: str = ""
    """Text written after the bars."""


def horizontal_bars(
    rows: Sequence[HBar],
    series: Sequence[tuple[str, str]],
    *,
    label: str,
    maximum: float,
    value_format: Callable[[float], str],
    ticks: Sequence[float] = (),
    width: float = WIDTH,
) -> str:
    """One row per item, a bar per series (name, css) in it; widths ∝ value / ``maximum``.

    The first series is drawn thick, the others thin under it (e.g. occupancy and utilisation).
    """
    row_height = 18.0 + 8.0 * len(series)
    frame = Frame(width, 30 + row_height * len(rows) + 26, 130, 120, 30, 26)
    parts = _open(frame, label, "hbars")
    parts += _legend([(name, css, "box") for name, css in series], frame)
    for tick in ticks:
        x = frame.left + frame.plot_width * tick / maximum
        parts.append(
            f'<line class="grid" x1="{num(x)}" y1="{num(frame.top)}" x2="{num(x)}" y2="{num(frame.baseline)}"/>'
        )
        parts.append(
            f'<text class="tick" x="{num(x)}" y="{num(frame.baseline + 16)}" text-anchor="middle">'
            f"{escape(value_format(tick))}</text>"
        )
    for r, row in enumerate(rows):
        y = frame.top + r * row_height + 4
        parts.append(
            f'<text x="{num(frame.left - 8)}" y="{num(y + 12)}" text-anchor="end">'
            f"<title>{escape(row.label)}</title>{escape(_short(row.label))}</text>"
        )
        for k, (name, css) in enumerate(series):
            value = row.values[k]
            thick = k == 0
            h = 14.0 if thick else 6.0
            by = y if thick else y + 16 + 8 * (k - 1)
            w = 0.0 if value is None else frame.plot_width * min(value, maximum) / maximum
            parts.append(
                f'<rect class="track" x="{num(frame.left)}" y="{num(by)}" width="{num(frame.plot_width)}" height="{num(h)}" rx="2"/>'
            )
            if value is not None:
                parts.append(
                    f'<rect class="bar s-{css}" data-series="{escape(name)}" data-value="{value:g}" '
                    f'x="{num(frame.left)}" y="{num(by)}" width="{num(w)}" height="{num(h)}" rx="2">'
                    f"<title>{escape(row.label)}: {escape(name)} {escape(value_format(value))}</title></rect>"
                )
        if row.note:
            parts.append(
                f'<text class="note" x="{num(frame.width - frame.right + 8)}" y="{num(y + 12)}">{escape(row.note)}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def funnel(
    steps: Sequence[str],
    entered: Sequence[int],
    dropped: Sequence[int],
    *,
    label: str,
    max_rows: int = 25,
    width: float = WIDTH,
) -> str:
    """Each step a bar ∝ calls that entered it, with the callers who hung up there at its end."""
    steps, entered, dropped = steps[:max_rows], entered[:max_rows], dropped[:max_rows]
    row_height = 26.0
    frame = Frame(width, 30 + row_height * len(steps) + 8, 150, 220, 30, 8)
    top = max([*entered, *dropped, 1])
    parts = _open(frame, label, "funnel")
    parts += _legend([("entered the step", "entered", "box"), ("hung up there", "dropout", "box")], frame)
    for r, (step, n_in, n_out) in enumerate(zip(steps, entered, dropped)):
        y = frame.top + r * row_height + 4
        w_in = frame.plot_width * n_in / top
        w_out = frame.plot_width * n_out / top
        parts.append(
            f'<text x="{num(frame.left - 8)}" y="{num(y + 13)}" text-anchor="end">'
            f"<title>{escape(step)}</title>{escape(_short(step))}</text>"
        )
        parts.append(
            f'<rect class="bar s-entered" data-series="entered" data-value="{n_in}" x="{num(frame.left)}" '
            f'y="{num(y)}" width="{num(w_in)}" height="18" rx="2"><title>{escape(step)}: {n_in} entered</title></rect>'
        )
        if n_out:
            x_out = frame.left + max(0.0, w_in - w_out)
            parts.append(
                f'<rect class="bar s-dropout" data-series="hung up" data-value="{n_out}" x="{num(x_out)}" '
                f'y="{num(y)}" width="{num(w_out)}" height="18" rx="2"><title>{escape(step)}: {n_out} hung up here</title></rect>'
            )
        rate = f" ({100 * n_out / n_in:.0f}%)" if n_in and n_out else ""
        parts.append(
            f'<text class="note" x="{num(frame.width - frame.right + 8)}" y="{num(y + 13)}">'
            f"{n_in} in · {n_out} hung up{rate}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
