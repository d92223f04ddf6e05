"""JSON Schemas (draft 2020-12) of every MQTT payload: the contract with subscribers.

The schemas live here, as data, because the command schemas are also enforced at run time
(:mod:`ivr_acd.mqtt.validation`) and docs/mqtt/ is not installed with the package. The files
under docs/mqtt/ are generated from this module (:mod:`ivr_acd.mqtt.schema_files`) and a test
keeps them identical.
"""

from __future__ import annotations

from ivr_acd.mqtt.payloads import SCHEMA_VERSION

Schema = dict[str, object]

DRAFT = "https://json-schema.org/draft/2020-12/schema"

AGENT_STATES = ("logged_out", "ready", "paused", "reserved", "ringing", "on_call", "wrap_up")

# Published timestamps are always UTC with milliseconds; commands may carry any offset.
_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
"""Also a topic level of the reply, hence no ``/``, ``+``, ``#``; never ``_unattributed``."""

_TIME: Schema = {"type": "string", "format": "date-time", "pattern": _TIME_PATTERN}
_STRING: Schema = {"type": "string"}
_COUNT: Schema = {"type": "integer", "minimum": 0}
_SECONDS: Schema = {"type": "number", "minimum": 0, "description": "seconds"}
_PERCENT_OR_NULL: Schema = {
    "type": ["number", "null"],
    "minimum": 0,
    "maximum": 100,
    "description": "percent; null before the first call of the day",
}
_ESTIMATE: Schema = {
    "type": ["number", "null"],
    "minimum": 0,
    "description": "seconds; null when nobody who could answer is logged in (no honest number exists)",
}
_STRING_MAP: Schema = {"type": "object", "additionalProperties": {"type": "string"}}


