"""The run-time validator of command payloads agrees with jsonschema on our schemas."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema  # ships no hints; see helpers.py
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_acd.mqtt import validation
from ivr_acd.mqtt.schemas import COMMAND_ENVELOPE, COMMANDS, REQUEST_ID_PATTERN, Schema
from tests.mqtt.helpers import T0, command_body

RUNTIME_SCHEMAS: dict[str, Schema] = {"envelope": COMMAND_ENVELOPE} | COMMANDS

GOOD: dict[str, dict[str, Any]] = {
    "login": command_body("r-1", T0, agent_id="1001", device="PJSIP/1001-desk", paused=True, reason="start"),
    "logout": command_body("r-2", T0, agent_id="1001"),
    "pause": command_body("r-3", T0, agent_id="1001", reason="lunch"),
    "unpause": command_body("r-4", T0, agent_id="1001"),
    "callback": command_body(
        "r-5", T0, number="+33123456789", queue="sales", name="Dupont", not_before=None, data={"crm": "C-1"}
    ),
    "envelope": {"user": "supervisor", "body": "{}", "hmac": "0" * 64},
}


def subschemas(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield schema
    for key in ("properties",):
        for child in schema.get(key, {}).values():
            yield from subschemas(child)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), Mapping):
            yield from subschemas(schema[key])


@pytest.mark.parametrize("name", sorted(RUNTIME_SCHEMAS))
def test_runtime_schemas_use_only_implemented_keywords(name: str) -> None:
    for schema in subschemas(RUNTIME_SCHEMAS[name]):
        assert set(schema) <= validation.SUPPORTED, set(schema) - validation.SUPPORTED


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_payloads_pass_both(name: str) -> None:
    assert validation.errors(GOOD[name], RUNTIME_SCHEMAS[name]) == []
    jsonschema.Draft202012Validator(RUNTIME_SCHEMAS[name]).validate(GOOD[name])


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("pause", {"agent_id": None}, 'missing required field "agent_id"'),
        ("pause", {"agent_id": 1001}, '"agent_id" must be a string'),
        ("pause", {"agent_id": ""}, '"agent_id" must not be empty'),
        ("pause", {"colour": "red"}, 'unexpected field "colour"'),
        ("pause", {"request_id": "a/b"}, '"request_id" is malformed'),
        ("pause", {"request_id": "r-1\n"}, '"request_id" is malformed'),
        ("pause", {"request_id": "_unattributed"}, '"request_id" is malformed'),
        ("pause", {"ts": "yesterday"}, '"ts" is malformed'),
        ("login", {"paused": "yes"}, '"paused" must be true or false'),
        ("callback", {"number": "call me"}, '"number" is malformed'),
        ("callback", {"data": {"crm": 7}}, '"data.crm" must be a string'),
        ("callback", {"not_before": 5}, '"not_before" must be a string or null'),
        ("callback", {"data": {f"k{i}": "v" for i in range(40)}}, '"data" must have at most 32 fields'),
        ("envelope", {"hmac": "A" * 64}, '"hmac" is malformed'),
        ("envelope", {"body": None}, 'missing required field "body"'),
    ],
)
def test_bad_payloads_fail_both_with_a_clear_message(name: str, change: dict[str, Any], message: str) -> None:
    value = {k: v for k, v in GOOD[name].items() if change.get(k, "") is not None} | {
        k: v for k, v in change.items() if v is not None
    }
    problems = validation.errors(value, RUNTIME_SCHEMAS[name])
    assert any(message in problem for problem in problems), problems
    if not any(isinstance(v, str) and v.endswith("\n") for v in value.values()):
        # (jsonschema's Python "$" accepts a final newline; ours follows ECMA-262 like the spec.)
        assert not jsonschema.Draft202012Validator(RUNTIME_SCHEMAS[name]).is_valid(value)


def test_not_an_object() -> None:
    assert validation.errors([1], COMMANDS["pause"]) == ["the command must be an object"]


def test_an_unknown_keyword_is_refused_not_ignored() -> None:
    with pytest.raises(validation.SchemaError, match="oneOf"):
        validation.errors({}, {"oneOf": []})


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=70)
    | st.from_regex(REQUEST_ID_PATTERN, fullmatch=True),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def has_final_newline(value: object) -> bool:
    if isinstance(value, str):
        return value.endswith("\n")
    if isinstance(value, dict):
        return any(has_final_newline(v) for v in value.values())
    if isinstance(value, list):
        return any(has_final_newline(v) for v in value)
    return False


FIELDS = sorted({field for payload in GOOD.values() for field in payload})


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(sorted(GOOD)),
    drop=st.sets(st.sampled_from(FIELDS), max_size=2),
    set_key=st.sampled_from([*FIELDS, "unknown"]),
    set_value=json_values,
    mutate=st.booleans(),
)
def test_agrees_with_jsonschema_on_mutated_payloads(
    name: str, drop: set[str], set_key: str, set_value: object, mutate: bool
) -> None:
    value = {k: v for k, v in GOOD[name].items() if k not in drop}
    if mutate:
        value[set_key] = set_value
    if has_final_newline(value):
        return  # the one documented difference: see test_bad_payloads_fail_both_with_a_clear_message
    ours = validation.errors(value, RUNTIME_SCHEMAS[name]) == []
    theirs = jsonschema.Draft202012Validator(RUNTIME_SCHEMAS[name]).is_valid(value)
    assert ours == theirs, (value, validation.errors(value, RUNTIME_SCHEMAS[name]))
