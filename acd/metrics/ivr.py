"""IVR metrics: containment, where callers hang up, and the funnel of steps.

* containment = calls with outcome ``ivr_only`` / all calls.
* a **drop-out** is an ``ivr_only`` call the caller ended: ``hangup_by == "caller"``, or
  its path ends with a ``hangup`` event. It is counted at its last step: ``ivr_end_step``,
  else the step of its last path event.
* **funnel**: for each step, the number of distinct calls with a ``step`` (entered) event
  for it; a call that re-enters a menu counts once. Steps are listed by calls entered,
  most first, which is the order callers flow through a tree; ties go to the step that
  callers reach earlier in their path (mean rank of first entry), then by name.
* drop-out rate of a step = drop-outs at the step / calls that entered it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from acd.metrics.stats import ratio
from acd.records import CallOutcome, CallRecord

UNKNOWN_STEP = "(unknown)"
"""The step of a drop-out whose record names none."""


@dataclass(frozen=True)
class StepMetrics:
    """One IVR step: how many calls entered it and how many hung up there."""

    step: str
    entered: int
    dropped_out: int
    dropout_rate: float | None


@dataclass(frozen=True)
class IvrMetrics:
    """The IVR over a set of calls."""

    calls: int
    contained: int
    containment: float | None
    dropped_out: int
    steps: tuple[StepMetrics, ...]
    dropouts_by_step: dict[str, int] = field(default_factory=dict)


def last_step(call: CallRecord) -> str:
    """The step the call was in when it left the IVR."""
    if call.ivr_end_step:
        return call.ivr_end_step
    if call.ivr_path:
        return call.ivr_path[-1].step or UNKNOWN_STEP
    return UNKNOWN_STEP


def is_dropout(call: CallRecord) -> bool:
    """An IVR-only call that the caller hung up."""
    if call.outcome is not CallOutcome.IVR_ONLY:
        return False
    return call.hangup_by == "caller" or (bool(call.ivr_path) and call.ivr_path[-1].kind == "hangup")


def ivr_metrics(calls: Iterable[CallRecord]) -> IvrMetrics:
    """Containment, drop-outs per last step and the step funnel."""
    items = list(calls)
    dropouts = Counter(last_step(c) for c in items if is_dropout(c))
    entered: Counter[str] = Counter()
    depth: defaultdict[str, list[int]] = defaultdict(list)
    for call in items:
        first_seen: dict[str, int] = {}
        for event in call.ivr_path:
            if event.kind == "step":
                first_seen.setdefault(event.step, len(first_seen))
        entered.update(first_seen.keys())
        for step, position in first_seen.items():
            depth[step].append(position)

    def order(step: str) -> tuple[int, float, str]:
        # Most entered first; on a tie, the step callers reach earlier (welcome before menu).
        positions = depth.get(step)
        return (-entered[step], sum(positions) / len(positions) if positions else float("inf"), step)

    names = sorted(set(entered) | set(dropouts), key=order)
    contained = sum(1 for c in items if c.outcome is CallOutcome.IVR_ONLY)
    return IvrMetrics(
        calls=len(items),
        contained=contained,
        containment=ratio(contained, len(items)),
        dropped_out=sum(dropouts.values()),
        steps=tuple(StepMetrics(s, entered[s], dropouts[s], ratio(dropouts[s], entered[s])) for s in names),
        dropouts_by_step=dict(sorted(dropouts.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
