"""`ivr-acd schema`: the JSON Schema (draft 2020-12) of the dialplan language.

Editors use it through the YAML language server for completion and inline errors; the first
line of a dialplan points at it:

    # yaml-language-server: $schema=../docs/dialplan.schema.json

The schema is built from the same key tables as the compiler (the tests hold them together).
The compiler remains the authority: it also checks what a schema cannot (targets, loops...).
"""

from __future__ import annotations

import json
from typing import Any

from ivr.compiler.document import TOP_KEYS
from ivr.compiler.kinds import COMMON_STEP_KEYS, STEP_KINDS
from ivr.compiler.prompts import AUDIO_EXTENSIONS
from ivr.model import CALLBACK_OUTCOMES, QUEUE_EXITS
from ivr.names import DIALPLAN_NAME, LANGUAGE_CODE, STEP_ID, VARIABLE_NAME

Schema = dict[str, Any]

SCHEMA_PATH = "docs/dialplan.schema.json"
_INTERVAL = r"^\s*[0-2]?[0-9]:[0-5][0-9]\s*-\s*[0-2]?[0-9]:[0-5][0-9]\s*$"


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _pattern(regex: str) -> str:
    return f"^{regex}$"


def _seconds(low: float, high: float, default: float, what: str) -> Schema:
    return {"type": "number", "minimum": low, "maximum": high, "default": default, "description": what}


def _int(low: int, high: int, default: int, what: str) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high, "default": default, "description": what}


def _obj(properties: Schema, required: list[str] | None = None, what: str = "") -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    if what:
        schema["description"] = what
    return schema


def _target(what: str) -> Schema:
    return {"$ref": "#/$defs/stepId", "description": what}


def _outcomes(outcomes: tuple[str, ...]) -> Schema:
    return {
        "type": "object",
        "properties": {key: _ref("stepId") for key in outcomes},
        "additionalProperties": False,
    }


def _definitions() -> Schema:
    prompt_item_forms = [
        _obj({"sound": {"type": "string"}}, ["sound"], "a sound file"),
        _obj({"say_number": _ref("expression")}, ["say_number"], "say a whole number"),
        _obj({"say_digits": _ref("expression")}, ["say_digits"], "say digits one by one"),
        _obj(
            {"say_datetime": _ref("expression"), "timezone": {"type": "string"}},
            ["say_datetime"],
            "say a date and time (epoch seconds or ISO text)",
        ),
        _obj(
            {
                "say_amount": _ref("expression"),
                "decimals": _int(0, 4, 2, "decimal places"),
                "point_sound": {"type": "string", "default": "letters/dot"},
            },
            ["say_amount"],
            "say an amount: integer part, the point sound, then each decimal digit",
        ),
    ]
    hours_value: Schema = {
        "anyOf": [
            {"const": "closed"},
            {"type": "string", "pattern": _INTERVAL},
            {"type": "array", "items": {"type": "string", "pattern": _INTERVAL}},
        ],
        "description": 'closed, "HH:MM-HH:MM" or a list of them',
    }
    return {
        "stepId": {"type": "string", "pattern": _pattern(STEP_ID.pattern), "description": "the id of a step"},
        "variableName": {"type": "string", "pattern": _pattern(VARIABLE_NAME.pattern)},
        "expression": {
            "type": ["string", "number", "boolean", "null"],
            "description": 'an expression, e.g. customer.vip and caller.number startswith "+33"',
        },
        "promptItem": {
            "anyOf": [{"type": "string", "description": "a sound name, ${...} allowed"}, *prompt_item_forms]
        },
        "prompt": {"anyOf": [_ref("promptItem"), {"type": "array", "items": _ref("promptItem")}]},
        "promptList": {
            "anyOf": [_ref("promptItem"), {"type": "array", "items": _ref("prompt")}],
            "description": "escalating prompts: the n-th retry plays the n-th (the last repeats)",
        },
        "escalation": _obj(
            {"prompts": _ref("promptList"), "max": _int(1, 10, 3, "how many before on_failure")}
        ),
        "hours": hours_value,
        "json": {"description": "JSON; text may contain ${...}"},
    }


