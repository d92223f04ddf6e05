"""Compile one dialplan document: the top-level keys, then each step, then the checks that
need every step (targets, reachability, loops)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from pathlib import Path

from configlang.docpath import DocPath
from configlang.expect import Fields, check_keys, did_you_mean, expect_list, expect_map, expect_text
from configlang.expressions import Value
from configlang.mark import Mark
from configlang.source import MapNode, Node, SeqNode
from ivr.compiler.checks import check_graph, check_targets
from ivr.compiler.context import FileContext
from ivr.compiler.kinds import COMMON_STEP_KEYS, STEP_KINDS
from ivr.compiler.sounds import SoundLibrary, check_sounds
from ivr.compiler.stepsource import StepSource
from ivr.compiler.zones import load_zone
from ivr.model import Dialplan, Step
from ivr.names import DIALPLAN_NAME, LANGUAGE_CODE, STEP_ID

TOP_KEYS = (
    "dialplan",
    "description",
    "numbers",
    "language",
    "timezone",
    "variables",
    "start",
    "on_error",
    "steps",
)
NUMBER_TEXT_WHAT = "a called number (digits, +, *, # or an extension name)"
_NUMBER = re.compile(r"[A-Za-z0-9+*#_-]+")


def dialplan_name_for(file: str) -> str:
    """The default dialplan name: the file name without its `.yaml`/`.yml` suffix."""
    return Path(file).name.rsplit(".", 1)[0]


def compile_document(
    ctx: FileContext,
    root: Node | None,
    *,
    known_queues: Collection[str] | None,
    sounds: SoundLibrary | None,
) -> Dialplan | None:
    """Compile one parsed file; every problem goes to `ctx.diags`. None when there were errors."""
    errors = ctx.diags.error_count()
    ctx.name_mark = Mark(ctx.file, 1, 1)
    if root is None:
        if not ctx.failed:  # not already explained by a YAML error
            ctx.error(Mark(ctx.file, 1, 1), "the file is empty; a dialplan needs at least steps:", DocPath())
        return None
    top = expect_map(root, DocPath(), ctx.diags, "a mapping with dialplan:, steps: ...")
    if top is None:
        return None
    fields = Fields(top, DocPath(), ctx.diags, where="the dialplan", allowed=TOP_KEYS, required=("steps",))
    name = fields.text(
        "dialplan",
        dialplan_name_for(ctx.file),
        what="a dialplan name (letters, digits, - and _)",
        pattern=DIALPLAN_NAME,
    )
    ctx.name = name
    ctx.name_mark = fields.mark("dialplan")
    timezone = fields.text("timezone", "UTC", what="a time zone such as Europe/Paris")
    zone = load_zone(timezone)
    if zone is None:
        ctx.error(fields.mark("timezone"), f'timezone: unknown time zone "{timezone}"', fields.at("timezone"))
    ctx.timezone = timezone if zone is not None else "UTC"
    language = fields.text("language", what="a language code such as en or fr", pattern=LANGUAGE_CODE)
    variables = _initial_variables(ctx, fields)
    numbers = _numbers(ctx, fields)
    steps_node = fields.value("steps")
    steps, step_ids = _steps(ctx, steps_node) if steps_node is not None else ({}, [])
    start = _entry_step(ctx, fields, "start", step_ids)
    on_error = _entry_step(ctx, fields, "on_error", step_ids) if fields.has("on_error") else None
    description = fields.text("description", "")
    targets_ok = check_targets(ctx, step_ids)
    _check_queues(ctx, known_queues)
    if sounds is not None:
        others = sorted(ctx.languages - {language}) if language else []
        check_sounds(ctx, sounds, [language, *others] if language else [None])
    if len(steps) != len(step_ids) or not steps or start is None or zone is None or not targets_ok:
        return None
    dialplan = Dialplan(
        name=name,
        file=ctx.file,
        mark=top.mark,
        description=description,
        numbers=numbers,
        language=language,
        timezone=timezone,
        zone=zone,
        variables=variables,
        start=start,
        on_error=on_error,
        steps=steps,
    )
    check_graph(ctx, dialplan)
    return dialplan if ctx.diags.error_count() == errors else None


def _check_queues(ctx: FileContext, known_queues: Collection[str] | None) -> None:
    if known_queues is None:
        return
    listing = ", ".join(sorted(known_queues)) or "none"
    for ref in ctx.queue_refs:
        if ref.name not in known_queues:
            ctx.error(
                ref.mark,
                f'unknown queue "{ref.name}"{did_you_mean(ref.name, known_queues)} (known queues: {listing})',
                ref.path,
            )


def _initial_variables(ctx: FileContext, fields: Fields) -> dict[str, Value]:
    node = fields.value("variables")
    if node is None:
        return {}
    mapping = expect_map(node, fields.at("variables"), ctx.diags, "a mapping of variable names to values")
    if mapping is None:
        return {}
    values: dict[str, Value] = {}
    for entry in mapping.entries:
        if ctx.write_variable_key(entry.key, entry.key_mark, fields.at("variables").key(entry.key)):
            values[entry.key] = to_value(entry.value)
    return values


def to_value(node: Node) -> Value:
    """A YAML value as a variable value (initial `variables:` are literal, never expressions)."""
    if isinstance(node, MapNode):
        return {entry.key: to_value(entry.value) for entry in node.entries}
    if isinstance(node, SeqNode):
        return [to_value(item) for item in node.items]
    return node.value


def _numbers(ctx: FileContext, fields: Fields) -> tuple[str, ...]:
    node = fields.value("numbers")
    if node is None:
        return ()
    found: list[str] = []
    for item, path in (
        expect_list(node, fields.at("numbers"), ctx.diags, "a list of called numbers", allow_single=True)
        or []
    ):
        number = expect_text(item, path, ctx.diags, NUMBER_TEXT_WHAT, pattern=_NUMBER)
        if number is None:
            continue
        if number in found:
            ctx.error(item.mark, f'numbers: "{number}" is listed twice', path)
            continue
        found.append(number)
    return tuple(found)


def _entry_step(ctx: FileContext, fields: Fields, key: str, step_ids: list[str]) -> str | None:
    node = fields.value(key)
    if node is None:
        return step_ids[0] if step_ids else None
    return ctx.target(node, fields.at(key))


def _steps(ctx: FileContext, node: Node) -> tuple[dict[str, Step], list[str]]:
    """The compiled steps (only those without errors) and every step id written."""
    path = DocPath(("steps",))
    mapping = expect_map(node, path, ctx.diags, "a mapping of step ids to steps")
    if mapping is None:
        return {}, []
    if not mapping.entries:
        ctx.error(mapping.mark, "steps: a dialplan needs at least one step", path)
        return {}, []
    step_ids = mapping.key_names()
    compiled: dict[str, Step] = {}
    for entry in mapping.entries:
        step_path = path.key(entry.key)
        if not STEP_ID.fullmatch(entry.key):
            ctx.error(entry.key_mark, f'"{entry.key}" is not a step id (letters, digits, - and _)', step_path)
            continue
        step = _step(ctx, entry.key, entry.key_mark, entry.value, step_path)
        if step is not None:
            compiled[entry.key] = step
    return _resolve_next(compiled, step_ids), step_ids


def _step(ctx: FileContext, step_id: str, mark: Mark, node: Node, path: DocPath) -> Step | None:
    mapping = expect_map(node, path, ctx.diags, f"a mapping with one of {', '.join(STEP_KINDS)}")
    if mapping is None:
        return None
    kinds = [key for key in mapping.key_names() if key in STEP_KINDS]
    if not kinds:
        every_key = (*STEP_KINDS, *COMMON_STEP_KEYS, "next", "barge_in")
        if check_keys(mapping, path, ctx.diags, allowed=every_key, where=f'step "{step_id}"'):
            ctx.error(
                mapping.mark, f'step "{step_id}" does nothing: give it one of {", ".join(STEP_KINDS)}', path
            )
        return None
    if len(kinds) > 1:
        ctx.error(
            mapping.mark,
            f'step "{step_id}" does more than one thing ({", ".join(kinds)}); split it into several steps',
            path,
        )
        return None
    kind_name = kinds[0]
    kind = STEP_KINDS[kind_name]
    allowed = (kind_name, *kind.step_keys, *COMMON_STEP_KEYS)
    fields = Fields(mapping, path, ctx.diags, where=f"a {kind_name} step", allowed=allowed)
    value = mapping.get(kind_name)
    assert value is not None
    errors = ctx.diags.error_count()
    step = kind.compile(ctx, StepSource(step_id, mark, kind_name, value, fields))
    next_node = fields.value("next") if "next" in kind.step_keys else None
    explicit_next = ctx.target(next_node, fields.at("next")) if next_node is not None else None
    fields.text("note", "")
    if step is None or ctx.diags.error_count() > errors or not fields.ok:
        return None
    return dataclasses.replace(step, next=explicit_next) if explicit_next is not None else step


def _resolve_next(compiled: dict[str, Step], order: list[str]) -> dict[str, Step]:
    """Fill in fall-through: a step without `next:` continues with the step written after it."""
    resolved: dict[str, Step] = {}
    for position, step_id in enumerate(order):
        step = compiled.get(step_id)
        if step is None:
            continue
        if step.next is None:
            following = order[position + 1] if position + 1 < len(order) else None
            step = dataclasses.replace(step, next=following)
        resolved[step_id] = step
    return resolved
