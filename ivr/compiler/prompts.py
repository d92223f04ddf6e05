"""Prompts: what `play`, `prompt` and friends take.

A prompt is one item or a list of items. An item is a sound name (text, `${...}` allowed) or a
mapping with exactly one of `sound`, `say_number`, `say_digits`, `say_datetime`, `say_amount`.
"""

from __future__ import annotations

from configlang.docpath import DocPath
from configlang.expect import Fields, describe, expect_list, expect_text
from configlang.source import MapNode, Node, ScalarNode, SeqNode
from ivr.compiler.context import FileContext, Reference
from ivr.compiler.zones import load_zone
from ivr.model import (
    Prompt,
    PromptItem,
    SayAmountItem,
    SayDateTimeItem,
    SayDigitsItem,
    SayNumberItem,
    SoundItem,
)

AUDIO_EXTENSIONS = ("wav", "gsm", "ulaw", "alaw", "sln", "g722")
ITEM_KINDS = ("sound", "say_number", "say_digits", "say_datetime", "say_amount")
ITEM_MODIFIERS: dict[str, tuple[str, ...]] = {
    "say_datetime": ("timezone",),
    "say_amount": ("decimals", "point_sound"),
}
DEFAULT_POINT_SOUND = "letters/dot"


def compile_prompt(ctx: FileContext, node: Node, path: DocPath) -> Prompt | None:
    """One prompt: a single item or a list of items."""
    items = expect_list(
        node, path, ctx.diags, "a sound name, a say_* item or a list of them", allow_single=True
    )
    if items is None:
        return None
    compiled = [compile_item(ctx, item, item_path) for item, item_path in items]
    if any(item is None for item in compiled):
        return None
    return tuple(item for item in compiled if item is not None)


def compile_prompt_list(ctx: FileContext, node: Node, path: DocPath) -> tuple[Prompt, ...] | None:
    """A list of prompts (escalation): each element is an item or a list of items."""
    if isinstance(node, SeqNode):
        prompts = [compile_prompt(ctx, item, path.index(i)) for i, item in enumerate(node.items)]
        if any(prompt is None for prompt in prompts):
            return None
        return tuple(prompt for prompt in prompts if prompt is not None)
    single = compile_prompt(ctx, node, path)
    return None if single is None else (single,)


def compile_item(ctx: FileContext, node: Node, path: DocPath) -> PromptItem | None:
    """One prompt item."""
    if isinstance(node, ScalarNode):
        return _sound(ctx, node, path)
    if not isinstance(node, MapNode):
        ctx.error(
            node.mark, f"{path.last}: expected a sound name or a say_* item, got {describe(node)}", path
        )
        return None
    kinds = [key for key in node.key_names() if key in ITEM_KINDS]
    if len(kinds) != 1:
        found = f"got {', '.join(kinds)}" if kinds else "got none"
        ctx.error(
            node.mark,
            f"{path.last}: a prompt item needs exactly one of {', '.join(ITEM_KINDS)} ({found})",
            path,
        )
        return None
    kind = kinds[0]
    fields = Fields(node, path, ctx.diags, where=kind, allowed=(kind, *ITEM_MODIFIERS.get(kind, ())))
    value = node.get(kind)
    assert value is not None
    if kind == "sound":
        return _sound(ctx, value, fields.at(kind))
    expression = ctx.expression(value, fields.at(kind))
    if expression is None or not fields.ok:
        return None
    if kind == "say_number":
        return SayNumberItem(expression)
    if kind == "say_digits":
        return SayDigitsItem(expression)
    if kind == "say_datetime":
        zone = fields.text("timezone", what="a time zone such as Europe/Paris")
        if zone is not None and load_zone(zone) is None:
            ctx.error(fields.mark("timezone"), f'timezone: unknown time zone "{zone}"', fields.at("timezone"))
            return None
        return SayDateTimeItem(expression, zone)
    decimals = fields.integer("decimals", 2, minimum=0, maximum=4)
    point = fields.text("point_sound", DEFAULT_POINT_SOUND, what="a sound name")
    return SayAmountItem(expression, decimals, point)


def _sound(ctx: FileContext, node: Node, path: DocPath) -> SoundItem | None:
    name = expect_text(node, path, ctx.diags, "a sound name such as custom/welcome")
    if name is None:
        return None
    assert isinstance(node, ScalarNode)
    if any(char.isspace() for char in name):
        ctx.error(node.mark, f'{path.last}: a sound name has no spaces, got "{name}"', path)
        return None
    stem, dot, extension = name.rpartition(".")
    if dot and extension.lower() in AUDIO_EXTENSIONS:
        ctx.error(node.mark, f'{path.last}: write sound names without their extension: "{stem}"', path)
        return None
    template = ctx.template(node, path, "a sound name")
    if template is None:
        return None
    if template.is_static:
        ctx.sound_refs.append(Reference(template.static_text(), node.mark, path))
    return SoundItem(template, node.mark)