def _kind_values() -> dict[str, Schema]:
    menu = _obj(
        {
            "prompt": _ref("prompt"),
            "options": {
                "type": "object",
                "propertyNames": {"pattern": "^[0-9*#]$"},
                "additionalProperties": _ref("stepId"),
                "minProperties": 1,
                "description": 'key → step; quote the keys: "1", "*", "#"',
            },
            "timeout": _seconds(1, 60, 5, "seconds to wait for the first key after the prompt"),
            "no_input": _ref("escalation"),
            "no_match": _ref("escalation"),
            "on_failure": _target("where to go when a counter runs out (default: the next step)"),
        },
        ["options"],
    )
    validate = {
        "anyOf": [
            {"enum": ["luhn", "phone"]},
            _obj(
                {
                    "regex": {"type": "string"},
                    "luhn": {"type": "boolean"},
                    "phone": {
                        "anyOf": [
                            {"type": "boolean"},
                            _obj({"min_length": _int(1, 20, 6, ""), "max_length": _int(1, 20, 15, "")}),
                        ]
                    },
                }
            ),
        ]
    }
    collect = _obj(
        {
            "variable": _ref("variableName"),
            "prompt": _ref("prompt"),
            "min_length": _int(1, 64, 1, "fewest digits"),
            "max_length": _int(1, 64, 20, "most digits (reading stops there)"),
            "terminator": {"enum": ["#", "*", "none"], "default": "#"},
            "timeout": _seconds(1, 60, 5, "seconds for the first digit"),
            "inter_digit_timeout": _seconds(1, 30, 3, "seconds between digits"),
            "validate": validate,
            "read_back": {"type": "boolean", "default": False},
            "read_back_prompt": _ref("prompt"),
            "confirm": {"type": "boolean", "default": False, "description": "1 = correct, 2 = type again"},
            "confirm_prompt": _ref("prompt"),
            "attempts": _int(1, 10, 3, "tries before on_failure"),
            "no_input_prompt": _ref("prompt"),
            "invalid_prompt": _ref("prompt"),
            "on_failure": _target("where to go after the last failed try"),
            "sensitive": {
                "type": "boolean",
                "default": False,
                "description": "mask the value in every record",
            },
        },
        ["variable"],
    )
    survey = _obj(
        {
            "name": {
                "type": "string",
                "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                "description": "stored as survey.<name>",
            },
            "prompt": _ref("prompt"),
            "timeout": _seconds(1, 60, 5, "seconds for the first key"),
            "inter_digit_timeout": _seconds(1, 30, 2, "seconds to wait after 1 (for 10)"),
            "attempts": _int(1, 10, 2, "tries"),
            "invalid_prompt": _ref("prompt"),
            "thanks": _ref("prompt"),
            "on_failure": _target("where to go without a score"),
        },
        ["name", "prompt"],
    )
    hours = _obj(
        {
            "timezone": {"type": "string", "description": "default: the dialplan's timezone"},
            "weekly": {
                "type": "object",
                "propertyNames": {
                    "pattern": "^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$"
                },
                "additionalProperties": _ref("hours"),
                "description": "days (mon..sun, or ranges like mon-fri) → hours; days not listed are closed",
            },
            "holidays": {
                "type": "object",
                "propertyNames": {"pattern": "^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$"},
                "additionalProperties": _ref("hours"),
                "description": "YYYY-MM-DD (or MM-DD every year) → hours; wins over weekly",
            },
            "open": _ref("stepId"),
            "closed": _ref("stepId"),
        },
        ["weekly", "open", "closed"],
    )
    lookup = _obj(
        {
            "method": {"enum": ["GET", "POST"], "default": "GET"},
            "url": {
                "type": "string",
                "description": "${...} values are URL-encoded, except one opening the URL",
            },
            "body": _ref("json"),
            "timeout": _seconds(0.1, 30, 3, "seconds"),
            "set": {
                "type": "object",
                "propertyNames": _ref("variableName"),
                "additionalProperties": {"type": "string"},
                "description": "variable → dotted field of the reply",
            },
            "on_failure": _target("timeout, network error, non-2xx status or bad JSON"),
        },
        ["url"],
    )
    queue_long = _obj(
        {
            "name": {"type": "string"},
            "skills": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 5},
            },
            "priority": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 100}, {"type": "string"}]},
            "data": {
                "type": "array",
                "items": _ref("variableName"),
                "description": "variables for the screen pop",
            },
            "on": _outcomes(QUEUE_EXITS),
        },
        ["name"],
    )
    callback_long = _obj(
        {
            "queue": {"type": "string", "description": "the queue whose callback policy applies"},
            "on": _outcomes(CALLBACK_OUTCOMES),
        },
        ["queue"],
    )
    transfer_long = _obj(
        {
            "to": {"type": "string", "description": "an Asterisk dial string"},
            "number": {"type": "string"},
            "trunk": {"type": "string", "description": "a dial string containing ${transfer.number}"},
            "timeout": _seconds(1, 600, 30, "ring time in seconds"),
            "on_failure": _ref("stepId"),
        }
    )
    record = _obj(
        {
            "prompt": _ref("prompt"),
            "folder": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$"},
            "name": {"type": "string", "default": "${call.uniqueid}"},
            "format": {"enum": list(AUDIO_EXTENSIONS), "default": "wav"},
            "max_seconds": _int(1, 3600, 120, "longest message"),
            "beep": {"type": "boolean", "default": True},
            "silence": _int(0, 60, 5, "seconds of silence that end the recording (0: off)"),
            "tag": {"type": "string", "description": "category; ${...} allowed"},
            "on_failure": _ref("stepId"),
        },
        ["folder"],
    )
    flag: Schema = {"anyOf": [{"type": "null"}, {"const": True}, _obj({})]}
    return {
        "play": _ref("prompt"),
        "menu": menu,
        "collect": collect,
        "set": {
            "type": "object",
            "propertyNames": _ref("variableName"),
            "additionalProperties": _ref("expression"),
            "minProperties": 1,
        },
        "branch": {
            "type": "array",
            "minItems": 1,
            "items": {
                "anyOf": [
                    _obj({"if": _ref("expression"), "goto": _ref("stepId")}, ["if", "goto"]),
                    _obj({"else": _ref("stepId")}, ["else"]),
                ]
            },
        },
        "hours": hours,
        "language": {"type": "string", "description": "en, fr, pt_BR... or ${...}"},
        "lookup": lookup,
        "queue": {"anyOf": [{"type": "string"}, queue_long]},
        "callback": {"anyOf": [{"type": "string"}, callback_long]},
        "transfer": {"anyOf": [{"type": "string"}, transfer_long]},
        "record": record,
        "survey": survey,
        "hangup": flag,
        "goto": _ref("stepId"),
        "call": {"type": "string", "pattern": _pattern(DIALPLAN_NAME.pattern)},
        "return": flag,
        "split": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 100},
            "description": "step → percentage; they add up to 100",
        },
    }


