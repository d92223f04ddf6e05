"""The command topic: envelope → signature → permission → schema → the engine → a reply.

A client publishes on ``<prefix>/command/<kind>`` an envelope
``{"user": …, "body": "<JSON text>", "hmac": …}`` (docs/mqtt.md, schemas under docs/mqtt/).
:class:`CommandDecoder` is the synchronous, side-effect-free part: it turns the bytes into
an accepted :data:`acd.commands.Command` or a refusal. :class:`CommandService` runs accepted
commands through :meth:`acd.commands.CenterPort.command` and hands every reply to a sink
(the outbox): replies are messages like any other and survive a reconnect.

Checks run cheapest and least revealing first: nothing past the signature check is
answered to someone who cannot sign, and no reply or log line carries a secret, an HMAC or
the command body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from acd.commands import AgentLogin, AgentLogout, AgentPause, CenterPort, Command, RequestCallback
from ivr_acd.mqtt import validation
from ivr_acd.mqtt.auth import Authenticator, ReplayGuard
from ivr_acd.mqtt.config import CommandUserLike
from ivr_acd.mqtt.schemas import COMMAND_ENVELOPE, COMMANDS, REQUEST_ID_PATTERN

log = logging.getLogger(__name__)

ErrorCode = Literal[
    "invalid_json",
    "invalid_envelope",
    "unknown_command",
    "authentication_failed",
    "permission_denied",
    "invalid_command",
    "stale",
    "replayed",
    "busy",
    "rejected",
    "internal_error",
]

_REQUEST_ID = re.compile(REQUEST_ID_PATTERN.removesuffix("$") + r"\Z")
MAX_PAYLOAD = 65_536
"""Bytes; far above any valid command (the body is at most 16 KiB), checked before parsing."""
_MAX_ERRORS_SHOWN = 5
_SECURITY_ERRORS = frozenset({"authentication_failed", "permission_denied", "replayed"})


@dataclass(frozen=True)
class CommandReply:
    """What is published on the reply topic (``command_reply`` payload)."""

    request_id: str | None
    command: str | None
    ok: bool
    message: str
    error: ErrorCode | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Refused:
    """A command turned away before reaching the engine."""

    reply: CommandReply
    user: str | None
    """Who the envelope claims to be (unverified unless the error comes after the signature check)."""


@dataclass(frozen=True)
class Accepted:
    """A signed, permitted, well-formed, fresh command, ready for the engine."""

    user: str
    kind: str
    request_id: str
    command: Command


def request_id_of(payload: bytes) -> str | None:
    """The request id of a raw command if it can be read at all (to address a refusal)."""
    if len(payload) > MAX_PAYLOAD:
        return None
    try:
        envelope = json.loads(payload)
        body = json.loads(envelope["body"]) if isinstance(envelope, dict) else None
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    request_id = body.get("request_id") if isinstance(body, dict) else None
    return request_id if isinstance(request_id, str) and _REQUEST_ID.match(request_id) else None


def _parse_time(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # The schema's pattern demands an offset, so the moment is never naive.
    return moment.timestamp()


def _command(kind: str, body: Mapping[str, object], not_before: float | None) -> Command:
    """The engine's command for a body that passed its schema (so the casts hold)."""
    agent_id = str(body.get("agent_id", ""))
    reason = str(body.get("reason", ""))
    match kind:
        case "login":
            device = body.get("device")
            return AgentLogin(
                agent_id,
                device=device if isinstance(device, str) else None,
                paused=body.get("paused") is True,
                reason=reason,
            )
        case "logout":
            return AgentLogout(agent_id)
        case "pause":
            return AgentPause(agent_id, paused=True, reason=reason)
        case "unpause":
            return AgentPause(agent_id, paused=False)
        case "callback":
            data = body.get("data")
            return RequestCallback(
                number=str(body["number"]),
                queue=str(body["queue"]),
                name=str(body.get("name", "")),
                not_before=not_before,
                data={str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {},
                source="mqtt",
            )
    raise AssertionError(f"no command for kind {kind!r}")  # kinds are checked against COMMANDS first


class CommandDecoder:
    """Turns a raw command into :class:`Accepted` or :class:`Refused`."""

    def __init__(
        self, users: tuple[CommandUserLike, ...], *, max_age: float, clock: Callable[[], float]
    ) -> None:
        self._auth = Authenticator(users)
        self._replays = ReplayGuard(max_age)
        self._clock = clock

    def decode(self, kind: str, payload: bytes) -> Accepted | Refused:
        """Check everything about one command; never raises for anything a client sends."""
        request_id = request_id_of(payload)
        claimed: str | None = None

        def refuse(error: ErrorCode, message: str) -> Refused:
            return Refused(CommandReply(request_id, kind, ok=False, message=message, error=error), claimed)

        if len(payload) > MAX_PAYLOAD:
            return refuse("invalid_envelope", f"the payload is larger than {MAX_PAYLOAD} bytes")
        try:
            envelope = json.loads(payload)
        except (ValueError, RecursionError):
            return refuse("invalid_json", "the payload is not JSON (UTF-8)")
        if kind not in COMMANDS:
            return refuse(
                "unknown_command", f"unknown command {kind!r}; expected one of {', '.join(COMMANDS)}"
            )
        problems = validation.errors(envelope, COMMAND_ENVELOPE)
        if problems:
            return refuse("invalid_envelope", _summary(problems))
        assert isinstance(envelope, dict)
        claimed = envelope["user"]
        user = self._auth.verify(envelope["user"], kind, envelope["body"], envelope["hmac"])
        if user is None:
            # Same answer for an unknown user and a wrong signature: which names exist is
            # none of the sender's business.
            return refuse("authentication_failed", "authentication failed")
        if user.permission != "control":
            return refuse(
                "permission_denied", f"user {user.username!r} has {user.permission} permission only"
            )
        try:
            body = json.loads(envelope["body"])
        except (ValueError, RecursionError):
            return refuse("invalid_json", "the envelope's body is not JSON")
        problems = validation.errors(body, COMMANDS[kind])
        if problems:
            return refuse("invalid_command", _summary(problems))
        assert isinstance(body, dict)
        sent_at = _parse_time(body["ts"])
        not_before_text = body.get("not_before")
        not_before = _parse_time(not_before_text) if isinstance(not_before_text, str) else None
        if sent_at is None or (isinstance(not_before_text, str) and not_before is None):
            return refuse("invalid_command", "a date-time field is not a valid date")
        freshness = self._replays.check(user.username, body["request_id"], sent_at, self._clock())
        if freshness == "stale":
            return refuse("stale", "ts is too far from the server's clock (check the client's clock)")
        if freshness == "replayed":
            return refuse("replayed", "this request_id was already used")
        return Accepted(user.username, kind, body["request_id"], _command(kind, body, not_before))


def _summary(problems: list[str]) -> str:
    shown = "; ".join(problems[:_MAX_ERRORS_SHOWN])
    more = len(problems) - _MAX_ERRORS_SHOWN
    return f"{shown}; and {more} more" if more > 0 else shown


class CommandService:
    """Decodes commands as they arrive, runs accepted ones, and emits one reply for each.

    :meth:`submit` never waits: it is called from the connection's receive loop, which
    must keep reading. At most ``max_concurrent`` commands run at once; beyond that the
    reply is ``busy``. Running commands belong to the service, not to a connection, so a
    broker outage cannot cancel one half-way through the engine.
    """

    def __init__(
        self,
        port: CenterPort,
        decoder: CommandDecoder,
        reply: Callable[[CommandReply], None],
        *,
        max_concurrent: int,
    ) -> None:
        self._port = port
        self._decoder = decoder
        self._reply = reply
        self._max_concurrent = max_concurrent
        self._running: set[asyncio.Task[None]] = set()
        self.accepted = 0
        self.refused = 0

    def submit(self, kind: str, payload: bytes) -> None:
        """Handle one message from ``<prefix>/command/<kind>``."""
        decoded = self._decoder.decode(kind, payload)
        if isinstance(decoded, Refused):
            self.refused += 1
            reply = decoded.reply
            # Failed signatures and permissions are what an attack looks like: louder.
            level = logging.WARNING if reply.error in _SECURITY_ERRORS else logging.INFO
            log.log(
                level,
                "mqtt command refused error=%s kind=%r user=%r request_id=%s",
                reply.error,
                kind,
                decoded.user,
                reply.request_id,
            )
            self._reply(reply)
            return
        if len(self._running) >= self._max_concurrent:
            self.refused += 1
            log.warning("mqtt command refused error=busy kind=%s request_id=%s", kind, decoded.request_id)
            self._reply(
                CommandReply(
                    decoded.request_id, kind, ok=False, message="too many commands in progress", error="busy"
                )
            )
            return
        self.accepted += 1
        task = asyncio.create_task(self._execute(decoded), name=f"mqtt-command-{decoded.request_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _execute(self, accepted: Accepted) -> None:
        try:
            result = await self._port.command(accepted.command)
        except Exception:  # an engine bug becomes an error reply, logged with its traceback
            log.exception("mqtt command failed kind=%s request_id=%s", accepted.kind, accepted.request_id)
            reply = CommandReply(
                accepted.request_id, accepted.kind, ok=False, message="internal error", error="internal_error"
            )
        else:
            reply = CommandReply(
                accepted.request_id,
                accepted.kind,
                ok=result.ok,
                message=result.message,
                error=None if result.ok else "rejected",
                reference=result.reference,
            )
        log.info(
            "mqtt command done kind=%s user=%s request_id=%s ok=%s",
            accepted.kind,
            accepted.user,
            accepted.request_id,
            reply.ok,
        )
        self._reply(reply)

    async def close(self) -> None:
        """Cancel commands still running (at shutdown) and wait for them to end."""
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
