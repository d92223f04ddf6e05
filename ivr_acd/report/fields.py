"""The metric columns of every table, and how their values are written.

One list of columns feeds the text tables, the CSV header and the HTML tables, so a
metric has the same name and unit everywhere; a metric shared by several cuts (AHT of a
queue and of an agent, occupancy of an agent and of an interval) has one column name. Machine formats (CSV) get raw numbers:
seconds with one decimal, ratios as fractions 0–1. Human formats get ``m:ss`` and ``%``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from acd.metrics import (
    AgentMetrics,
    Band,
    IntervalMetrics,
    MetricsConfig,
    MetricsReport,
    QueueMetrics,
    StepMetrics,
)
from acd.records import AgentStateName

T = TypeVar("T")
Value = int | float | str | None
MISSING = "–"


class Kind(Enum):
    """The unit of a column's values."""

    COUNT = "count"
    SECONDS = "seconds"
    RATIO = "ratio"
    SCORE = "score"
    SIGNED = "signed"
    """NPS: −100 … +100."""
    TEXT = "text"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class Column(Generic[T]):
    """One metric: its CSV/JSON name, its human label, its unit and how to get it."""

    name: str
    label: str
    kind: Kind
    get: Callable[[T], Value]


def human(value: Value, kind: Kind) -> str:
    """A value for people: ``1:05``, ``85.0%``, ``8.50``, ``+40``; ``–`` when undefined."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    match kind:
        case Kind.SECONDS:
            return duration(float(value))
        case Kind.RATIO:
            return f"{100.0 * value:.1f}%"
        case Kind.SCORE:
            return f"{value:.2f}"
        case Kind.SIGNED:
            return f"{value:+.0f}"
        case Kind.DECIMAL:
            return f"{value:.1f}"
        case _:
            return str(value)


def machine(value: Value, kind: Kind) -> str:
    """A value for CSV: seconds to 0.1 s, ratios as fractions to 4 places, empty when undefined."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    match kind:
        case Kind.SECONDS | Kind.DECIMAL:
            return f"{value:.1f}"
        case Kind.RATIO:
            return f"{value:.4f}"
        case Kind.SCORE | Kind.SIGNED:
            return f"{value:.2f}"
        case _:
            return str(value)


