"""Conformance: replay each recorded Asterisk 22 transcript against the simulator.

For every transcript in tests/traces/asterisk22 the simulator runs the lab dialplan, a
scripted FastAGI server answers with the recorded ``AGI>`` lines and a scripted AMI client
sends the recorded ``AMI>`` actions at the recorded times (see replay.py for how values
are normalised and how order is compared). Both must match:

1. per FastAGI session, the environment block and every line the simulator wrote;
2. the AMI stream: names, field names, field order and normalised values of every
   modelled event and every response, in the transcript's order.

What the simulator does not reproduce yet is listed in :data:`KNOWN_GAPS` (and in
docs/simulator.md). The main test leaves exactly those messages out of the comparison;
``test_known_gaps_are_real`` compares without leaving them out and is expected to fail
(strict xfail), so a gap that gets fixed, or one that was never real, fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import traces
from tests.asterisk_sim import replay as rp


@dataclass(frozen=True)
class Gap:
    """A part of a transcript the simulator does not reproduce."""

    trace: str
    what: str
    drop: Callable[[rp.Norm], bool]
    """True for a normalised message (either side) that belongs to the gap."""


def _mentions(*names: str) -> Callable[[rp.Norm], bool]:
    def drop(message: rp.Norm) -> bool:
        return any(name in value for _, value in message.fields for name in names)

    return drop


def _action(*ids: str) -> Callable[[rp.Norm], bool]:
    def drop(message: rp.Norm) -> bool:
        values = dict(message.fields)
        return values.get("ActionID") in ids or values.get("RequestType") in {
            f"Action: {i}" for i in _QUEUE_ACTIONS
        }

    return drop


def _queue_device(message: rp.Norm) -> bool:
    values = dict(message.fields)
    return message.name == "Event: DeviceStateChange" and values.get("Device", "").startswith(
        ("Queue:", "Local/s@queue-ref")
    )


def _late(event: str, after: float) -> Callable[[rp.Norm], bool]:
    def drop(message: rp.Norm) -> bool:
        return message.name == f"Event: {event}" and message.time >= after

    return drop


_QUEUE_ACTIONS = ("QueueSummary", "QueueStatus")
_QUEUE_PART = 17.2  # misc.txt "UserEvent and status formats" starts at 17.214

KNOWN_GAPS: tuple[Gap, ...] = (
    Gap(
        "misc.txt",
        "app_queue: the Queue() call of Local/s@queue-ref (its channels, the member leg "
        "Local/1001@agent-phone it dials, their bridge, Queue* and Agent* events) — the "
        "simulator's Queue() is a stand-in that only plays music",
        lambda m: (
            _mentions("Local/s@queue-ref", "Local/1001@agent-phone-<2>")(m)
            or _queue_device(m)
            or _late("BridgeCreate", _QUEUE_PART)(m)
            or _late("BridgeDestroy", _QUEUE_PART)(m)
            or (
                m.name == "Event: DeviceStateChange"
                and m.time >= _QUEUE_PART
                and dict(m.fields).get("Device") == "Local/1001@agent-phone"
            )
        ),
    ),
    Gap(
        "misc.txt",
        "the app_queue actions QueueSummary and QueueStatus (the simulator answers them "
        "like an Asterisk without app_queue: unknown action)",
        _action("QS", "QST"),
    ),
)


def _apply_gaps(messages: list[rp.Norm], gaps: list[Gap]) -> list[rp.Norm]:
    kept = [m for m in messages if not any(g.drop(m) for g in gaps)]
    # A list's ListItems counts what is left of it.
    items: dict[str, int] = {}
    for m in kept:
        if m.name == "Event: CoreShowChannel":
            action_id = dict(m.fields).get("ActionID", "")
            items[action_id] = items.get(action_id, 0) + 1
    out = []
    for m in kept:
        if m.name == "Event: CoreShowChannelsComplete" and gaps:
            action_id = dict(m.fields).get("ActionID", "")
            fields = tuple((k, str(items.get(action_id, 0)) if k == "ListItems" else v) for k, v in m.fields)
            m = rp.Norm(m.time, fields, m.keys, m.index)
        out.append(m)
    return out


@pytest.fixture(scope="module")
def recordings() -> dict[str, tuple[traces.Trace, rp.Recording]]:
    """Each transcript is replayed once per module (replays are the slow part)."""
    return {}


async def _replayed(
    name: str, cache: dict[str, tuple[traces.Trace, rp.Recording]], tmp: Path
) -> rp.Recording:
    if name not in cache:
        trace = traces.load(name)
        cache[name] = (trace, await rp.replay(trace, tmp))
    return cache[name][1]


def _ami_problems(trace: traces.Trace, recording: rp.Recording, *, with_gaps: bool) -> list[str]:
    gaps = [g for g in KNOWN_GAPS if g.trace == trace.name] if with_gaps else []
    expected = _apply_gaps(rp.normalise(rp.trace_ami(trace, "<")), gaps)
    actual = _apply_gaps(rp.normalise(recording.ami), gaps)
    return rp.compare_ami(expected, actual)


@pytest.mark.parametrize("name", traces.TRACE_FILES)
async def test_ami_stream_matches_transcript(
    name: str, recordings: dict[str, tuple[traces.Trace, rp.Recording]], tmp_path: Path
) -> None:
    recording = await _replayed(name, recordings, tmp_path)
    assert not recording.errors, recording.errors
    trace = recordings[name][0]
    problems = _ami_problems(trace, recording, with_gaps=True)
    assert not problems, f"{name}: the AMI stream differs from the transcript:\n" + "\n---\n".join(problems)


@pytest.mark.parametrize("name", traces.TRACE_FILES)
async def test_agi_sessions_match_transcript(
    name: str, recordings: dict[str, tuple[traces.Trace, rp.Recording]], tmp_path: Path
) -> None:
    recording = await _replayed(name, recordings, tmp_path)
    trace = recordings[name][0]
    problems = rp.compare_agi(
        trace, recording, rp.uid_map(rp.trace_ami(trace, "<")), rp.uid_map(recording.ami)
    )
    assert not problems, f"{name}: FastAGI differs from the transcript:\n" + "\n---\n".join(problems)


@pytest.mark.parametrize("name", sorted({g.trace for g in KNOWN_GAPS}))
@pytest.mark.xfail(reason="the parts listed in KNOWN_GAPS are not reproduced yet", strict=True)
async def test_known_gaps_are_real(
    name: str, recordings: dict[str, tuple[traces.Trace, rp.Recording]], tmp_path: Path
) -> None:
    recording = await _replayed(name, recordings, tmp_path)
    trace = recordings[name][0]
    assert not _ami_problems(trace, recording, with_gaps=False)


def test_every_gap_names_a_transcript() -> None:
    for gap in KNOWN_GAPS:
        assert gap.trace in traces.TRACE_FILES
        assert gap.what


def test_comparison_rejects_a_reordered_stream() -> None:
    # The comparison itself must catch a swap on one channel and a wrong field order.
    trace = traces.load("agi_basic.txt")
    expected = rp.normalise(rp.trace_ami(trace, "<"))
    swapped = list(expected)
    a, b = next(
        (i, i + 1)
        for i in range(len(swapped) - 1)
        if swapped[i].keys & swapped[i + 1].keys and swapped[i].fields != swapped[i + 1].fields
    )
    swapped[a], swapped[b] = swapped[b], swapped[a]
    assert rp.compare_ami(expected, swapped)
    reordered = list(expected)
    first = reordered[5]
    reordered[5] = rp.Norm(
        first.time, (first.fields[0], *reversed(first.fields[1:])), first.keys, first.index
    )
    assert rp.compare_ami(expected, reordered)
    assert not rp.compare_ami(expected, list(expected))
