"""An in-memory :class:`~acd.commands.CenterPort` for the supervisor adapters' tests.

It serves a snapshot the test sets, records commands, and lets the test emit engine
events. By default it applies agent commands to its own snapshot (and emits the matching
``AgentStateChanged``) so tests can watch a QueueAdd or QueuePause take effect; a test can
instead script every answer with :attr:`FakeCenter.respond`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from acd.commands import (
    AgentLogin,
    AgentLogout,
    AgentPause,
    Command,
    CommandResult,
    RequestCallback,
)
from acd.events import AcdEvent, AgentInfo, AgentStateChanged
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot, WaitingSnapshot

NOW = 1_795_351_700.0
"""The instant of the sample snapshot (epoch seconds)."""


class FakeCenter:
    """A scripted engine."""

    def __init__(self, snapshot: CenterSnapshot) -> None:
        self.current = snapshot
        self.commands: list[Command] = []
        self.respond: Callable[[Command], CommandResult] | None = None
        self.command_delay = 0.0
        self.snapshots = 0
        self._handlers: list[Callable[[AcdEvent], None]] = []

    # ---------------------------------------------------------------- CenterPort

    def snapshot(self) -> CenterSnapshot:
        self.snapshots += 1
        return self.current

    def subscribe(self, handler: Callable[[AcdEvent], None]) -> Callable[[], None]:
        self._handlers.append(handler)

        def remove() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return remove

    async def command(self, command: Command) -> CommandResult:
        self.commands.append(command)
        if self.command_delay:
            await asyncio.sleep(self.command_delay)
        if self.respond is not None:
            return self.respond(command)
        return self._apply(command)

    # ---------------------------------------------------------------- test controls

    @property
    def subscribers(self) -> int:
        """How many handlers are subscribed."""
        return len(self._handlers)

    def emit(self, event: AcdEvent) -> None:
        """Deliver ``event`` to every subscriber, synchronously, as the engine does."""
        for handler in list(self._handlers):
            handler(event)

    def agent(self, agent_id: str) -> AgentSnapshot:
        """The agent called ``agent_id`` in the current snapshot."""
        return next(a for a in self.current.agents if a.agent_id == agent_id)

    def _replace_agent(self, agent_id: str, **changes: object) -> tuple[AgentSnapshot, AgentSnapshot]:
        old = self.agent(agent_id)
        new = dataclasses.replace(old, **changes)  # type: ignore[arg-type]
        agents = tuple(new if a.agent_id == agent_id else a for a in self.current.agents)
        self.current = dataclasses.replace(self.current, agents=agents)
        return old, new

    def _apply(self, command: Command) -> CommandResult:
        match command:
            case AgentLogin():
                state = "paused" if command.paused else "ready"
                changes: dict[str, object] = {"state": state, "state_since": self.current.at}
                changes["pause_reason"] = command.reason if command.paused else ""
                if command.device:
                    changes["device"] = command.device
                return self._transition(command.agent_id, f"agent {command.agent_id} logged in", **changes)
            case AgentLogout():
                return self._transition(command.agent_id, "logged out", state="logged_out")
            case AgentPause():
                state = "paused" if command.paused else "ready"
                reason = command.reason if command.paused else ""
                return self._transition(command.agent_id, "done", state=state, pause_reason=reason)
            case RequestCallback():
                return CommandResult(True, f"Callback to {command.number} scheduled", reference="cb-1")
        raise AssertionError(f"unexpected command {command!r}")

    def _transition(self, agent_id: str, message: str, **changes: object) -> CommandResult:
        old, new = self._replace_agent(agent_id, **changes)
        self.emit(
            AgentStateChanged(
                at=self.current.at,
                agent=AgentInfo(new.agent_id, new.name, new.device),
                old_state=old.state,
                new_state=new.state,
                reason=new.pause_reason,
                queues=new.queues,
                calls_today=new.calls_today,
            )
        )
        return CommandResult(True, message)


def sample_snapshot() -> CenterSnapshot:
    """Two queues, four agents, three waiting callers: known figures for the tests."""
    support = QueueSnapshot(
        name="support",
        strategy="leastrecent",
        max_size=0,
        service_level_seconds=20,
        waiting=2,
        longest_wait=95.7,
        estimated_wait=40.2,
        callbacks_pending=1,
        offered=40,
        answered=30,
        abandoned=6,
        answered_within_sl=24,
        abandoned_within_sl=2,
        average_hold=18.4,
        average_talk=182.6,
        staffed=3,
        ready=1,
        on_call=1,
        paused=1,
    )
    sales = QueueSnapshot(
        name="sales",
        strategy="fewestcalls",
        max_size=10,
        service_level_seconds=30,
        waiting=1,
        longest_wait=12.0,
        offered=0,
        staffed=2,
        ready=0,
        on_call=1,
        paused=1,
    )
    agents = (
        AgentSnapshot(
            agent_id="a1",
            name="Agent One",
            device="PJSIP/1001",
            state="ready",
            state_since=NOW - 65,
            queues=("support",),
            calls_today=7,
            last_call_end=NOW - 65,
            login_time=NOW - 3600,
        ),
        AgentSnapshot(
            agent_id="a2",
            name="Agent Two",
            device="PJSIP/1002",
            state="on_call",
            state_since=NOW - 125,
            queues=("support", "sales"),
            calls_today=12,
            last_call_end=NOW - 400,
            login_time=NOW - 7200,
            current_call="c9",
            current_queue="support",
        ),
        AgentSnapshot(
            agent_id="a3",
            name="Agent Three",
            device="PJSIP/1003",
            state="paused",
            state_since=NOW - 300,
            pause_reason="lunch",
            queues=("support", "sales"),
            calls_today=3,
            login_time=NOW - 5000,
            last_pause=NOW - 300,
        ),
        AgentSnapshot(
            agent_id="a4",
            name="Agent Four",
            device="PJSIP/1004",
            state="logged_out",
            state_since=NOW - 9000,
            queues=("support",),
        ),
    )
    waiting = (
        WaitingSnapshot(
            call_id="c10",
            queue="support",
            position=1,
            waited=95.7,
            channel="PJSIP/trunk-0000000a",
            uniqueid="1795351600.10",
            caller_number="5550001",
            caller_name="Alice",
        ),
        WaitingSnapshot(call_id="c11", queue="support", position=2, waited=20.0, priority=1),
        WaitingSnapshot(
            call_id="c12",
            queue="sales",
            position=1,
            waited=12.0,
            channel="PJSIP/trunk-0000000c",
            uniqueid="1795351688.12",
            caller_number="5550003",
        ),
    )
    return CenterSnapshot(at=NOW, queues=(support, sales), agents=agents, waiting=waiting)
