"""The step graph of a dialplan: which step can lead to which, and why.

Shared by the linter (reachability, loops without exit) and the graph export, so that both
always agree with what the interpreter does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.model import (
    CALLBACK_OUTCOMES,
    BranchStep,
    CallbackStep,
    CallStep,
    CollectStep,
    Dialplan,
    GotoStep,
    HangupStep,
    HoursStep,
    LookupStep,
    MenuStep,
    QueueStep,
    RecordStep,
    ReturnStep,
    SplitStep,
    Step,
    SurveyStep,
    TransferStep,
)

END = None  # the target of an edge that falls off the end of the dialplan


@dataclass(frozen=True, slots=True)
class Edge:
    """A possible move from one step to `target` (None: the end of the dialplan)."""

    target: str | None
    label: str = ""


def edges(step: Step) -> list[Edge]:
    """Every move the interpreter can make out of `step`, labelled for diagrams."""
    if isinstance(step, HangupStep | ReturnStep):
        return []
    if isinstance(step, GotoStep):
        return [Edge(step.target)]
    if isinstance(step, MenuStep):
        found = [Edge(target, key) for key, target in step.options.items()]
        return [*found, Edge(step.on_failure or step.next, "failure")]
    if isinstance(step, BranchStep):
        cases = [Edge(case.target, f"if {case.condition.text}") for case in step.cases]
        return [*cases, Edge(step.otherwise or step.next, "else")]
    if isinstance(step, HoursStep):
        return [Edge(step.open, "open"), Edge(step.closed, "closed")]
    if isinstance(step, SplitStep):
        return [Edge(target, f"{percent}%") for target, percent in step.shares]
    if isinstance(step, QueueStep):
        exits = [Edge(target, outcome) for outcome, target in step.on.items()]
        return [*exits, Edge(step.next, "not answered")]
    if isinstance(step, CallbackStep):
        return _callback_edges(step)
    if isinstance(step, CollectStep | LookupStep | TransferStep | RecordStep | SurveyStep):
        if step.on_failure is not None and step.on_failure != step.next:
            return [Edge(step.next), Edge(step.on_failure, "failure")]
        return [Edge(step.next)]
    if isinstance(step, CallStep):
        return [Edge(step.next, f"after {step.dialplan}")]
    return [Edge(step.next)]


def _callback_edges(step: CallbackStep) -> list[Edge]:
    """One edge per outcome under `on:`; the others go to `next`, which is not an edge at all
    when every outcome is routed (so the step after it is not reached through it)."""
    routed = [Edge(target, outcome) for outcome, target in step.on.items()]
    defaulted = [outcome for outcome in CALLBACK_OUTCOMES if outcome not in step.on]
    return [*routed, Edge(step.next, ", ".join(defaulted))] if defaulted else routed


def can_end_call(step: Step) -> bool:
    """Whether the call can leave the IVR at this step (hang up, agent, transfer, return)."""
    return isinstance(step, HangupStep | ReturnStep | QueueStep | TransferStep)


def successors(dialplan: Dialplan, step_id: str) -> list[str | None]:
    """The distinct targets reachable in one move from `step_id`, in edge order."""
    seen: list[str | None] = []
    for edge in edges(dialplan.steps[step_id]):
        if edge.target not in seen:
            seen.append(edge.target)
    return seen


def reachable(dialplan: Dialplan, roots: list[str]) -> set[str]:
    """Step ids reachable from `roots`."""
    found: set[str] = set()
    pending = [root for root in roots if root in dialplan.steps]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        for target in successors(dialplan, current):
            if target is not None and target in dialplan.steps and target not in found:
                pending.append(target)
    return found


def can_reach_exit(dialplan: Dialplan) -> set[str]:
    """Step ids from which some path leads out of the IVR (or to the end of the dialplan)."""
    exits = {
        step_id
        for step_id, step in dialplan.steps.items()
        if can_end_call(step) or END in successors(dialplan, step_id)
    }
    predecessors: dict[str, set[str]] = {step_id: set() for step_id in dialplan.steps}
    for step_id in dialplan.steps:
        for target in successors(dialplan, step_id):
            if target is not None and target in predecessors:
                predecessors[target].add(step_id)
    found = set(exits)
    pending = list(exits)
    while pending:
        current = pending.pop()
        for previous in predecessors[current]:
            if previous not in found:
                found.add(previous)
                pending.append(previous)
    return found