_STEP_KEY_SCHEMAS: dict[str, Schema] = {
    "next": _target("where to go after this step (default: the step written after it)"),
    "barge_in": {"type": "boolean", "default": False, "description": "a key stops the playback"},
    "note": {"type": "string", "description": "free text for the people who read the dialplan"},
}


def schema_json() -> Schema:
    """The JSON Schema of a dialplan file."""
    values = _kind_values()
    variants = []
    for kind, spec in STEP_KINDS.items():
        properties = {kind: values[kind]} | {
            key: _STEP_KEY_SCHEMAS[key] for key in (*spec.step_keys, *COMMON_STEP_KEYS)
        }
        variants.append(_obj(properties, [kind], f"{kind}: {spec.summary}"))
    definitions = _definitions() | {"step": {"oneOf": variants}}
    top = {
        "dialplan": {
            "type": "string",
            "pattern": _pattern(DIALPLAN_NAME.pattern),
            "description": "the dialplan's name (default: the file name)",
        },
        "description": {"type": "string"},
        "numbers": {
            "type": "array",
            "items": {"type": ["string", "integer"]},
            "description": "called numbers (DNIS) routed to this dialplan",
        },
        "language": {"type": "string", "pattern": _pattern(LANGUAGE_CODE.pattern)},
        "timezone": {"type": "string", "default": "UTC"},
        "variables": {
            "type": "object",
            "propertyNames": _ref("variableName"),
            "description": "initial values (literal, not expressions)",
        },
        "start": _target("the first step (default: the first one written)"),
        "on_error": _target("where to go when an expression fails at run time"),
        "steps": {
            "type": "object",
            "propertyNames": _ref("stepId"),
            "additionalProperties": _ref("step"),
            "minProperties": 1,
        },
    }
    assert set(top) == set(TOP_KEYS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ivr-acd dialplan",
        "description": "A YAML IVR dialplan for ivr-acd; see docs/dialplan-language.md.",
        "type": "object",
        "required": ["steps"],
        "additionalProperties": False,
        "properties": top,
        "$defs": definitions,
    }


def schema_text() -> str:
    """The schema as the JSON text written to docs/dialplan.schema.json."""
    return json.dumps(schema_json(), indent=2, ensure_ascii=False) + "\n"
