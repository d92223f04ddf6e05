"""Shared test material: a fake engine, a scripted day of events, a recording subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import aiomqtt
import jsonschema  # no hints shipped, no stubs in the dev deps

from acd.commands import Command, CommandResult
from acd.events import (
    AcdEvent,
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentInfo,
    AgentRingNoAnswer,
    AgentStateChanged,
    CallAbandoned,
    CallbackChanged,
    CallerInfo,
    CallJoined,
    CallLeft,
)
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot
from ivr_acd.mqtt import CommandUser, CommandUserLike, MqttConfig, sign
from ivr_acd.mqtt.payloads import iso_time

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "mqtt"

T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z, an arbitrary fixed instant

CONTROL = CommandUser("supervisor", "control-secret-0123456789", "control")
READER = CommandUser("wallboard", "reader-secret-0123456789", "read")

ALICE = AgentInfo("1001", "Alice", "PJSIP/1001")
BOB = AgentInfo("1002", "Bob", "PJSIP/1002")
CALLER = CallerInfo(
    "call-1", "PJSIP/trunk-00000001", "1790000000.1", "1790000000.1", "+33123456789", "Dupont"
)
CALLER_2 = CallerInfo("call-2", "PJSIP/trunk-00000002", "1790000050.2", "1790000050.2", "+33999888777", "")
SCREEN_POP = {"customer_id": "C-4711", "tier": "gold", "menu_choice": "2", "language": "fr"}


def queue(name: str, **counters: Any) -> QueueSnapshot:
    """A queue with our usual settings."""
    return QueueSnapshot(name=name, strategy="longest_idle", max_size=0, service_level_seconds=20, **counters)


def agent(info: AgentInfo, state: str, **fields: Any) -> AgentSnapshot:
    """An agent of the roster in ``state``."""
    return AgentSnapshot(
        info.agent_id, info.name, info.device, state, state_since=T0, queues=("sales",), **fields
    )


def center_snapshot(at: float = T0) -> CenterSnapshot:
    """Two queues (one whose name needs escaping in a topic) and two agents."""
    return CenterSnapshot(
        at=at,
        queues=(queue("sales", waiting=1, longest_wait=12.5, staffed=2, ready=1), queue("support/eu")),
        agents=(agent(ALICE, "ready"), agent(BOB, "paused", pause_reason="lunch")),
    )


def scripted_events() -> list[AcdEvent]:
    """A short day: one call answered after a ring-no-answer, one abandoned, one callback."""
    return [
        CallJoined(T0 + 1, CALLER, "sales", position=1, count=1, estimated_wait=30.0),
        AgentStateChanged(T0 + 2, ALICE, "ready", "ringing", queues=("sales",)),
        AgentCalled(T0 + 2, CALLER, "sales", ALICE, waited=1.0, screen_pop=SCREEN_POP),
        AgentRingNoAnswer(T0 + 17, CALLER, "sales", ALICE, ring_time=15.0),
        AgentStateChanged(T0 + 17, ALICE, "ringing", "paused", reason="ring no answer", queues=("sales",)),
        AgentCalled(T0 + 18, CALLER, "sales", BOB, waited=17.0, screen_pop=SCREEN_POP),
        AgentConnected(T0 + 21, CALLER, "sales", BOB, hold_time=20.0, ring_time=3.0),
        CallLeft(T0 + 21, CALLER, "sales", position=1, count=0, reason="answered"),
        CallJoined(T0 + 50, CALLER_2, "support/eu", position=1, count=1),
        CallAbandoned(T0 + 80, CALLER_2, "support/eu", position=1, original_position=1, hold_time=30.0),
        CallLeft(T0 + 80, CALLER_2, "support/eu", position=1, count=0, reason="abandon"),
        AgentCompleted(T0 + 200, CALLER, "sales", BOB, hold_time=20.0, talk_time=179.0, reason="caller"),
        AgentStateChanged(T0 + 200, BOB, "on_call", "wrap_up", queues=("sales",), calls_today=1),
        CallbackChanged(T0 + 210, "cb-7", "sales", "+33111222333", "pending"),
    ]


class FakeCenter:
    """A stand-in for the engine's :class:`acd.commands.CenterPort`."""

    def __init__(self, snapshot: CenterSnapshot | None = None) -> None:
        self.current = snapshot if snapshot is not None else center_snapshot()
        self.handlers: list[Callable[[AcdEvent], None]] = []
        self.commands: list[Command] = []
        self.result = CommandResult(True, "done")
        self.gate: asyncio.Event | None = None
        """When set to an unset event, commands wait for it (to hold them in progress)."""

    def snapshot(self) -> CenterSnapshot:
        """The contact centre now."""
        return self.current

    def subscribe(self, handler: Callable[[AcdEvent], None]) -> Callable[[], None]:
        """Register an event handler."""
        self.handlers.append(handler)
        return lambda: self.handlers.remove(handler)

    def emit(self, event: AcdEvent) -> None:
        """What the engine does when something happens."""
        for handler in self.handlers:
            handler(event)

    async def command(self, command: Command) -> CommandResult:
        """Record the command, answer with :attr:`result`."""
        self.commands.append(command)
        if self.gate is not None:
            await self.gate.wait()
        return self.result

    def set_agent(self, agent_id: str, state: str, **fields: Any) -> None:
        """Change one agent in the snapshot."""
        agents = tuple(
            replace(a, state=state, **fields) if a.agent_id == agent_id else a for a in self.current.agents
        )
        self.current = replace(self.current, agents=agents)


