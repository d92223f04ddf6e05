"""Per-queue statistics published as ``UserEvent``s through Asterisk's own AMI.

Supervisors connected to Asterisk (not to our listener) see them as
``Event: UserEvent`` / ``UserEvent: AcdQueueStats`` with ``Queue``, ``Waiting``,
``LongestWait`` first, as in misc.txt, then the other figures.

When to publish is :class:`PublishSchedule`'s job (pure, time passed in):

1. A queue never published, or whose figures changed, is published at once…
2. …but never twice within ``min_gap`` seconds: a busy queue changes many times a second and
   must not flood Asterisk. A change held back is published when the gap has passed.
3. Unchanged figures are re-published every ``interval`` seconds, so a tool that connects
   late, or missed one, catches up. ``LongestWait`` and ``EstimatedWait`` move with the clock
   and are not "changes" by themselves; they are fresh in every event that is sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from acd.commands import CenterPort
from acd.events import AcdEvent
from acd.snapshot import QueueSnapshot
from telephony.ami.client import AmiClient
from telephony.ami.errors import AmiLinkError, AmiTimeout
from telephony.ami.message import action

logger = logging.getLogger(__name__)

Fields = tuple[tuple[str, str], ...]
_CLOCK_DRIVEN = frozenset({"LongestWait", "EstimatedWait"})


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def queue_stats_fields(queue: QueueSnapshot) -> Fields:
    """The UserEvent's fields for one queue, in order (after ``UserEvent:``)."""
    pairs: list[tuple[str, object]] = [
        ("Queue", queue.name),
        ("Waiting", queue.waiting),
        ("LongestWait", max(0, int(queue.longest_wait))),
        ("EstimatedWait", "" if queue.estimated_wait is None else max(0, round(queue.estimated_wait))),
        ("CallbacksPending", queue.callbacks_pending),
        ("Staffed", queue.staffed),
        ("Ready", queue.ready),
        ("OnCall", queue.on_call),
        ("Paused", queue.paused),
        ("WrapUp", queue.wrap_up),
        ("Offered", queue.offered),
        ("Answered", queue.answered),
        ("Abandoned", queue.abandoned),
        ("ServiceLevel", _percent(queue.service_level)),
        ("AbandonRate", _percent(queue.abandon_rate)),
        ("Asa", f"{queue.average_hold:.1f}" if queue.answered else ""),
    ]
    return tuple((key, str(value).replace("\r", " ").replace("\n", " ")) for key, value in pairs)


def change_key(fields: Fields) -> Fields:
    """The part of the fields whose change is worth an event of its own."""
    return tuple(pair for pair in fields if pair[0] not in _CLOCK_DRIVEN)


@dataclass(frozen=True)
class _Sent:
    at: float
    key: Fields


class PublishSchedule:
    """Decides which queues to publish now, and when to look again."""

    def __init__(self, interval: float, min_gap: float) -> None:
        if not interval > 0 or min_gap < 0:
            raise ValueError("interval must be positive and min_gap not negative")
        self._interval = interval
        self._min_gap = min(min_gap, interval)
        self._sent: dict[str, _Sent] = {}
        self._held: dict[str, float] = {}

    def select(self, keys: dict[str, Fields], now: float) -> list[str]:
        """The queues to publish at ``now``, given each queue's :func:`change_key`."""
        due: list[str] = []
        self._held.clear()
        for queue, key in keys.items():
            last = self._sent.get(queue)
            if last is None:
                due.append(queue)
            elif key == last.key and now - last.at < self._interval:
                continue
            elif now - last.at < self._min_gap:
                self._held[queue] = last.at + self._min_gap
            else:
                due.append(queue)
        return due

    def mark_sent(self, queue: str, key: Fields, now: float) -> None:
        """Record that ``queue`` was published at ``now``."""
        self._sent[queue] = _Sent(now, key)

    def next_check(self, now: float) -> float:
        """When the next periodic or held-back publication falls due."""
        times = [sent.at + self._interval for sent in self._sent.values()]
        times.extend(self._held.values())
        return max(now, min(times, default=now + self._interval))


class QueueStatsPublisher:
    """Sends ``UserEvent: AcdQueueStats`` through ``client`` for every queue of ``center``.

    ``interval``: re-publish unchanged figures this often; ``min_gap``: at most one event
    per queue this often; ``settle``: after a change, wait this long so a burst of engine
    events costs one snapshot. Run :meth:`run` as a task; cancel it to stop.
    """

    def __init__(
        self,
        client: AmiClient,
        center: CenterPort,
        *,
        interval: float = 30.0,
        min_gap: float = 2.0,
        settle: float = 0.1,
        event_name: str = "AcdQueueStats",
        clock: Callable[[], float] | None = None,
    ) -> None:
        if settle < 0:
            raise ValueError("settle must not be negative")
        self._client = client
        self._center = center
        self._schedule = PublishSchedule(interval, min_gap)
        self._settle = settle
        self._event_name = event_name
        self._clock = clock
        self._changed = asyncio.Event()
        self.published = 0
        """UserEvents Asterisk accepted (for tests and the daemon's status)."""

    def _on_event(self, event: AcdEvent) -> None:
        # Synchronous, from the engine: only note that figures may have moved.
        self._changed.set()

    async def run(self) -> None:
        """Publish until cancelled."""
        clock = self._clock or asyncio.get_running_loop().time
        unsubscribe = self._center.subscribe(self._on_event)
        try:
            while True:
                self._changed.clear()
                await self._publish_due(clock())
                deadline = self._schedule.next_check(clock())
                try:
                    async with asyncio.timeout(max(0.0, deadline - clock())):
                        await self._changed.wait()
                except TimeoutError:
                    continue
                await asyncio.sleep(self._settle)
        finally:
            unsubscribe()

    async def _publish_due(self, now: float) -> None:
        if not self._client.connected:
            return  # nothing to send through; the next change or tick tries again
        snapshot = self._center.snapshot()
        fields = {q.name: queue_stats_fields(q) for q in snapshot.queues}
        keys = {name: change_key(f) for name, f in fields.items()}
        for queue in self._schedule.select(keys, now):
            if await self._send(queue, fields[queue]):
                self._schedule.mark_sent(queue, keys[queue], now)

    async def _send(self, queue: str, fields: Fields) -> bool:
        message = action("UserEvent", [("UserEvent", self._event_name), *fields])
        try:
            result = await self._client.send_action(message)
        except AmiLinkError as exc:
            logger.debug("queue stats not published queue=%s reason=%r", queue, str(exc))
            return False
        except AmiTimeout:
            logger.warning("queue stats not acknowledged by asterisk queue=%s", queue)
            return False
        if not result.ok:
            # Configuration (the AMI user lacks write=user): retrying sooner would only spam.
            logger.warning(
                "asterisk refused the queue stats UserEvent queue=%s message=%s", queue, result.message
            )
            return True
        self.published += 1
        return True
