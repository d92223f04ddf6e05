"""Every topic the bridge publishes to or subscribes to, built from the configured prefix.

Queue names and agent ids become topic levels, so the characters MQTT gives a meaning to
(``/`` separates levels, ``+`` and ``#`` are wildcards, NUL is forbidden) are percent-encoded,
with ``%`` itself, as in a URL: ``sales/eu`` is published under ``sales%2Feu``.
"""

from __future__ import annotations

from dataclasses import dataclass

_ESCAPES = str.maketrans({"%": "%25", "/": "%2F", "+": "%2B", "#": "%23", "\x00": "%00"})

CALL_EVENT_LEVELS = (
    "joined",
    "left",
    "abandoned",
    "agent_called",
    "ring_no_answer",
    "connected",
    "completed",
)
"""The last level of call-event topics, one per kind of call event."""

UNATTRIBUTED = "_unattributed"
"""Reply topic level for commands whose request id could not be read (never a valid id)."""


def escape_level(text: str) -> str:
    """``text`` made safe as one topic level; distinct texts stay distinct."""
    return text.translate(_ESCAPES)


@dataclass(frozen=True)
class Topics:
    """The topic tree under ``prefix`` (documented in docs/mqtt.md)."""

    prefix: str

    @property
    def status(self) -> str:
        """Retained ``online``/``offline`` of the daemon (also its last will)."""
        return f"{self.prefix}/status"

    def queue_stats(self, queue: str) -> str:
        """Retained statistics of one queue."""
        return f"{self.prefix}/queue/{escape_level(queue)}/stats"

    def call_event(self, queue: str, level: str) -> str:
        """One call event in ``queue``; ``level`` is one of :data:`CALL_EVENT_LEVELS`."""
        assert level in CALL_EVENT_LEVELS, level
        return f"{self.prefix}/queue/{escape_level(queue)}/call/{level}"

    def callback(self, queue: str) -> str:
        """Changes of callback requests for ``queue``."""
        return f"{self.prefix}/queue/{escape_level(queue)}/callback"

    def agent_state(self, agent_id: str) -> str:
        """Retained state of one agent."""
        return f"{self.prefix}/agent/{escape_level(agent_id)}/state"

    def agent_offer(self, agent_id: str) -> str:
        """Calls offered to one agent, with the screen pop (their desktop subscribes here)."""
        return f"{self.prefix}/agent/{escape_level(agent_id)}/offer"

    @property
    def command_filter(self) -> str:
        """What the bridge subscribes to: one level below ``command`` (replies are two levels)."""
        return f"{self.prefix}/command/+"

    def command(self, kind: str) -> str:
        """Where clients send a command of ``kind``."""
        return f"{self.prefix}/command/{kind}"

    def command_reply(self, request_id: str | None) -> str:
        """Where the reply to ``request_id`` goes (:data:`UNATTRIBUTED` when unknown)."""
        return f"{self.prefix}/command/reply/{request_id or UNATTRIBUTED}"

    def command_kind(self, topic: str) -> str | None:
        """The command kind of a topic matching :attr:`command_filter`, else None."""
        head = f"{self.prefix}/command/"
        if not topic.startswith(head):
            return None
        kind = topic[len(head) :]
        return kind if kind and "/" not in kind else None
