"""Invariants of the call centre core that tests check after every message."""

from __future__ import annotations

from acd.center.base import IN_QUEUE_PHASES
from acd.center.core import CallCenter
from acd.center.model import LiveCall, Phase


def check_call_indexes(center: CallCenter) -> None:
    """The per-queue indexes hold exactly the calls a scan of every known call finds."""
    in_queue: dict[str, set[str]] = {}
    callbacks: dict[str, set[str]] = {}
    for call in center._calls.values():
        if call.queue and call.phase in IN_QUEUE_PHASES:
            in_queue.setdefault(call.queue, set()).add(call.call_id)
        if call.queue and call.is_callback and call.phase is not Phase.DONE:
            callbacks.setdefault(call.queue, set()).add(call.call_id)
    assert _ids(center._in_queue) == in_queue, "calls in queue index out of step"
    assert _ids(center._callbacks_open) == callbacks, "open callbacks index out of step"
    for index in (center._in_queue, center._callbacks_open):
        for filed in index.values():
            for call_id, call in filed.items():
                assert center._calls.get(call_id) is call, f"index holds a stale call {call_id}"


def _ids(index: dict[str, dict[str, LiveCall]]) -> dict[str, set[str]]:
    return {queue: set(filed) for queue, filed in index.items()}
