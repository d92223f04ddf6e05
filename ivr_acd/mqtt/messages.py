"""What to publish, where, and whether the broker retains it: events and snapshots → messages."""

from __future__ import annotations

from acd.events import (
    AcdEvent,
    AgentCalled,
    AgentStateChanged,
    CallbackChanged,
)
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot
from ivr_acd.mqtt import payloads
from ivr_acd.mqtt.commands import CommandReply
from ivr_acd.mqtt.outbox import OutMessage
from ivr_acd.mqtt.topics import Topics


class MessageFactory:
    """Builds the :class:`OutMessage` for each thing the bridge publishes."""

    def __init__(self, topics: Topics) -> None:
        self.topics = topics

    def for_event(self, event: AcdEvent) -> list[OutMessage]:
        """The messages one engine event produces (an offer is also a call event)."""
        match event:
            case AgentStateChanged():
                return [
                    OutMessage(
                        self.topics.agent_state(event.agent.agent_id),
                        payloads.encode(payloads.agent_state_changed(event)),
                        "agent_state",
                        retain=True,
                    )
                ]
            case CallbackChanged():
                return [
                    OutMessage(
                        self.topics.callback(event.queue),
                        payloads.encode(payloads.callback_changed(event)),
                        "callback",
                    )
                ]
        messages = []
        if isinstance(event, AgentCalled):
            # The agent's phone is ringing now: their screen pop goes out first.
            messages.append(
                OutMessage(
                    self.topics.agent_offer(event.agent.agent_id),
                    payloads.encode(payloads.agent_offer(event)),
                    "agent_offer",
                )
            )
        level, body = payloads.call_event(event)
        messages.append(
            OutMessage(self.topics.call_event(event.queue, level), payloads.encode(body), "call_event")
        )
        return messages

    def queue_stats(self, queue: QueueSnapshot, at: float) -> OutMessage:
        """Retained statistics of ``queue`` as of ``at``."""
        return OutMessage(
            self.topics.queue_stats(queue.name),
            payloads.encode(payloads.queue_stats(queue, at)),
            "queue_stats",
            retain=True,
        )

    def agent_state(self, agent: AgentSnapshot, at: float) -> OutMessage:
        """Retained state of ``agent`` from the read model."""
        return OutMessage(
            self.topics.agent_state(agent.agent_id),
            payloads.encode(payloads.agent_state_snapshot(agent, at)),
            "agent_state",
            retain=True,
        )

    def status(self, online: bool, at: float) -> OutMessage:
        """Retained daemon status."""
        return OutMessage(
            self.topics.status, payloads.encode(payloads.status(online, at)), "status", retain=True
        )

    def retained_state(self, snapshot: CenterSnapshot) -> list[OutMessage]:
        """Everything retained, from a snapshot: what a (re)connection publishes first."""
        return (
            [self.status(True, snapshot.at)]
            + [self.queue_stats(queue, snapshot.at) for queue in snapshot.queues]
            + [self.agent_state(agent, snapshot.at) for agent in snapshot.agents]
        )

    def reply(self, reply: CommandReply, at: float) -> OutMessage:
        """The reply to a command, on its request's reply topic."""
        body = payloads.command_reply(
            at,
            request_id=reply.request_id,
            command=reply.command,
            ok=reply.ok,
            error=reply.error,
            message=reply.message,
            reference=reply.reference,
        )
        return OutMessage(self.topics.command_reply(reply.request_id), payloads.encode(body), "command_reply")
