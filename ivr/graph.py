"""`ivr-acd graph FILE`: a dialplan's step graph as Graphviz DOT or Mermaid text.

Menus label their edges with keys, branches with conditions, splits with percentages; steps
that can end the call are drawn rounded, and falling off the end is drawn as an explicit node.
"""

from __future__ import annotations

from typing import Literal

from ivr.model import CallbackStep, CallStep, Dialplan, MenuStep, QueueStep, Step, TransferStep
from ivr.stepgraph import Edge, can_end_call, edges

GraphFormat = Literal["dot", "mermaid"]
_END = "(end)"


def kind_of(step: Step) -> str:
    """The kind key a step was written with (`PlayStep` → `play`)."""
    return type(step).__name__.removesuffix("Step").lower()


def _detail(step: Step) -> str:
    if isinstance(step, QueueStep):
        return f"queue {step.queue}"
    if isinstance(step, CallbackStep):
        return f"callback {step.queue}"
    if isinstance(step, CallStep):
        return f"call {step.dialplan}"
    if isinstance(step, TransferStep):
        return f"transfer {step.target.text}"
    return kind_of(step)


def graph(dialplan: Dialplan, fmt: GraphFormat = "dot") -> str:
    """The graph of `dialplan` in the requested format."""
    if fmt == "dot":
        return _dot(dialplan)
    if fmt == "mermaid":
        return _mermaid(dialplan)
    raise ValueError(f"unknown graph format {fmt!r}: use dot or mermaid")


def _all_edges(dialplan: Dialplan) -> list[tuple[str, Edge]]:
    found: list[tuple[str, Edge]] = []
    for step_id, step in dialplan.steps.items():
        seen: set[tuple[str | None, str]] = set()
        for edge in edges(step):
            if (edge.target, edge.label) not in seen:
                seen.add((edge.target, edge.label))
                found.append((step_id, edge))
    return found


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot(dialplan: Dialplan) -> str:
    lines = [
        f"digraph {_dot_quote(dialplan.name)} {{",
        "  rankdir=TB;",
        '  node [shape=box, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  "__start" [shape=circle, label="", width=0.2, style=filled, fillcolor=black];',
        f'  "__start" -> {_dot_quote(dialplan.start)};',
    ]
    for step_id, step in dialplan.steps.items():
        shape = "diamond" if isinstance(step, MenuStep) else "box"
        style = ', style="rounded,filled", fillcolor="#e8f4e8"' if can_end_call(step) else ""
        label = f"{step_id}\n{_detail(step)}"
        lines.append(f"  {_dot_quote(step_id)} [label={_dot_quote(label)}, shape={shape}{style}];")
    all_edges = _all_edges(dialplan)
    if any(edge.target is None for _, edge in all_edges):
        lines.append(f'  {_dot_quote(_END)} [shape=plaintext, fontcolor="#b00000"];')
    for source, edge in all_edges:
        target = edge.target if edge.target is not None else _END
        label = f" [label={_dot_quote(edge.label)}]" if edge.label else ""
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _mermaid(dialplan: Dialplan) -> str:
    ids = {step_id: f"s{index}" for index, step_id in enumerate(dialplan.steps)}
    lines = ["flowchart TD", f"  start(( )) --> {ids[dialplan.start]}"]
    for step_id, step in dialplan.steps.items():
        label = _mermaid_text(f"{step_id}<br/>{_detail(step)}")
        if isinstance(step, MenuStep):
            lines.append(f'  {ids[step_id]}{{"{label}"}}')
        elif can_end_call(step):
            lines.append(f'  {ids[step_id]}(["{label}"])')
        else:
            lines.append(f'  {ids[step_id]}["{label}"]')
    all_edges = _all_edges(dialplan)
    if any(edge.target is None for _, edge in all_edges):
        lines.append('  end_(["(end)"])')
    for source, edge in all_edges:
        target = ids[edge.target] if edge.target is not None else "end_"
        arrow = f'-->|"{_mermaid_text(edge.label)}"|' if edge.label else "-->"
        lines.append(f"  {ids[source]} {arrow} {target}")
    return "\n".join(lines) + "\n"
