"""Which queues' statistics to publish now: those that changed, or all of them when due.

The *when* (rate limit, period) belongs to the bridge's statistics loop; this only compares
what would be published with what was, ignoring the timestamp.
"""

from __future__ import annotations

from acd.snapshot import CenterSnapshot, QueueSnapshot
from ivr_acd.mqtt import payloads


class StatsTracker:
    """Remembers the last statistics published per queue."""

    def __init__(self) -> None:
        self._last: dict[str, payloads.JsonObject] = {}

    @staticmethod
    def _content(queue: QueueSnapshot) -> payloads.JsonObject:
        # Built with a fixed time: two payloads differing only by "at" are the same news.
        return payloads.queue_stats(queue, 0.0)

    def select(self, snapshot: CenterSnapshot, *, everything: bool) -> list[QueueSnapshot]:
        """The queues to publish: changed ones, or all when ``everything``. Remembers them."""
        chosen = []
        for queue in snapshot.queues:
            content = self._content(queue)
            if everything or self._last.get(queue.name) != content:
                self._last[queue.name] = content
                chosen.append(queue)
        return chosen
