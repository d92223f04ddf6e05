"""Checks on a whole dialplan once its steps are compiled: targets exist, every step can be
reached, no loop traps the caller, and the caller never falls off the end."""

from __future__ import annotations

from configlang.docpath import DocPath
from configlang.expect import did_you_mean
from ivr.compiler.context import FileContext
from ivr.model import Dialplan, MenuStep
from ivr.stepgraph import END, can_reach_exit, reachable, successors


def check_targets(ctx: FileContext, step_ids: list[str]) -> bool:
    """Report every reference to a step that does not exist; True when all exist."""
    ok = True
    known = set(step_ids)
    for ref in ctx.step_refs:
        if ref.name not in known:
            ok = False
            ctx.error(ref.mark, f'unknown step "{ref.name}"{did_you_mean(ref.name, step_ids)}', ref.path)
    return ok


def check_graph(ctx: FileContext, dialplan: Dialplan) -> None:
    """Warnings about the shape of the step graph (only meaningful when every step compiled)."""
    roots = [dialplan.start] + ([dialplan.on_error] if dialplan.on_error else [])
    seen = reachable(dialplan, roots)
    for step_id, step in dialplan.steps.items():
        if step_id not in seen:
            ctx.warning(step.mark, f'step "{step_id}" is never reached', _step_path(step_id))
    for step_id, step in dialplan.steps.items():
        if step_id in seen and END in successors(dialplan, step_id):
            ctx.warning(
                step.mark,
                f'step "{step_id}" is the last one and the call falls off the end after it; '
                "add next:, goto: or hangup: so that callers never hit a dead end",
                _step_path(step_id),
            )
    for step_id, step in dialplan.steps.items():
        if isinstance(step, MenuStep) and step.options and set(step.options.values()) == {step_id}:
            ctx.warning(
                step.mark,
                f'every option of menu "{step_id}" leads back to the menu itself',
                _step_path(step_id),
            )
    _check_traps(ctx, dialplan, seen)


def _check_traps(ctx: FileContext, dialplan: Dialplan, seen: set[str]) -> None:
    trapped = seen - can_reach_exit(dialplan)
    for group in _cycles(dialplan, trapped):
        first = min(group, key=list(dialplan.steps).index)
        names = ", ".join(sorted(group, key=list(dialplan.steps).index))
        ctx.warning(
            dialplan.steps[first].mark,
            f"loop without exit: steps {names} lead only to each other; "
            "no hangup, queue, transfer or return can be reached from them",
            _step_path(first),
        )


def _cycles(dialplan: Dialplan, nodes: set[str]) -> list[set[str]]:
    """Strongly connected groups among `nodes` that really loop (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def inside(step_id: str) -> list[str]:
        return [t for t in successors(dialplan, step_id) if t is not None and t in nodes]

    def visit(root: str) -> None:
        # Iterative, so that a dialplan with thousands of steps cannot exhaust the Python stack.
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = inside(node)
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1 or node in inside(node):
                    groups.append(group)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])

    for step_id in dialplan.steps:
        if step_id in nodes and step_id not in index:
            visit(step_id)
    return groups


def _step_path(step_id: str) -> DocPath:
    return DocPath(("steps", step_id))
