"""Reading `*.test.yaml` files into test cases (with positions, so failures point at them)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import Fields, expect_choice, expect_list, expect_map, expect_number, expect_text
from configlang.mark import Mark
from configlang.source import MapNode, Node, ScalarNode, load_yaml_file
from configlang.values import Value
from ivr.compiler.document import to_value
from ivr.interpreter.actions import CallbackOutcome
from ivr.model import CALLBACK_OUTCOMES

FILE_KEYS = ("dialplan", "cases")
CASE_KEYS = (
    "name",
    "dialplan",
    "caller",
    "caller_name",
    "dnis",
    "time",
    "language",
    "uniqueid",
    "channel",
    "request",
    "variables",
    "keys",
    "lookups",
    "queues",
    "callbacks",
    "dials",
    "record",
    "draws",
    "expect",
)
LOOKUP_KEYS = ("url", "method", "status", "json", "error")
EXPECT_KEYS = (
    "path",
    "path_starts",
    "path_contains",
    "outcome",
    "variables",
    "enqueued",
    "callback",
    "dialled",
    "recorded",
)
OUTCOMES = ("ivr_only", "queued", "answered", "transfer", "hangup_by_caller", "error")
DEFAULT_TIME = "2025-01-06T12:00:00+00:00"  # a Monday at noon
_KEY_TOKEN = re.compile(r"[0-9*#]+|timeout|hangup")


@dataclass(frozen=True, slots=True)
class LookupReply:
    """A scripted HTTP reply, chosen by URL pattern (`*` wildcards) and optional method."""

    url: str
    method: str | None
    status: int | None
    body: Value
    error: str | None


@dataclass(frozen=True, slots=True)
class QueueReply:
    """A scripted ACD outcome for one queue."""

    outcome: str
    next_step: str | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the run must show; None means "not checked"."""

    path: tuple[str, ...] | None = None
    path_starts: tuple[str, ...] | None = None
    path_contains: tuple[str, ...] | None = None
    outcome: str | None = None
    variables: Mapping[str, Value] = field(default_factory=dict)
    enqueued: Mapping[str, Value] = field(default_factory=dict)
    callback: str | None = None
    """The queue the last callback step asked for."""
    dialled: str | None = None
    recorded: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DialplanCase:
    """One scripted call."""

    name: str
    mark: Mark
    dialplan: str
    caller: str
    caller_name: str
    dnis: str
    time: datetime
    language: str
    uniqueid: str
    channel: str
    request: Mapping[str, str]
    variables: Mapping[str, Value]
    keys: tuple[str, ...]
    lookups: tuple[LookupReply, ...]
    queues: Mapping[str, QueueReply]
    callbacks: Mapping[str, CallbackOutcome]
    dials: Mapping[str, str]
    record_ok: bool
    record_seconds: float
    draws: tuple[float, ...]
    expect: Expectation


