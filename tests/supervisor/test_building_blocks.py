"""The listener's pure parts: credentials, event masks, the action table, the outbox, config."""

from __future__ import annotations

import asyncio

import pytest

from ivr_acd.supervisor import actions
from ivr_acd.supervisor.auth import Authenticator, md5_key, new_challenge
from ivr_acd.supervisor.config import AmiUser, ListenerConfig, Permission
from ivr_acd.supervisor.control import ast_true, parse_when
from ivr_acd.supervisor.eventmask import ALL_EVENTS, EVENT_CLASSES, parse_event_mask, wants
from ivr_acd.supervisor.outbox import Outbox

USERS = [
    AmiUser("Wallboard", "read-secret", Permission.READ),
    AmiUser("boss", "ctl-secret", Permission.CONTROL),
]


def test_plain_login_is_case_insensitive_on_the_username_only() -> None:
    auth = Authenticator(USERS)
    assert auth.check_plain("wallboard", "read-secret") is USERS[0]
    assert auth.check_plain("WALLBOARD", "read-secret") is USERS[0]
    assert auth.check_plain("wallboard", "READ-SECRET") is None
    assert auth.check_plain("nobody", "read-secret") is None
    assert auth.check_plain("boss", "") is None
    assert auth.check_plain("boss", "ctl-secrét") is None  # non-ASCII must not raise


def test_md5_login_needs_the_challenge_it_answers() -> None:
    auth = Authenticator(USERS)
    challenge = new_challenge()
    assert challenge.isdigit()
    key = md5_key(challenge, "ctl-secret")
    assert auth.check_md5("boss", challenge, key) is USERS[1]
    assert auth.check_md5("boss", challenge, key.upper()) is USERS[1]
    assert auth.check_md5("boss", None, key) is None  # no Challenge asked for
    assert auth.check_md5("boss", challenge + "1", key) is None
    assert auth.check_md5("boss", challenge, md5_key(challenge, "read-secret")) is None
    assert auth.check_md5("ghost", challenge, key) is None


def test_secrets_stay_out_of_repr_and_config_is_validated() -> None:
    assert "read-secret" not in repr(USERS[0])
    assert "read-secret" not in repr(ListenerConfig(users=tuple(USERS)))
    assert AmiUser("u", "s", "control").permission is Permission.CONTROL  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secret"):
        AmiUser("u", "")
    with pytest.raises(ValueError):
        AmiUser("u", "s", "admin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="username"):
        AmiUser("a:b", "s")
    with pytest.raises(ValueError, match="distinct"):
        ListenerConfig(users=(AmiUser("X", "1"), AmiUser("x", "2")))
    with pytest.raises(ValueError, match="max_connections"):
        ListenerConfig(users=(), max_connections=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on", ALL_EVENTS),
        ("YES", ALL_EVENTS),
        ("off", 0),
        ("false", 0),
        ("agent", EVENT_CLASSES["agent"]),
        ("call, agent", EVENT_CLASSES["agent"] | EVENT_CLASSES["call"]),
        ("all", ALL_EVENTS),
        ("nonsense", 0),
        ("32", EVENT_CLASSES["agent"]),
        ("1", EVENT_CLASSES["system"]),  # digits are a bit mask first, as in manager.c
        ("", None),
        ("9" * 40, None),
    ],
)
def test_event_masks_read_like_asterisk(text: str, expected: int | None) -> None:
    assert parse_event_mask(text) == expected


def test_wants_needs_every_class_of_the_privilege() -> None:
    agent = EVENT_CLASSES["agent"]
    assert wants(ALL_EVENTS, "agent,all")
    assert wants(agent, "agent,all")
    assert not wants(EVENT_CLASSES["call"], "agent,all")
    assert not wants(ALL_EVENTS, "")


def test_action_table() -> None:
    login = actions.lookup("LOGIN")
    pause = actions.lookup("queuepause")
    status = actions.lookup(" QueueStatus ")
    assert login is not None
    assert pause is not None
    assert status is not None
    assert actions.allowed(login, None)
    assert not actions.allowed(status, None)
    assert actions.allowed(status, Permission.READ)
    assert not actions.allowed(pause, Permission.READ)
    assert actions.allowed(pause, Permission.CONTROL)
    assert actions.lookup("Originate") is None
    read_names = [name for name, _ in actions.listing(Permission.READ)]
    assert "QueuePause" not in read_names
    assert "QueueStatus" in read_names
    assert ("QueuePause", "Makes a queue member temporarily unavailable. (Priv: agent)") in actions.listing(
        Permission.CONTROL
    )


def test_ast_true_and_when() -> None:
    assert all(ast_true(v) for v in ("1", "yes", "TRUE", "on", " y "))
    assert not any(ast_true(v) for v in ("0", "no", "", None, "paused"))
    assert parse_when("1795400000") == 1795400000.0
    assert parse_when("2026-11-22T14:00:00+00:00") == 1795356000.0
    for bad in ("soon", "nan", "-5", "inf"):
        with pytest.raises(ValueError):
            parse_when(bad)


async def test_outbox_offer_never_waits_and_overflows() -> None:
    box = Outbox(max_bytes=10)
    assert box.offer(b"12345")
    assert box.offer(b"12345")
    assert not box.offer(b"1")  # full: the caller drops the client
    assert await box.get() == b"1234512345"
    assert box.offer(b"1")


async def test_outbox_put_waits_for_room_and_an_answer_does_not_count_against_events() -> None:
    box = Outbox(max_bytes=10)
    await box.put(b"x" * 50)  # one answer may exceed the bound alone
    assert box.offer(b"event")  # ...without making the next event look like an overflow
    waiting = asyncio.create_task(box.put(b"second"))
    await asyncio.sleep(0)
    assert not waiting.done()
    assert await box.get() == b"x" * 50 + b"event"
    await waiting
    assert await box.get() == b"second"


async def test_outbox_close_drains_or_discards() -> None:
    box = Outbox(max_bytes=100)
    box.offer(b"a")
    box.close()
    assert not box.offer(b"b")
    assert await box.get() == b"a"
    assert await box.get() is None
    dropped = Outbox(max_bytes=100)
    dropped.offer(b"a")
    dropped.close(discard=True)
    assert await dropped.get() is None
