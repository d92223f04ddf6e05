"""Payloads and topics without a broker: every builder's output against the committed schemas."""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # ships no hints; see helpers.py
import pytest

from acd.events import AgentCalled
from ivr_acd.mqtt import CommandUser, MqttConfig
from ivr_acd.mqtt.commands import CommandReply
from ivr_acd.mqtt.messages import MessageFactory
from ivr_acd.mqtt.payloads import iso_time
from ivr_acd.mqtt.schema_files import all_schemas, render
from ivr_acd.mqtt.topics import Topics, escape_level
from tests.mqtt.helpers import (
    ALICE,
    CALLER,
    SCHEMA_DIR,
    SCREEN_POP,
    T0,
    center_snapshot,
    scripted_events,
    validate_published,
)

TOPICS = Topics("site/ivr-acd")
FACTORY = MessageFactory(TOPICS)


def decoded(payload: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(payload)
    return value


def test_the_committed_schema_files_are_the_generated_ones() -> None:
    expected = all_schemas()
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(expected)
    for name, schema in expected.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(schema), (
            f"docs/mqtt/{name} is out of date: run `.venv/bin/python -m ivr_acd.mqtt.schema_files docs/mqtt`"
        )


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_every_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_event_payload_matches_its_schema() -> None:
    kinds = set()
    for event in scripted_events():
        for message in FACTORY.for_event(event):
            payload = decoded(message.payload)
            validate_published(payload)
            assert payload["schema_version"] == 1
            kinds.add(payload["type"])
    assert kinds == {
        "call_joined",
        "call_left",
        "call_abandoned",
        "agent_called",
        "agent_ring_no_answer",
        "agent_connected",
        "agent_completed",
        "agent_state",
        "agent_offer",
        "callback_changed",
    }


def test_retained_state_payloads_match_their_schemas() -> None:
    messages = FACTORY.retained_state(center_snapshot())
    assert all(m.retain for m in messages)
    assert [m.kind for m in messages] == [
        "status",
        "queue_stats",
        "queue_stats",
        "agent_state",
        "agent_state",
    ]
    for message in messages:
        validate_published(decoded(message.payload))
    stats = decoded(messages[1].payload)
    assert stats["service_level"] is None  # no call offered yet: no ratio, not 0 %


def test_replies_match_their_schema() -> None:
    replies = [
        CommandReply("r-1", "pause", ok=True, message="paused", reference=None),
        CommandReply(None, "dance", ok=False, message="unknown", error="unknown_command"),
        CommandReply("r-2", "callback", ok=True, message="queued", reference="cb-9"),
    ]
    for reply in replies:
        message = FACTORY.reply(reply, T0)
        assert message.topic == f"site/ivr-acd/command/reply/{reply.request_id or '_unattributed'}"
        assert not message.retain
        validate_published(decoded(message.payload))


def test_an_offer_goes_to_the_agent_with_the_screen_pop_and_the_queue_event_without_it() -> None:
    event = AgentCalled(T0, CALLER, "sales", ALICE, waited=42.0, screen_pop=SCREEN_POP)
    offer, call = FACTORY.for_event(event)
    assert offer.topic == "site/ivr-acd/agent/1001/offer"
    assert offer.kind == "agent_offer"
    body = decoded(offer.payload)
    assert body["data"] == SCREEN_POP
    assert body["caller"]["number"] == "+33123456789"
    assert body["caller"]["name"] == "Dupont"
    assert (body["queue"], body["waited"]) == ("sales", 42.0)
    assert call.topic == "site/ivr-acd/queue/sales/call/agent_called"
    assert "data" not in decoded(call.payload)  # customer data stays on the agent's topic


def test_topic_levels_are_escaped() -> None:
    assert escape_level("sales") == "sales"
    assert escape_level("support/eu") == "support%2Feu"
    assert escape_level("a+b#c%d") == "a%2Bb%23c%25d"
    assert escape_level("100%2F") != escape_level("100/")  # "%" is escaped too: no collisions
    assert TOPICS.queue_stats("support/eu") == "site/ivr-acd/queue/support%2Feu/stats"


def test_command_topics() -> None:
    assert TOPICS.command_filter == "site/ivr-acd/command/+"
    assert TOPICS.command_kind("site/ivr-acd/command/pause") == "pause"
    assert TOPICS.command_kind("site/ivr-acd/command/reply/r-1") is None
    assert TOPICS.command_kind("other/command/pause") is None
    assert TOPICS.command_reply(None) == "site/ivr-acd/command/reply/_unattributed"


def test_iso_time_is_utc_with_milliseconds() -> None:
    assert iso_time(T0 + 0.5) == "2026-09-21T14:13:20.500Z"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"prefix": "a/+/b"}, "without wildcards"),
        ({"prefix": "/ivr"}, "empty levels"),
        ({"prefix": "$SYS"}, "leading"),
        ({"qos": 3}, "qos"),
        ({"queue_size": 0}, "queue_size"),
        ({"stats_min_interval": 20.0, "stats_interval": 10.0}, "stats_min_interval"),
        (
            {"users": (CommandUser("a", "x" * 16, "read"), CommandUser("a", "y" * 16, "control"))},
            "defined twice",
        ),
    ],
)
def test_config_errors_are_clear(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MqttConfig(**overrides)


def test_command_user_errors_do_not_echo_the_secret() -> None:
    with pytest.raises(ValueError, match="at least 16") as caught:
        CommandUser("crm", "short-secret", "control")
    assert "short-secret" not in str(caught.value)
    with pytest.raises(ValueError, match="'read' or 'control'"):
        CommandUser("crm", "x" * 16, "admin")  # type: ignore[arg-type]


def test_secrets_stay_out_of_repr() -> None:
    config = MqttConfig(
        password="broker-password", users=(CommandUser("crm", "crm-secret-0123456789", "control"),)
    )
    assert "broker-password" not in repr(config)
    assert "crm-secret" not in repr(config)
    assert set(config.secrets()) == {"broker-password", "crm-secret-0123456789"}
