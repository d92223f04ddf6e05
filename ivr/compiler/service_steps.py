"""Steps served outside the IVR: lookup (HTTP), queue and callback (the ACD), transfer (Dial),
record."""

from __future__ import annotations

import re
from typing import Literal

from configlang.docpath import DocPath
from configlang.expect import Fields, expect_int, expect_list, expect_map, expect_text
from configlang.expressions import Expression, parse_template
from configlang.source import MapNode, Node, ScalarNode, SeqNode
from ivr.compiler.context import FileContext, Reference
from ivr.compiler.prompts import AUDIO_EXTENSIONS, compile_prompt
from ivr.compiler.stepsource import StepSource, options_of
from ivr.model import (
    CALLBACK_OUTCOMES,
    QUEUE_EXITS,
    CallbackStep,
    JsonTemplate,
    LookupStep,
    QueueStep,
    RecordStep,
    TransferStep,
)

LOOKUP_KEYS = ("method", "url", "body", "timeout", "set", "on_failure")
QUEUE_KEYS = ("name", "skills", "priority", "data", "on")
CALLBACK_KEYS = ("queue", "on")
TRANSFER_KEYS = ("to", "number", "trunk", "timeout", "on_failure")
RECORD_KEYS = ("prompt", "folder", "name", "format", "max_seconds", "beep", "silence", "tag", "on_failure")
JSON_PATH = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
QUEUE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
SKILL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def _target(ctx: FileContext, fields: Fields, key: str) -> str | None:
    node = fields.value(key)
    return ctx.target(node, fields.at(key)) if node is not None else None


def compile_lookup(ctx: FileContext, src: StepSource) -> LookupStep | None:
    """`lookup:` an HTTP GET or POST of JSON; `set` copies reply fields into variables."""
    fields = options_of(ctx, src, allowed=LOOKUP_KEYS, required=("url",))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    method = fields.choice("method", ("GET", "POST"), "GET")
    url_node = fields.value("url")
    url = ctx.template(url_node, fields.at("url"), "a URL") if url_node is not None else None
    if url is not None and not url.starts_with_expression():
        scheme = url.static_text().split(":", 1)[0].lower()
        if scheme not in ("http", "https") and url_node is not None:
            ctx.error(
                url_node.mark, "url: expected a URL starting with http:// or https://", fields.at("url")
            )
    body: JsonTemplate = None
    body_node = fields.value("body")
    if body_node is not None:
        if method == "GET":
            ctx.error(body_node.mark, "body: a GET request has no body; use method: POST", fields.at("body"))
        body = _json_template(ctx, body_node, fields.at("body"))
    timeout = fields.number(
        "timeout", 3, minimum=0.1, maximum=30, what="a number of seconds between 0.1 and 30"
    )
    assign = _assignments(ctx, fields)
    on_failure = _target(ctx, fields, "on_failure")
    if url is None or ctx.diags.error_count() > errors:
        return None
    http_method: Literal["GET", "POST"] = "POST" if method == "POST" else "GET"
    return LookupStep(
        id=src.id,
        mark=src.mark,
        next=None,
        method=http_method,
        url=url,
        body=body,
        timeout=timeout,
        assign=assign,
        on_failure=on_failure,
    )


def _assignments(ctx: FileContext, fields: Fields) -> tuple[tuple[str, tuple[str, ...]], ...]:
    node = fields.value("set")
    if node is None:
        return ()
    mapping = expect_map(node, fields.at("set"), ctx.diags, "a mapping of variable names to reply fields")
    if mapping is None:
        return ()
    found: list[tuple[str, tuple[str, ...]]] = []
    for entry in mapping.entries:
        path = fields.at("set").key(entry.key)
        json_path = expect_text(
            entry.value, path, ctx.diags, "a reply field such as customer.name", pattern=JSON_PATH
        )
        if ctx.write_variable_key(entry.key, entry.key_mark, path) and json_path is not None:
            found.append((entry.key, tuple(json_path.split("."))))
    return tuple(found)


def _json_template(ctx: FileContext, node: Node, path: DocPath) -> JsonTemplate:
    if isinstance(node, MapNode):
        return {entry.key: _json_template(ctx, entry.value, path.key(entry.key)) for entry in node.entries}
    if isinstance(node, SeqNode):
        return [_json_template(ctx, item, path.index(i)) for i, item in enumerate(node.items)]
    if isinstance(node.value, str):
        return ctx.template(node, path)
    return node.value