def default_dialplan(path: Path) -> str:
    """`main.test.yaml` tests the dialplan `main`."""
    name = path.name
    for suffix in (".test.yaml", ".test.yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def load_cases(path: Path, diags: Diagnostics) -> list[DialplanCase]:
    """The cases of one test file; problems go to `diags` (and the faulty case is left out)."""
    root = load_yaml_file(path, diags, str(path))
    if root is None:
        return []
    top = expect_map(root, DocPath(), diags, "a mapping with cases:")
    if top is None:
        return []
    fields = Fields(top, DocPath(), diags, where="the test file", allowed=FILE_KEYS, required=("cases",))
    dialplan = fields.text("dialplan", default_dialplan(path))
    cases_node = fields.value("cases")
    if cases_node is None:
        return []
    found: list[DialplanCase] = []
    for item, item_path in expect_list(cases_node, fields.at("cases"), diags, "a list of test cases") or []:
        errors = diags.error_count()
        case = _case(item, item_path, diags, dialplan)
        if case is not None and diags.error_count() == errors:
            found.append(case)
    return found


def _case(node: Node, path: DocPath, diags: Diagnostics, dialplan: str) -> DialplanCase | None:
    mapping = expect_map(node, path, diags, "a test case mapping with name:")
    if mapping is None:
        return None
    f = Fields(mapping, path, diags, where="a test case", allowed=CASE_KEYS, required=("name",))
    time_text = f.text("time", DEFAULT_TIME, what="an ISO date and time with its zone")
    moment = _time(time_text, f, diags)
    if moment is None:
        return None
    record_ok, record_seconds = _record(f, diags)
    return DialplanCase(
        name=f.text("name", "(unnamed)"),
        mark=mapping.mark,
        dialplan=f.text("dialplan", dialplan),
        caller=f.text("caller", ""),
        caller_name=f.text("caller_name", ""),
        dnis=f.text("dnis", ""),
        time=moment,
        language=f.text("language", ""),
        uniqueid=f.text("uniqueid", "1700000000.1"),
        channel=f.text("channel", "PJSIP/trunk-00000001"),
        request=_text_map(f, "request", diags),
        variables=_values(f, "variables", diags),
        keys=_keys(f, diags),
        lookups=_lookups(f, diags),
        queues=_queues(f, diags),
        callbacks=_callbacks(f, diags),
        dials=_text_map(f, "dials", diags),
        record_ok=record_ok,
        record_seconds=record_seconds,
        draws=_draws(f, diags),
        expect=_expect(f, diags),
    )


def _time(text: str, f: Fields, diags: Diagnostics) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        diags.error(
            f.mark("time"),
            f"time: expected an ISO date and time with its zone such as "
            f'"2025-06-02T10:00:00+02:00", got "{text}"',
            f.at("time"),
        )
        return None
    return moment


def _optional_map(f: Fields, key: str, diags: Diagnostics, what: str = "a mapping") -> MapNode | None:
    """The mapping under `key`; None when it is absent or (reported) not a mapping."""
    node = f.value(key)
    return expect_map(node, f.at(key), diags, what) if node is not None else None


def _text_map(f: Fields, key: str, diags: Diagnostics) -> dict[str, str]:
    mapping = _optional_map(f, key, diags)
    if mapping is None:
        return {}
    found: dict[str, str] = {}
    for entry in mapping.entries:
        text = expect_text(entry.value, f.at(key).key(entry.key), diags)
        if text is not None:
            found[entry.key] = text
    return found


def _values(f: Fields, key: str, diags: Diagnostics) -> dict[str, Value]:
    mapping = _optional_map(f, key, diags)
    return {entry.key: to_value(entry.value) for entry in mapping.entries} if mapping is not None else {}


def _keys(f: Fields, diags: Diagnostics) -> tuple[str, ...]:
    """`keys: "1 timeout 2"` or `keys: ["1", timeout, "4111#"]`: digits split into single keys."""
    node = f.value("keys")
    if node is None:
        return ()
    tokens: list[tuple[str, Node]] = []
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        tokens = [(token, node) for token in node.value.split()]
    else:
        for item, item_path in (
            expect_list(node, f.at("keys"), diags, 'a list of keys ("1", "123#", timeout, hangup)') or []
        ):
            text = expect_text(item, item_path, diags, 'a key ("1", "123#"), timeout or hangup')
            if text is not None:
                tokens.append((text, item))
    keys: list[str] = []
    for token, token_node in tokens:
        if not _KEY_TOKEN.fullmatch(token):
            diags.error(
                token_node.mark, f'keys: "{token}" is not keys (0-9 * #), timeout or hangup', f.at("keys")
            )
            continue
        keys.extend([token] if token in ("timeout", "hangup") else list(token))
    return tuple(keys)


def _lookups(f: Fields, diags: Diagnostics) -> tuple[LookupReply, ...]:
    node = f.value("lookups")
    if node is None:
        return ()
    found: list[LookupReply] = []
    for item, path in (
        expect_list(node, f.at("lookups"), diags, "a list of {url, status, json} replies") or []
    ):
        mapping = expect_map(item, path, diags)
        if mapping is None:
            continue
        sub = Fields(mapping, path, diags, where="a lookup reply", allowed=LOOKUP_KEYS, required=("url",))
        json_node = sub.value("json")
        error = sub.text("error")
        status = sub.integer("status", minimum=100, maximum=599)
        if status is None and error is None:
            status = 200
        found.append(
            LookupReply(
                url=sub.text("url", "*"),
                method=sub.text("method"),
                status=status,
                body=to_value(json_node) if json_node is not None else None,
                error=error,
            )
        )
    return tuple(found)


def _queues(f: Fields, diags: Diagnostics) -> dict[str, QueueReply]:
    mapping = _optional_map(f, "queues", diags, "a mapping of queue names to outcomes")
    if mapping is None:
        return {}
    found: dict[str, QueueReply] = {}
    for entry in mapping.entries:
        path = f.at("queues").key(entry.key)
        if isinstance(entry.value, MapNode):
            sub = Fields(
                entry.value,
                path,
                diags,
                where="a queue reply",
                allowed=("outcome", "next_step"),
                required=("outcome",),
            )
            found[entry.key] = QueueReply(sub.text("outcome", "answered"), sub.text("next_step"))
        else:
            outcome = expect_text(entry.value, path, diags, "an outcome such as answered or no_agents")
            if outcome is not None:
                found[entry.key] = QueueReply(outcome)
    return found


def _callbacks(f: Fields, diags: Diagnostics) -> dict[str, CallbackOutcome]:
    """`callbacks: {support: duplicate}`: how a callback step naming that queue ends."""
    mapping = _optional_map(f, "callbacks", diags, "a mapping of queue names to callback outcomes")
    if mapping is None:
        return {}
    found: dict[str, CallbackOutcome] = {}
    for entry in mapping.entries:
        match expect_choice(entry.value, f.at("callbacks").key(entry.key), diags, CALLBACK_OUTCOMES):
            case "booked" | "duplicate" | "failed" as outcome:
                found[entry.key] = outcome
    return found


def _record(f: Fields, diags: Diagnostics) -> tuple[bool, float]:
    mapping = _optional_map(f, "record", diags, "a mapping with ok and seconds")
    if mapping is None:
        return True, 8.0
    sub = Fields(mapping, f.at("record"), diags, where="record", allowed=("ok", "seconds"))
    return sub.boolean("ok", True), sub.number("seconds", 8.0, minimum=0)


def _draws(f: Fields, diags: Diagnostics) -> tuple[float, ...]:
    node = f.value("draws")
    if node is None:
        return ()
    found: list[float] = []
    for item, path in (
        expect_list(node, f.at("draws"), diags, "a list of numbers in [0, 1)", allow_single=True) or []
    ):
        value = expect_number(
            item, path, diags, "a number from 0 up to (not including) 1", minimum=0, maximum=0.999999
        )
        if value is not None:
            found.append(value)
    return tuple(found)


def _steps(node: Node | None, path: DocPath, diags: Diagnostics) -> tuple[str, ...] | None:
    if node is None:
        return None
    items = expect_list(node, path, diags, "a list of step ids (dialplan:step for a called dialplan)")
    if items is None:
        return None
    return tuple(
        text for item, item_path in items if (text := expect_text(item, item_path, diags)) is not None
    )


def _expect(f: Fields, diags: Diagnostics) -> Expectation:
    mapping = _optional_map(f, "expect", diags, "a mapping of expectations")
    if mapping is None:
        return Expectation()
    sub = Fields(mapping, f.at("expect"), diags, where="expect", allowed=EXPECT_KEYS)
    outcome = sub.choice("outcome", OUTCOMES, "") or None
    return Expectation(
        path=_steps(sub.value("path"), sub.at("path"), diags),
        path_starts=_steps(sub.value("path_starts"), sub.at("path_starts"), diags),
        path_contains=_steps(sub.value("path_contains"), sub.at("path_contains"), diags),
        outcome=outcome,
        variables=_values(sub, "variables", diags),
        enqueued=_values(sub, "enqueued", diags),
        callback=sub.text("callback", what="a queue name"),
        dialled=sub.text("dialled"),
        recorded=_values(sub, "recorded", diags),
    )
