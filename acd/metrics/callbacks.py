"""Callback requests and their fate, from :class:`CallbackRecord` rows.

The live side (a caller choosing a callback) is counted on the call record as outcome
``callback_requested``: offered, not abandoned. This module counts the requests
themselves (from every source: IVR, AMI, MQTT) and how many reached the customer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from acd.metrics.period import Period
from acd.metrics.stats import mean, ratio
from acd.records import CallbackRecord, CallbackStatus

OPEN_STATUSES = frozenset({CallbackStatus.PENDING, CallbackStatus.DIALLING, CallbackStatus.RETRY_WAIT})


@dataclass(frozen=True)
class CallbackMetrics:
    """Callback requests made in the period, by where they stand now."""

    requested: int
    connected: int
    failed: int
    expired: int
    cancelled: int
    in_progress: int
    """Still pending, dialling or waiting for a retry."""
    connect_rate: float | None
    """connected / (requested − in_progress): the share of settled requests that reached the customer."""
    avg_time_to_connect: float | None
    """mean(connected_at − requested_at) over connected requests, in seconds."""


def select_callbacks(
    callbacks: Iterable[CallbackRecord], period: Period, queues: Collection[str] | None = None
) -> list[CallbackRecord]:
    """The requests made in ``period`` (by ``requested_at``), for ``queues`` if given."""
    return [
        cb for cb in callbacks if period.contains(cb.requested_at) and (queues is None or cb.queue in queues)
    ]


def callback_metrics(callbacks: Iterable[CallbackRecord]) -> CallbackMetrics:
    """Count the requests by status and time the connected ones."""
    items = list(callbacks)

    def count(status: CallbackStatus) -> int:
        return sum(1 for cb in items if cb.status is status)

    connected = count(CallbackStatus.CONNECTED)
    still_open = sum(1 for cb in items if cb.status in OPEN_STATUSES)
    return CallbackMetrics(
        requested=len(items),
        connected=connected,
        failed=count(CallbackStatus.FAILED),
        expired=count(CallbackStatus.EXPIRED),
        cancelled=count(CallbackStatus.CANCELLED),
        in_progress=still_open,
        connect_rate=ratio(connected, len(items) - still_open),
        avg_time_to_connect=mean(
            cb.connected_at - cb.requested_at
            for cb in items
            if cb.status is CallbackStatus.CONNECTED and cb.connected_at is not None
        ),
    )