def _object(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """A closed object: every property required unless listed in ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


_CALLER = _object(
    {
        "call_id": {"type": "string", "description": "the daemon's id of the call"},
        "channel": {"type": "string", "description": "Asterisk channel name"},
        "uniqueid": _STRING,
        "linkedid": _STRING,
        "number": {"type": "string", "description": "caller id number"},
        "name": {"type": "string", "description": "caller id name"},
    }
)
_AGENT = _object(
    {
        "agent_id": _STRING,
        "name": _STRING,
        "device": {"type": "string", "description": "the agent's phone (app_queue's Interface)"},
    }
)


def _published(name: str, title: str, description: str, body: dict[str, Schema]) -> Schema:
    """A payload the bridge publishes: the common header, then ``body``."""
    header: dict[str, Schema] = {
        "type": {"const": name},
        "schema_version": {"const": SCHEMA_VERSION},
        "at": _TIME | {"description": "when this was true (UTC)"},
    }
    return {
        "$schema": DRAFT,
        "$id": f"urn:ivr-acd:mqtt:{name}:{SCHEMA_VERSION}",
        "title": title,
        "description": description,
    } | _object(header | body)


def _call_event(name: str, title: str, extra: dict[str, Schema]) -> Schema:
    return _published(
        name,
        title,
        f"Published on <prefix>/queue/<queue>/call/<event> when {title[0].lower()}{title[1:]}.",
        {"queue": _STRING, "caller": _CALLER} | extra,
    )


PUBLISHED: dict[str, Schema] = {
    "queue_stats": _published(
        "queue_stats",
        "Queue statistics",
        "Retained on <prefix>/queue/<queue>/stats: the queue now and its counters since local midnight.",
        {
            "queue": _STRING,
            "strategy": _STRING,
            "max_size": _COUNT | {"description": "0 when unlimited"},
            "service_level_seconds": _COUNT,
            "waiting": _COUNT,
            "longest_wait": _SECONDS,
            "estimated_wait": _ESTIMATE,
            "callbacks_pending": _COUNT,
            "offered": _COUNT,
            "answered": _COUNT,
            "abandoned": _COUNT,
            "answered_within_sl": _COUNT,
            "abandoned_within_sl": _COUNT,
            "service_level": _PERCENT_OR_NULL,
            "abandon_rate": _PERCENT_OR_NULL,
            "average_hold": _SECONDS,
            "average_talk": _SECONDS,
            "staffed": _COUNT,
            "ready": _COUNT,
            "on_call": _COUNT,
            "paused": _COUNT,
            "wrap_up": _COUNT,
            "ringing": _COUNT,
        },
    ),
    "agent_state": _published(
        "agent_state",
        "Agent state",
        "Retained on <prefix>/agent/<agent_id>/state.",
        {
            "agent_id": _STRING,
            "name": _STRING,
            "device": _STRING,
            "state": {"enum": list(AGENT_STATES)},
            "previous_state": {
                "type": ["string", "null"],
                "description": "null when re-published from a snapshot after a reconnect",
            },
            "since": _TIME,
            "reason": {"type": "string", "description": "pause reason, or why the state changed"},
            "queues": {"type": "array", "items": _STRING},
            "calls_today": _COUNT,
        },
    ),
    "agent_offer": _published(
        "agent_offer",
        "Call offered to an agent (screen pop)",
        "Published on <prefix>/agent/<agent_id>/offer while the agent's phone rings.",
        {
            "agent": _AGENT,
            "queue": _STRING,
            "caller": _CALLER,
            "waited": _SECONDS,
            "is_callback": {"type": "boolean"},
            "data": _STRING_MAP
            | {
                "description": "the screen pop: IVR variables (choices, lookup results) named by the queue step"
            },
        },
    ),
    "call_joined": _call_event(
        "call_joined",
        "A caller joined a queue",
        {
            "position": _COUNT,
            "count": _COUNT,
            "priority": {"type": "integer"},
            "estimated_wait": _ESTIMATE,
            "is_callback": {"type": "boolean"},
        },
    ),
    "call_left": _call_event(
        "call_left",
        "A caller left a queue",
        {"position": _COUNT, "count": _COUNT, "reason": _STRING},
    ),
    "call_abandoned": _call_event(
        "call_abandoned",
        "A caller hung up while waiting",
        {"position": _COUNT, "original_position": _COUNT, "hold_time": _SECONDS},
    ),
    "agent_called": _call_event(
        "agent_called",
        "An agent's phone rings for a call",
        {"agent": _AGENT, "waited": _SECONDS, "is_callback": {"type": "boolean"}},
    ),
    "agent_ring_no_answer": _call_event(
        "agent_ring_no_answer",
        "An agent did not answer",
        {
            "agent": _AGENT,
            "ring_time": _SECONDS,
            "outcome": {"type": "string", "description": "no_answer, busy, unreachable, …"},
        },
    ),
    "agent_connected": _call_event(
        "agent_connected",
        "A caller and an agent are talking",
        {"agent": _AGENT, "hold_time": _SECONDS, "ring_time": _SECONDS},
    ),
    "agent_completed": _call_event(
        "agent_completed",
        "A conversation ended",
        {
            "agent": _AGENT,
            "hold_time": _SECONDS,
            "talk_time": _SECONDS,
            "reason": {"enum": ["caller", "agent"], "description": "who hung up first"},
        },
    ),
    "callback_changed": _published(
        "callback_changed",
        "Callback request changed",
        "Published on <prefix>/queue/<queue>/callback when a callback request is created or changes status.",
        {
            "callback_id": _STRING,
            "queue": _STRING,
            "number": _STRING,
            "status": _STRING,
            "attempts": _COUNT,
            "agent_id": {"type": ["string", "null"]},
        },
    ),
    "status": _published(
        "status",
        "Daemon status",
        "Retained on <prefix>/status; the broker publishes online=false as the daemon's last will.",
        {"online": {"type": "boolean"}},
    ),
    "command_reply": _published(
        "command_reply",
        "Reply to a command",
        "Published on <prefix>/command/reply/<request_id> (or .../_unattributed).",
        {
            "request_id": {"type": ["string", "null"]},
            "command": {"type": ["string", "null"]},
            "ok": {"type": "boolean"},
            "error": {
                "enum": [
                    None,
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
            },
            "message": _STRING,
            "reference": {"type": ["string", "null"], "description": "e.g. the callback id created"},
        },
    ),
}


# ---------------------------------------------------------------- commands (enforced at run time)


def _command_body(kind: str, title: str, fields: dict[str, Schema], optional: tuple[str, ...]) -> Schema:
    common: dict[str, Schema] = {
        "request_id": {
            "type": "string",
            "pattern": REQUEST_ID_PATTERN,
            "description": "chosen by the client, unique per user; the reply topic's last level",
        },
        "ts": _TIME | {"description": "when the client sent it; must be within command_max_age of ours"},
    }
    return {
        "$schema": DRAFT,
        "$id": f"urn:ivr-acd:mqtt:command-{kind}:{SCHEMA_VERSION}",
        "title": title,
        "description": f"The JSON text carried in the envelope's body on <prefix>/command/{kind}.",
    } | _object(common | fields, optional)


_AGENT_ID: Schema = {"type": "string", "minLength": 1, "maxLength": 64}
_REASON: Schema = {"type": "string", "maxLength": 64}

COMMAND_ENVELOPE: Schema = {
    "$schema": DRAFT,
    "$id": f"urn:ivr-acd:mqtt:command-envelope:{SCHEMA_VERSION}",
    "title": "Command envelope",
    "description": "What is published on <prefix>/command/<kind>: who sends it, the command as JSON text, its HMAC.",
} | _object(
    {
        "user": {"type": "string", "minLength": 1, "maxLength": 64},
        "body": {
            "type": "string",
            "minLength": 2,
            "maxLength": 16384,
            "description": "JSON text of the command",
        },
        "hmac": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "lowercase hex HMAC-SHA256, keyed with the user's secret, of '<kind>\\n<body>'",
        },
    }
)

COMMANDS: dict[str, Schema] = {
    "login": _command_body(
        "login",
        "Log an agent in",
        {
            "agent_id": _AGENT_ID,
            "device": {"type": "string", "minLength": 1, "maxLength": 128},
            "paused": {"type": "boolean"},
            "reason": _REASON,
        },
        optional=("device", "paused", "reason"),
    ),
    "logout": _command_body("logout", "Log an agent out", {"agent_id": _AGENT_ID}, optional=()),
    "pause": _command_body(
        "pause", "Pause an agent", {"agent_id": _AGENT_ID, "reason": _REASON}, optional=("reason",)
    ),
    "unpause": _command_body("unpause", "Unpause an agent", {"agent_id": _AGENT_ID}, optional=()),
    "callback": _command_body(
        "callback",
        "Request a callback",
        {
            "number": {"type": "string", "pattern": r"^\+?[0-9]{2,32}$"},
            "queue": {"type": "string", "minLength": 1, "maxLength": 64},
            "name": {"type": "string", "maxLength": 128},
            "not_before": {
                "type": ["string", "null"],
                "format": "date-time",
                "pattern": _TIME_PATTERN,
                "description": "call back no earlier than this; null or absent: as soon as possible",
            },
            "data": _STRING_MAP | {"maxProperties": 32, "description": "shown in the agent's screen pop"},
        },
        optional=("name", "not_before", "data"),
    ),
}