def compile_queue(ctx: FileContext, src: StepSource) -> QueueStep | None:
    """`queue: name` or `queue: {name, skills, priority, data, on}`."""
    if isinstance(src.value, ScalarNode):
        name = _queue_reference(ctx, src.value, src.value_path)
        if name is None:
            return None
        return QueueStep(
            id=src.id, mark=src.mark, next=None, queue=name, skills={}, priority=0, data=(), on={}
        )
    fields = options_of(ctx, src, allowed=QUEUE_KEYS, required=("name",), what="a queue name or a mapping")
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    name = _queue_reference(ctx, fields.value("name"), fields.at("name"))
    skills = _skills(ctx, fields)
    priority = _priority(ctx, fields)
    data = _screen_pop_data(ctx, fields)
    on = _outcome_targets(ctx, fields, QUEUE_EXITS, "queue outcomes")
    if name is None or priority is None or ctx.diags.error_count() > errors:
        return None
    return QueueStep(
        id=src.id, mark=src.mark, next=None, queue=name, skills=skills, priority=priority, data=data, on=on
    )


def _queue_reference(ctx: FileContext, node: Node | None, path: DocPath) -> str | None:
    """A queue name; checked against the configured queues once the file is read."""
    if node is None:  # a required key: its absence is already reported
        return None
    name = expect_text(node, path, ctx.diags, "a queue name", pattern=QUEUE_NAME)
    if name is not None:
        ctx.queue_refs.append(Reference(name, node.mark, path))
    return name


def _priority(ctx: FileContext, fields: Fields) -> Expression | int | None:
    node = fields.value("priority")
    if node is None:
        return 0
    if isinstance(node, ScalarNode) and not isinstance(node.value, str):
        return expect_int(
            node,
            fields.at("priority"),
            ctx.diags,
            "a priority between 0 and 100 or an expression",
            minimum=0,
            maximum=100,
        )
    return ctx.expression(node, fields.at("priority"))


def _skills(ctx: FileContext, fields: Fields) -> dict[str, int]:
    node = fields.value("skills")
    if node is None:
        return {}
    mapping = expect_map(node, fields.at("skills"), ctx.diags, "a mapping of skills to minimum levels (1-5)")
    if mapping is None:
        return {}
    skills: dict[str, int] = {}
    for entry in mapping.entries:
        path = fields.at("skills").key(entry.key)
        if not SKILL_NAME.fullmatch(entry.key):
            ctx.error(entry.key_mark, f'skills: "{entry.key}" is not a skill name', path)
            continue
        level = expect_int(
            entry.value, path, ctx.diags, "a minimum skill level between 1 and 5", minimum=1, maximum=5
        )
        if level is not None:
            skills[entry.key] = level
    return skills


def _screen_pop_data(ctx: FileContext, fields: Fields) -> tuple[str, ...]:
    node = fields.value("data")
    if node is None:
        return ()
    items = expect_list(node, fields.at("data"), ctx.diags, "a list of variable names") or []
    data: list[str] = []
    for item, path in items:
        variable = ctx.variable_name(item, path, writes=False)
        if variable is not None:
            data.append(variable)
            ctx.variables_read.append(Reference(variable, item.mark, path))
    return tuple(data)


def _outcome_targets(
    ctx: FileContext, fields: Fields, outcomes: tuple[str, ...], what: str
) -> dict[str, str]:
    """The `on:` mapping of outcomes to steps (unknown outcomes and targets are reported)."""
    node = fields.value("on")
    if node is None:
        return {}
    mapping = expect_map(node, fields.at("on"), ctx.diags, f"a mapping of {what} to steps")
    if mapping is None:
        return {}
    Fields(mapping, fields.at("on"), ctx.diags, where=what, allowed=outcomes)
    exits: dict[str, str] = {}
    for entry in mapping.entries:
        if entry.key in outcomes:
            target = ctx.target(entry.value, fields.at("on").key(entry.key))
            if target is not None:
                exits[entry.key] = target
    return exits


