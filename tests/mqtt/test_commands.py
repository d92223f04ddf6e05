"""Command decoding and execution without a broker: every refusal, every command kind."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest

from acd.commands import AgentLogin, AgentLogout, AgentPause, Command, CommandResult, RequestCallback
from ivr_acd.mqtt import CommandUser, MqttConfig, sign
from ivr_acd.mqtt.commands import Accepted, CommandDecoder, CommandReply, CommandService, Refused
from tests.mqtt.helpers import CONTROL, READER, T0, FakeCenter, command_body, envelope, wait_until

NOW = T0 + 1000.0


def decoder() -> CommandDecoder:
    return CommandDecoder((CONTROL, READER), max_age=300.0, clock=lambda: NOW)


def accepted(result: Accepted | Refused) -> Accepted:
    assert isinstance(result, Accepted), result
    return result


def refused(result: Accepted | Refused) -> CommandReply:
    assert isinstance(result, Refused), result
    return result.reply


@pytest.mark.parametrize(
    ("kind", "fields", "command"),
    [
        ("login", {"agent_id": "1001"}, AgentLogin("1001")),
        (
            "login",
            {"agent_id": "1001", "device": "PJSIP/desk-7", "paused": True, "reason": "briefing"},
            AgentLogin("1001", device="PJSIP/desk-7", paused=True, reason="briefing"),
        ),
        ("logout", {"agent_id": "1001"}, AgentLogout("1001")),
        ("pause", {"agent_id": "1001", "reason": "lunch"}, AgentPause("1001", paused=True, reason="lunch")),
        ("pause", {"agent_id": "1001"}, AgentPause("1001", paused=True)),
        ("unpause", {"agent_id": "1001"}, AgentPause("1001", paused=False)),
        (
            "callback",
            {"number": "+33123456789", "queue": "sales"},
            RequestCallback("+33123456789", "sales", source="mqtt"),
        ),
        (
            "callback",
            {
                "number": "0123456789",
                "queue": "sales",
                "name": "Dupont",
                "not_before": "2026-09-21T16:13:20+02:00",
                "data": {"crm": "C-1"},
            },
            RequestCallback(
                "0123456789", "sales", name="Dupont", not_before=T0, data={"crm": "C-1"}, source="mqtt"
            ),
        ),
    ],
)
def test_each_kind_becomes_the_engine_command(kind: str, fields: dict[str, Any], command: object) -> None:
    result = accepted(decoder().decode(kind, envelope(kind, command_body("r-1", NOW, **fields))))
    assert result.command == command
    assert (result.user, result.kind, result.request_id) == ("supervisor", kind, "r-1")


def test_a_read_user_may_not_command() -> None:
    reply = refused(
        decoder().decode("pause", envelope("pause", command_body("r-1", NOW, agent_id="1"), READER))
    )
    assert (reply.error, reply.request_id, reply.ok) == ("permission_denied", "r-1", False)
    assert "read permission" in reply.message


def test_a_wrong_secret_and_an_unknown_user_get_the_same_answer() -> None:
    body = command_body("r-1", NOW, agent_id="1")
    forged = refused(decoder().decode("pause", envelope("pause", body, secret="not-the-secret-at-all")))
    stranger = json.dumps({"user": "mallory", "body": json.dumps(body), "hmac": "0" * 64}).encode()
    unknown = refused(decoder().decode("pause", stranger))
    assert forged == unknown
    assert forged.error == "authentication_failed"


def test_a_signature_is_bound_to_the_command_kind() -> None:
    signed_for_unpause = envelope("unpause", command_body("r-1", NOW, agent_id="1"))
    assert refused(decoder().decode("logout", signed_for_unpause)).error == "authentication_failed"


def test_a_signature_is_bound_to_the_body() -> None:
    original = json.loads(envelope("pause", command_body("r-1", NOW, agent_id="1")))
    original["body"] = original["body"].replace('"1"', '"2"')
    assert refused(decoder().decode("pause", json.dumps(original).encode())).error == "authentication_failed"


@pytest.mark.parametrize(
    ("payload", "error", "fragment"),
    [
        (b"{not json", "invalid_json", "not JSON"),
        (b"\xff\xfe", "invalid_json", "not JSON"),
        (b"[]", "invalid_envelope", "must be an object"),
        (b'{"user": "supervisor"}', "invalid_envelope", 'missing required field "body"'),
        (
            b'{"user": "supervisor", "body": "{}", "hmac": "xyz", "secret": "x"}',
            "invalid_envelope",
            '"secret"',
        ),
        (b"[" * 70_000, "invalid_envelope", "larger than 65536 bytes"),
        (b"[" * 60_000, "invalid_json", "not JSON"),  # too deep for the parser: refused, not a crash
    ],
)
def test_malformed_envelopes(payload: bytes, error: str, fragment: str) -> None:
    reply = refused(decoder().decode("pause", payload))
    assert reply.error == error
    assert fragment in reply.message
    assert reply.request_id is None  # replied on .../command/reply/_unattributed


def test_unknown_command_kind_is_named_in_the_reply() -> None:
    reply = refused(decoder().decode("dance", envelope("dance", command_body("r-9", NOW))))
    assert reply.error == "unknown_command"
    assert "'dance'" in reply.message
    assert "pause" in reply.message
    assert reply.request_id == "r-9"  # the request id is still readable: the client hears back


def test_missing_and_wrong_fields_are_listed() -> None:
    reply = refused(decoder().decode("login", envelope("login", command_body("r-1", NOW, paused="no"))))
    assert reply.error == "invalid_command"
    assert 'missing required field "agent_id"' in reply.message
    assert '"paused" must be true or false' in reply.message


def test_a_signed_body_that_is_not_json() -> None:
    payload = json.dumps(
        {"user": "supervisor", "body": "{oops", "hmac": sign(CONTROL.secret, "pause", "{oops")}
    ).encode()
    assert refused(decoder().decode("pause", payload)).error == "invalid_json"


def test_an_impossible_date_is_refused() -> None:
    body = command_body("r-1", NOW, agent_id="1") | {"ts": "2026-13-45T25:00:00Z"}
    reply = refused(decoder().decode("pause", envelope("pause", body)))
    assert (reply.error, reply.message) == ("invalid_command", "a date-time field is not a valid date")


def test_stale_and_replayed_commands() -> None:
    checks = decoder()
    old = command_body("r-1", NOW - 301, agent_id="1")
    assert refused(checks.decode("pause", envelope("pause", old))).error == "stale"
    future = command_body("r-2", NOW + 301, agent_id="1")
    assert refused(checks.decode("pause", envelope("pause", future))).error == "stale"
    fresh = envelope("pause", command_body("r-3", NOW - 299, agent_id="1"))
    accepted(checks.decode("pause", fresh))
    assert refused(checks.decode("pause", fresh)).error == "replayed"
    # Request ids are per user: another user may use the same one.
    other = CommandUser("night-supervisor", "night-secret-0123456789", "control")
    both = CommandDecoder((CONTROL, other), max_age=300.0, clock=lambda: NOW)
    accepted(both.decode("pause", envelope("pause", command_body("r-3", NOW, agent_id="1"))))
    accepted(both.decode("pause", envelope("pause", command_body("r-3", NOW, agent_id="1"), other)))


# ---------------------------------------------------------------- the service


class Replies:
    def __init__(self) -> None:
        self.got: list[CommandReply] = []

    def __call__(self, reply: CommandReply) -> None:
        self.got.append(reply)


def service(center: FakeCenter, replies: Replies, max_concurrent: int = 8) -> CommandService:
    return CommandService(center, decoder(), replies, max_concurrent=max_concurrent)


async def test_an_accepted_command_reaches_the_engine_and_its_result_is_replied() -> None:
    center, replies = FakeCenter(), Replies()
    center.result = CommandResult(True, "callback queued", reference="cb-12")
    commands = service(center, replies)
    commands.submit("callback", envelope("callback", command_body("r-1", NOW, number="0123", queue="sales")))
    await wait_until(lambda: bool(replies.got))
    assert center.commands == [RequestCallback("0123", "sales", source="mqtt")]
    assert replies.got == [
        CommandReply("r-1", "callback", ok=True, message="callback queued", reference="cb-12")
    ]
    assert (commands.accepted, commands.refused) == (1, 0)


async def test_an_engine_refusal_is_replied_as_rejected() -> None:
    center, replies = FakeCenter(), Replies()
    center.result = CommandResult(False, "agent 9 is not logged in")
    service(center, replies).submit("pause", envelope("pause", command_body("r-1", NOW, agent_id="9")))
    await wait_until(lambda: bool(replies.got))
    assert replies.got[0].error == "rejected"
    assert replies.got[0].message == "agent 9 is not logged in"


async def test_an_engine_crash_is_replied_as_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakeCenter):
        async def command(self, command: Command) -> CommandResult:
            raise RuntimeError("boom")

    replies = Replies()
    service(Broken(), replies).submit("pause", envelope("pause", command_body("r-1", NOW, agent_id="1")))
    await wait_until(lambda: bool(replies.got))
    assert replies.got[0].error == "internal_error"
    assert "boom" not in replies.got[0].message  # details go to the log, not to clients
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_too_many_commands_in_progress_are_refused_as_busy() -> None:
    center, replies = FakeCenter(), Replies()
    center.gate = asyncio.Event()
    commands = service(center, replies, max_concurrent=1)
    commands.submit("pause", envelope("pause", command_body("r-1", NOW, agent_id="1")))
    commands.submit("pause", envelope("pause", command_body("r-2", NOW, agent_id="2")))
    assert [(r.request_id, r.error) for r in replies.got] == [("r-2", "busy")]
    center.gate.set()
    await wait_until(lambda: len(replies.got) == 2)
    assert replies.got[1].request_id == "r-1"
    assert replies.got[1].ok


async def test_close_cancels_commands_in_progress() -> None:
    center, replies = FakeCenter(), Replies()
    center.gate = asyncio.Event()
    commands = service(center, replies)
    commands.submit("pause", envelope("pause", command_body("r-1", NOW, agent_id="1")))
    await wait_until(lambda: bool(center.commands))
    await commands.close()
    assert replies.got == []


async def test_secrets_and_signatures_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    center, replies = FakeCenter(), Replies()
    commands = service(center, replies)
    payloads = [
        envelope("pause", command_body("r-1", NOW, agent_id="1")),
        envelope("pause", command_body("r-2", NOW, agent_id="1"), READER),
        envelope("pause", command_body("r-3", NOW, agent_id="1"), secret=CONTROL.secret + "x"),
        envelope("pause", command_body("r-1", NOW, agent_id="1")),  # replayed
        envelope("pause", command_body("r-4", NOW - 9999, agent_id="1")),  # stale
    ]
    for payload in payloads:
        commands.submit("pause", payload)
    await wait_until(lambda: len(replies.got) == len(payloads))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "r-2" in logged  # the refusals were logged…
    for payload in payloads:
        assert json.loads(payload)["hmac"] not in logged  # …without signatures,
    assert CONTROL.secret not in logged  # secrets
    assert READER.secret not in logged
    assert "agent_id" not in logged  # or bodies
    for reply in replies.got:
        assert CONTROL.secret not in reply.message


class ListenerPermission(enum.StrEnum):
    """Like the AMI listener's permission type: a str enum."""

    READ = "read"
    CONTROL = "control"


@dataclass(frozen=True)
class ListenerUser:
    """Shaped like the AMI listener's user records, so the daemon can share one user list."""

    username: str
    secret: str = field(repr=False)
    permission: ListenerPermission = ListenerPermission.READ


def test_the_ami_listener_users_serve_as_they_are() -> None:
    boss = ListenerUser("boss", "boss-secret-0123456789", ListenerPermission.CONTROL)
    viewer = ListenerUser("viewer", "viewer-secret-0123456789")
    config = MqttConfig(users=(boss, viewer))
    checks = CommandDecoder(config.users, max_age=300.0, clock=lambda: NOW)
    body = command_body("r-1", NOW, agent_id="1")
    assert accepted(checks.decode("pause", envelope("pause", body, boss))).user == "boss"
    reply = refused(checks.decode("pause", envelope("pause", body, viewer)))
    assert (reply.error, reply.message) == ("permission_denied", "user 'viewer' has read permission only")


def test_a_short_secret_is_refused_whatever_the_user_type() -> None:
    with pytest.raises(ValueError, match="'legacy': secret must have at least 16 characters"):
        MqttConfig(users=(ListenerUser("legacy", "short", ListenerPermission.CONTROL),))