def make_config(port: int, **overrides: Any) -> MqttConfig:
    """A config for tests: unique prefix and client id, short intervals."""
    tag = uuid.uuid4().hex[:8]
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "client_id": f"ivr-acd-test-{tag}",
        "prefix": f"test-{tag}",
        "qos": 1,
        "stats_interval": 0.5,
        "stats_min_interval": 0.05,
        "reconnect_min": 0.02,
        "reconnect_max": 0.1,
        "report_interval": 60.0,
        "keepalive": 5,
        "users": (CONTROL, READER),
    }
    options.update(overrides)
    return MqttConfig(**options)


def envelope(
    kind: str, body: dict[str, Any], user: CommandUserLike = CONTROL, *, secret: str | None = None
) -> bytes:
    """A signed command as a client publishes it (``secret`` overrides the user's to forge)."""
    text = json.dumps(body)
    mac = sign(user.secret if secret is None else secret, kind, text)
    return json.dumps({"user": user.username, "body": text, "hmac": mac}).encode()


def command_body(request_id: str, at: float, **fields: Any) -> dict[str, Any]:
    """A command body with its request id and timestamp."""
    return {"request_id": request_id, "ts": iso_time(at)} | fields


@cache
def _validators() -> dict[str, jsonschema.Draft202012Validator]:
    validators = {}
    for path in SCHEMA_DIR.glob("*.schema.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        validators[path.name.removesuffix(".schema.json")] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
    return validators


def validator(name: str) -> jsonschema.Draft202012Validator:
    """The validator of docs/mqtt/<name>.schema.json (the committed file, not the module)."""
    return _validators()[name]


def validate_published(payload: dict[str, Any]) -> None:
    """Validate a published payload against the schema its ``type`` names."""
    validator(str(payload["type"]).replace("_", "-")).validate(payload)


@dataclass(frozen=True)
class Received:
    """One message a :class:`Recorder` got."""

    topic: str
    payload: bytes
    retain: bool

    def json(self) -> dict[str, Any]:
        """The payload decoded."""
        decoded: dict[str, Any] = json.loads(self.payload)
        return decoded


class Recorder:
    """A test client: subscribes to filters, records what arrives, can publish."""

    def __init__(self, port: int, *filters: str) -> None:
        self._client = aiomqtt.Client("127.0.0.1", port, identifier=f"recorder-{uuid.uuid4().hex[:8]}")
        self._filters = filters
        self._reader: asyncio.Task[None] | None = None
        self.messages: list[Received] = []

    async def __aenter__(self) -> Recorder:
        await self._client.__aenter__()
        for topic_filter in self._filters:
            await self._client.subscribe(topic_filter, qos=1)
        self._reader = asyncio.create_task(self._read(), name="recorder")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        with contextlib.suppress(aiomqtt.MqttError):
            await self._client.__aexit__(kind, exc, tb)

    async def _read(self) -> None:
        with contextlib.suppress(aiomqtt.MqttError):  # the broker went away: stop recording
            async for message in self._client.messages:
                payload = message.payload
                assert isinstance(payload, bytes | bytearray)
                self.messages.append(Received(message.topic.value, bytes(payload), message.retain))

    async def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish as a client would."""
        await self._client.publish(topic, payload, qos=1, retain=retain)

    def on(self, topic: str) -> list[Received]:
        """Messages received on exactly ``topic``."""
        return [m for m in self.messages if m.topic == topic]

    def of_type(self, type_: str) -> Iterator[dict[str, Any]]:
        """Decoded payloads whose ``type`` is ``type_``."""
        return (p for p in (m.json() for m in self.messages) if p.get("type") == type_)

    async def wait_for(self, predicate: Callable[[], bool], limit: float = 5.0) -> None:
        """Wait until ``predicate()`` holds (``limit`` only guards against a hung test)."""
        await wait_until(predicate, limit)


async def wait_until(predicate: Callable[[], bool], limit: float = 5.0) -> None:
    """Poll ``predicate`` until it holds; fails the test after ``limit`` seconds."""
    async with asyncio.timeout(limit):
        # Polling: the predicates read state that has no event to await.
        while not predicate():
            await asyncio.sleep(0.005)