def duration(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour up (rounded to the second)."""
    total = round(seconds)
    sign = "-" if total < 0 else ""
    hours, rest = divmod(abs(total), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"


def sl_name(threshold: float, *, with_abandons: bool = False) -> str:
    """The column name of a service level, e.g. ``sl_20`` / ``sl_20_with_abandons``."""
    base = f"sl_{threshold:g}".replace(".", "_")
    return f"{base}_with_abandons" if with_abandons else base


def queue_columns(config: MetricsConfig) -> list[Column[QueueMetrics]]:
    """Every column of a :class:`QueueMetrics`, service levels for each configured threshold."""
    columns: list[Column[QueueMetrics]] = [
        Column("calls", "Calls", Kind.COUNT, lambda m: m.calls),
        Column("offered", "Offered", Kind.COUNT, lambda m: m.offered),
        Column("answered", "Answered", Kind.COUNT, lambda m: m.answered),
        Column("abandoned", "Abandoned", Kind.COUNT, lambda m: m.abandoned),
        Column("short_abandons", "Short abn", Kind.COUNT, lambda m: m.short_abandons),
        Column("callbacks_requested", "Left for CB", Kind.COUNT, lambda m: m.callbacks_requested),
        Column("exited_by_key", "Exit key", Kind.COUNT, lambda m: m.exited_by_key),
        Column("overflowed", "Overflow", Kind.COUNT, lambda m: m.overflowed),
        Column("no_agents", "No agents", Kind.COUNT, lambda m: m.no_agents),
        Column("queue_full", "Queue full", Kind.COUNT, lambda m: m.queue_full),
        Column("answer_rate", "Answer %", Kind.RATIO, lambda m: m.answer_rate),
        Column("abandon_rate", "Abandon %", Kind.RATIO, lambda m: m.abandon_rate),
    ]
    for t in config.service_level_thresholds:
        columns.append(Column(sl_name(t), f"SL {t:g}s", Kind.RATIO, _sl_getter(t, with_abandons=False)))
        columns.append(
            Column(
                sl_name(t, with_abandons=True),
                f"SL {t:g}s +abn",
                Kind.RATIO,
                _sl_getter(t, with_abandons=True),
            )
        )
    columns += [
        Column("asa", "ASA", Kind.SECONDS, lambda m: m.asa),
        Column("longest_answer_wait", "Max wait ans", Kind.SECONDS, lambda m: m.longest_answer_wait),
        Column("avg_abandon_time", "Avg abn time", Kind.SECONDS, lambda m: m.avg_abandon_time),
        Column("longest_abandon_time", "Max abn time", Kind.SECONDS, lambda m: m.longest_abandon_time),
        Column("aht", "AHT", Kind.SECONDS, lambda m: m.aht),
        Column("avg_talk", "Avg talk", Kind.SECONDS, lambda m: m.avg_talk),
        Column("avg_wrapup", "Avg wrap", Kind.SECONDS, lambda m: m.avg_wrapup),
        Column("survey_responses", "Surveys", Kind.COUNT, lambda m: m.survey.responses),
        Column("survey_average", "Avg score", Kind.SCORE, lambda m: m.survey.average),
        Column("nps", "NPS", Kind.SIGNED, lambda m: m.survey.nps),
        Column("estimate_samples", "Est. samples", Kind.COUNT, lambda m: m.wait_estimate.samples),
        Column("estimate_mae", "Est. MAE", Kind.SECONDS, lambda m: m.wait_estimate.mean_absolute_error),
        Column("estimate_bias", "Est. bias", Kind.SECONDS, lambda m: m.wait_estimate.mean_signed_error),
        Column("callbacks", "CB requests", Kind.COUNT, lambda m: m.callbacks.requested),
        Column("callbacks_connected", "CB connected", Kind.COUNT, lambda m: m.callbacks.connected),
        Column("callbacks_failed", "CB failed", Kind.COUNT, lambda m: m.callbacks.failed),
        Column("callbacks_expired", "CB expired", Kind.COUNT, lambda m: m.callbacks.expired),
        Column("callbacks_cancelled", "CB cancelled", Kind.COUNT, lambda m: m.callbacks.cancelled),
        Column("callbacks_in_progress", "CB open", Kind.COUNT, lambda m: m.callbacks.in_progress),
        Column("callback_connect_rate", "CB connect %", Kind.RATIO, lambda m: m.callbacks.connect_rate),
        Column(
            "callback_time_to_connect",
            "CB time to connect",
            Kind.SECONDS,
            lambda m: m.callbacks.avg_time_to_connect,
        ),
    ]
    return columns


def _sl_getter(threshold: float, *, with_abandons: bool) -> Callable[[QueueMetrics], Value]:
    def get(m: QueueMetrics) -> Value:
        sl = m.service_level(threshold)
        if sl is None:
            return None
        return sl.level_with_abandons if with_abandons else sl.level

    return get


def _state_time(state: AgentStateName) -> Callable[[AgentMetrics], Value]:
    def get(a: AgentMetrics) -> Value:
        return a.time_by_state.get(state.value)

    return get


INTERVAL_EXTRA: list[Column[IntervalMetrics]] = [
    Column("occupancy", "Occupancy", Kind.RATIO, lambda i: i.occupancy),
    Column("agents_staffed", "Agents", Kind.DECIMAL, lambda i: i.agents_staffed),
]

AGENT_COLUMNS: list[Column[AgentMetrics]] = [
    Column("calls_handled", "Handled", Kind.COUNT, lambda a: a.calls_handled),
    Column("rna", "RNA", Kind.COUNT, lambda a: a.rna),
    Column("aht", "AHT", Kind.SECONDS, lambda a: a.aht),
    Column("avg_talk", "Avg talk", Kind.SECONDS, lambda a: a.avg_talk),
    Column("avg_wrapup", "Avg wrap", Kind.SECONDS, lambda a: a.avg_wrapup),
    Column("logged_in", "Logged in", Kind.SECONDS, lambda a: a.logged_in),
    Column("occupancy", "Occupancy", Kind.RATIO, lambda a: a.occupancy),
    Column("utilisation", "Utilisation", Kind.RATIO, lambda a: a.utilisation),
    Column("survey_average", "Avg score", Kind.SCORE, lambda a: a.survey.average),
    *(
        Column(
            f"time_{state.value}",
            state.value.replace("_", " ").capitalize(),
            Kind.SECONDS,
            _state_time(state),
        )
        for state in AgentStateName
    ),
]

OVERALL_EXTRA: list[Column[MetricsReport]] = [
    Column("occupancy", "Occupancy", Kind.RATIO, lambda r: r.occupancy),
    Column("ivr_contained", "IVR contained", Kind.COUNT, lambda r: r.ivr.contained),
    Column("ivr_containment", "IVR containment", Kind.RATIO, lambda r: r.ivr.containment),
    Column("ivr_dropouts", "IVR hang-ups", Kind.COUNT, lambda r: r.ivr.dropped_out),
]

STEP_COLUMNS: list[Column[StepMetrics]] = [
    Column("ivr_entered", "Entered", Kind.COUNT, lambda s: s.entered),
    Column("ivr_dropped_out", "Hung up here", Kind.COUNT, lambda s: s.dropped_out),
    Column("ivr_dropout_rate", "Drop-out %", Kind.RATIO, lambda s: s.dropout_rate),
]


def pick(columns: Sequence[Column[T]], names: Sequence[str]) -> list[Column[T]]:
    """The columns called ``names``, in that order (unknown names are skipped)."""
    by_name = {c.name: c for c in columns}
    return [by_name[n] for n in names if n in by_name]


def band_label(band: Band, *, compact: bool = False) -> str:
    """``0–5 s``, ``300+ s``; compact (chart axes): ``0–5s``, ``1–1.5m``, ``5m+``."""
    if not compact:
        if band.upper is None:
            return f"{band.lower:g}+ s"
        return f"{band.lower:g}–{band.upper:g} s"
    minutes = band.lower >= 60
    unit = "m" if minutes else "s"

    def value(seconds: float) -> str:
        return f"{seconds / 60 if minutes else seconds:g}"

    if band.upper is None:
        return f"{value(band.lower)}{unit}+"
    return f"{value(band.lower)}–{value(band.upper)}{unit}"