def compile_callback(ctx: FileContext, src: StepSource) -> CallbackStep | None:
    """`callback: queue` or `callback: {queue, on: {booked, duplicate, failed}}`."""
    if isinstance(src.value, ScalarNode):
        name = _queue_reference(ctx, src.value, src.value_path)
        if name is None:
            return None
        return CallbackStep(id=src.id, mark=src.mark, next=None, queue=name, on={})
    fields = options_of(
        ctx, src, allowed=CALLBACK_KEYS, required=("queue",), what="a queue name or a mapping"
    )
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    name = _queue_reference(ctx, fields.value("queue"), fields.at("queue"))
    on = _outcome_targets(ctx, fields, CALLBACK_OUTCOMES, "callback outcomes")
    if name is None or ctx.diags.error_count() > errors:
        return None
    return CallbackStep(id=src.id, mark=src.mark, next=None, queue=name, on=on)


def compile_transfer(ctx: FileContext, src: StepSource) -> TransferStep | None:
    """`transfer: DIAL-STRING` or `transfer: {to | number + trunk, timeout, on_failure}`."""
    if isinstance(src.value, ScalarNode):
        target = ctx.template(src.value, src.value_path, "an Asterisk dial string such as PJSIP/1000")
        if target is None:
            return None
        return TransferStep(
            id=src.id, mark=src.mark, next=None, target=target, number=None, timeout=30, on_failure=None
        )
    fields = options_of(ctx, src, allowed=TRANSFER_KEYS, what="a dial string or a mapping")
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    if fields.has("to") == fields.has("number"):
        ctx.error(
            src.value.mark, "transfer: give either to (a dial string) or number (with trunk)", src.value_path
        )
    if fields.has("number") != fields.has("trunk"):
        ctx.error(
            src.value.mark,
            "transfer: number and trunk go together: trunk is a dial string using ${transfer.number}",
            src.value_path,
        )
    target = number = None
    to_node = fields.value("to")
    number_node = fields.value("number")
    trunk_node = fields.value("trunk")
    if to_node is not None:
        target = ctx.template(to_node, fields.at("to"), "an Asterisk dial string such as PJSIP/1000")
    elif number_node is not None and trunk_node is not None:
        number = ctx.template(number_node, fields.at("number"), "a phone number (digits, or ${...})")
        target = ctx.template(trunk_node, fields.at("trunk"), "a dial string using ${transfer.number}")
        if target is not None and "transfer.number" not in target.names:
            ctx.error(
                trunk_node.mark,
                "trunk: expected a dial string containing ${transfer.number}",
                fields.at("trunk"),
            )
    timeout = fields.number(
        "timeout", 30, minimum=1, maximum=600, what="a number of seconds between 1 and 600"
    )
    on_failure = _target(ctx, fields, "on_failure")
    if target is None or ctx.diags.error_count() > errors:
        return None
    return TransferStep(
        id=src.id,
        mark=src.mark,
        next=None,
        target=target,
        number=number,
        timeout=timeout,
        on_failure=on_failure,
    )


def compile_record(ctx: FileContext, src: StepSource) -> RecordStep | None:
    """`record:` the caller's message into a folder, with an optional category tag."""
    fields = options_of(ctx, src, allowed=RECORD_KEYS, required=("folder",))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    folder = fields.text("folder", what="a folder name (letters, digits, - and _)", pattern=FOLDER_NAME)
    name_node = fields.value("name")
    name = (
        ctx.template(name_node, fields.at("name"), "a file name (${...} allowed)")
        if name_node is not None
        else parse_template("${call.uniqueid}")
    )
    tag_node = fields.value("tag")
    tag = ctx.template(tag_node, fields.at("tag"), "a category tag (${...} allowed)") if tag_node else None
    prompt_node = fields.value("prompt")
    prompt = compile_prompt(ctx, prompt_node, fields.at("prompt")) if prompt_node is not None else ()
    step = RecordStep(
        id=src.id,
        mark=src.mark,
        next=None,
        prompt=prompt or (),
        folder=folder or "",
        name=name or parse_template("${call.uniqueid}"),
        format=fields.choice("format", AUDIO_EXTENSIONS, "wav"),
        max_seconds=fields.integer("max_seconds", 120, minimum=1, maximum=3600),
        beep=fields.boolean("beep", True),
        silence=fields.integer("silence", 5, minimum=0, maximum=60),
        tag=tag,
        on_failure=_target(ctx, fields, "on_failure"),
    )
    return step if ctx.diags.error_count() == errors else None
