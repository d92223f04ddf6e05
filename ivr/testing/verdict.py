"""Comparing what a scripted call did with what its case expects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from configlang.values import Value, to_text, values_equal
from ivr.testing.caller import CaseRun
from ivr.testing.cases import Expectation


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expectation that did not hold, ready to print."""

    what: str
    lines: tuple[str, ...]


def _arrow(steps: Sequence[str]) -> str:
    return " → ".join(steps) if steps else "(no step)"


def _path_mismatch(label: str, expected: Sequence[str], actual: Sequence[str]) -> Mismatch:
    differs = next(
        (i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
        min(len(expected), len(actual)),
    )
    prefix = _arrow(actual[:differs]) + " → " if differs else ""
    return Mismatch(
        label,
        (
            f"expected  {_arrow(expected)}",
            f"actual    {_arrow(actual)}",
            " " * (10 + len(prefix)) + f"^ first difference at step {differs + 1}",
        ),
    )


def _is_subsequence(wanted: Sequence[str], actual: Sequence[str]) -> bool:
    remaining = iter(actual)
    return all(any(step == seen for seen in remaining) for step in wanted)


def _show(value: Value) -> str:
    return repr(value) if isinstance(value, str) else to_text(value) or "null"


def _subset(label: str, expected: Mapping[str, Value], actual: Mapping[str, Value]) -> list[Mismatch]:
    found: list[Mismatch] = []
    for key, wanted in expected.items():
        got = actual.get(key)
        if not values_equal(wanted, got):
            found.append(Mismatch(f"{label} {key}", (f"expected {_show(wanted)}, got {_show(got)}",)))
    return found


def compare(expect: Expectation, run: CaseRun) -> list[Mismatch]:
    """Every way `run` differs from `expect` (empty: the case passes)."""
    problems: list[Mismatch] = []
    if run.error is not None:
        problems.append(Mismatch("error", (run.error,)))
    if expect.path is not None and list(expect.path) != run.path:
        problems.append(_path_mismatch("path", expect.path, run.path))
    if expect.path_starts is not None and run.path[: len(expect.path_starts)] != list(expect.path_starts):
        problems.append(
            _path_mismatch("path_starts", expect.path_starts, run.path[: len(expect.path_starts)])
        )
    if expect.path_contains is not None and not _is_subsequence(expect.path_contains, run.path):
        problems.append(
            Mismatch(
                "path_contains",
                (
                    f"expected, in this order: {_arrow(expect.path_contains)}",
                    f"actual    {_arrow(run.path)}",
                ),
            )
        )
    outcome = run.finished.outcome if run.finished is not None else "(still running)"
    if expect.outcome is not None and expect.outcome != outcome:
        problems.append(Mismatch("outcome", (f"expected {expect.outcome}, got {outcome}",)))
    problems.extend(_subset("variable", expect.variables, run.variables))
    if expect.enqueued:
        if not run.enqueued:
            problems.append(Mismatch("enqueued", ("expected the call to be queued; it never was",)))
        else:
            last = run.enqueued[-1]
            actual: dict[str, Value] = {
                "queue": last.queue,
                "priority": last.priority,
                "skills": dict(last.skills),
                "data": dict(last.data),
            }
            problems.extend(_subset("enqueued", expect.enqueued, actual))
    if expect.callback is not None:
        asked = run.callbacks[-1].queue if run.callbacks else None
        if asked != expect.callback:
            problems.append(
                Mismatch("callback", (f"expected a callback from {expect.callback!r}, got {asked!r}",))
            )
    if expect.dialled is not None:
        dialled = run.dialled[-1].target if run.dialled else None
        if dialled != expect.dialled:
            problems.append(Mismatch("dialled", (f"expected {expect.dialled!r}, got {dialled!r}",)))
    if expect.recorded:
        if not run.recorded:
            problems.append(Mismatch("recorded", ("expected a recording; none was made",)))
        else:
            last_record = run.recorded[-1]
            recorded: dict[str, Value] = {
                "folder": last_record.folder,
                "name": last_record.name,
                "tag": last_record.tag,
                "format": last_record.fmt,
                "max_seconds": last_record.max_seconds,
            }
            problems.extend(_subset("recorded", expect.recorded, recorded))
    return problems
