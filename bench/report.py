"""The results: figures with their baselines and ratios, written as markdown and JSON.

A :class:`Figure` is one measured number at one point (``N=1000``), the same number measured
for a baseline in the same run, their ratio (ours ÷ baseline, always in that direction), and,
where the issue sets one, a target and whether it was met. Benchmarks never fail: a missed
target is a row that says ``no``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import ratio


@dataclass
class Figure:
    """One row of a results table."""

    metric: str
    point: str
    value: float | None
    unit: str
    baseline: str
    baseline_value: float | None
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """``value / baseline_value`` (None when either is missing)."""
        if self.value is None or self.baseline_value is None:
            return None
        found = ratio(self.value, self.baseline_value)
        return None if math.isnan(found) else found

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly dict, the ratio included."""
        return {**asdict(self), "ratio": self.ratio}


@dataclass
class Section:
    """One benchmark's results."""

    key: str
    title: str
    summary: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None

    def add(self, figure: Figure) -> Figure:
        """Append a row; returns it."""
        self.figures.append(figure)
        return figure


# ---------------------------------------------------------------- formatting


def format_value(value: float | None, unit: str) -> str:
    """A number with a human unit (durations in µs/ms/s, sizes in KiB/MiB)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if unit == "s":
        if abs(value) < 1e-3:
            return f"{value * 1e6:.1f} µs"
        if abs(value) < 1:
            return f"{value * 1e3:.2f} ms"
        return f"{value:.2f} s"
    if unit == "B":
        if abs(value) < 1024 * 1024:
            return f"{value / 1024:.1f} KiB"
        return f"{value / (1024 * 1024):.1f} MiB"
    if unit == "%":
        return f"{value * 100:.1f} %"
    if unit in ("", "count"):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"
    if unit == "exp":
        return f"{value:.3f}"
    return f"{value:,.1f} {unit}" if abs(value) < 100 else f"{value:,.0f} {unit}"


def format_ratio(value: float | None) -> str:
    """``12.3×``, ``0.0042×`` (three significant digits below 1), or a dash."""
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}×"
    if value >= 1:
        return f"{value:.2f}×"
    return f"{value:.2g}×" if value < 0.01 else f"{value:.3g}×"


def _met(value: bool | None) -> str:
    return "–" if value is None else ("**yes**" if value else "**no**")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section_markdown(section: Section) -> str:
    """One benchmark as markdown: summary, table, notes."""
    out = [f"## {section.title}", "", section.summary, ""]
    if section.error:
        out += [f"**The benchmark did not complete:** `{section.error}`", ""]
    if section.figures:
        out.append("| figure | point | ivr-acd | baseline | baseline value | ratio | target | met |")
        out.append("|---|---|---:|---|---:|---:|---|:---:|")
        for f in section.figures:
            cells = (
                f.metric,
                f.point,
                format_value(f.value, f.unit),
                f.baseline,
                format_value(f.baseline_value, f.unit),
                format_ratio(f.ratio),
                f.target or "",
                _met(f.met),
            )
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    for note in section.notes:
        out.append(f"- {note}")
    if section.notes:
        out.append("")
    out.append(f"_Run time: {section.seconds:.0f} s._")
    out.append("")
    return "\n".join(out)


def _load(values: list[float] | tuple[float, ...]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def targets_summary(sections: list[Section]) -> list[str]:
    """One line per row that carries a target."""
    lines = []
    for section in sections:
        for f in section.figures:
            if f.target:
                mark = "met" if f.met else ("not met" if f.met is False else "not measured")
                lines.append(f"- {section.key.upper()} {f.metric} ({f.point}), target {f.target}: **{mark}**")
    return lines


def write(results_dir: Path, header: dict[str, Any], sections: list[Section]) -> tuple[Path, Path]:
    """Write ``results.md`` and ``results.json``; returns their paths."""
    results_dir.mkdir(parents=True, exist_ok=True)
    machine = header["machine"]
    fd = header["fd_limit"]
    fd = header["fd_limit"]
    started = f"- started: {header['started']}, total wall time **{header['wall_seconds']:.0f} s**"
    run = f" (mode: {header['mode']}; benchmarks: {', '.join(header['benchmarks'])})"
    cpu = f"{machine['cpu_model'] or 'unknown CPU'}, {machine['platform']}, Python {machine['python']}"
    share = (
        f"- CPU share: a busy process gets {machine['cpu_share_1']:.0%} of a wall-clock second in CPU"
        f" time alone, {machine['cpu_share_all']:.0%} each with one busy process per core"
    )
    lines = [
        "# ivr-acd benchmark results",
        "",
        started + run,
        f"- machine: **{machine['cores']} cores** usable ({machine['cpu_count']} online), {cpu}",
        share,
        (
            f"- Python speed: `sum(range(1000))` takes {machine['python_sum_range_1000_s'] * 1e6:.1f} µs;"
            f" load average {_load(machine['load_average_at_start'])} at the start,"
            f" {_load(machine['load_average_at_end'])} at the end (above what the benchmarks run"
            " themselves, other processes shared the machine)"
        ),
        f"- RLIMIT_NOFILE soft/hard: {fd['soft']}/{fd['hard']} (raised from {fd['raised_from']})",
        f"- commit: {header.get('commit', 'unknown')}",
        "",
        (
            "Ratios are always ivr-acd ÷ baseline: above 1 is better for rates, below 1 is better for"
            " times, CPU and memory. See docs/benchmarks.md for how each figure is measured."
        ),
        "",
        "### Targets",
        "",
        *targets_summary(sections),
        "",
    ]
    lines += [section_markdown(section) for section in sections]
    markdown = results_dir / "results.md"
    markdown.write_text("\n".join(lines))
    payload = {
        **header,
        "benchmarks": {
            s.key: {
                "title": s.title,
                "summary": s.summary,
                "seconds": s.seconds,
                "error": s.error,
                "figures": [f.as_json() for f in s.figures],
                "notes": s.notes,
                "details": s.details,
            }
            for s in sections
        },
    }
    data = results_dir / "results.json"
    data.write_text(json.dumps(clean_json(payload), indent=2) + "\n")
    return markdown, data


def clean_json(value: Any) -> Any:
    """``value`` with NaN and infinities as null and paths as text (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
