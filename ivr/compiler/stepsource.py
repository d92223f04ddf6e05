"""What a step compiler receives: the step's id and position, its step-level keys, and the
value of its kind key (`menu:`, `play:`...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from configlang.docpath import DocPath
from configlang.expect import Fields, describe
from configlang.mark import Mark
from configlang.source import MapNode, Node, ScalarNode
from ivr.compiler.context import FileContext
from ivr.model import Step


@dataclass(frozen=True, slots=True)
class StepSource:
    """One step as written; `fields` reads the step-level keys (`next`, `barge_in`...)."""

    id: str
    mark: Mark
    kind: str
    value: Node
    fields: Fields

    @property
    def path(self) -> DocPath:
        """`steps.<id>`."""
        return self.fields.path

    @property
    def value_path(self) -> DocPath:
        """`steps.<id>.<kind>`."""
        return self.fields.path.key(self.kind)


StepCompiler = Callable[[FileContext, StepSource], Step | None]


@dataclass(frozen=True, slots=True)
class StepKind:
    """A kind of step: the keys allowed beside the kind key, the keys allowed inside its mapping
    (None when its value is not a mapping of options), and its compiler."""

    step_keys: tuple[str, ...]
    options: tuple[str, ...] | None
    compile: StepCompiler
    summary: str


def options_of(
    ctx: FileContext,
    src: StepSource,
    *,
    allowed: tuple[str, ...],
    required: tuple[str, ...] = (),
    what: str = "a mapping of options",
) -> Fields | None:
    """The kind key's value read as a mapping of options."""
    if not isinstance(src.value, MapNode):
        ctx.error(src.value.mark, f"{src.kind}: expected {what}, got {describe(src.value)}", src.value_path)
        return None
    return Fields(src.value, src.value_path, ctx.diags, where=src.kind, allowed=allowed, required=required)


def expect_flag(ctx: FileContext, src: StepSource) -> bool:
    """For kinds that take no options (`hangup:`, `return:`): nothing, `true` or `{}`."""
    value = src.value
    if isinstance(value, ScalarNode) and (value.value is None or value.value is True):
        return True
    if isinstance(value, MapNode) and not value.entries:
        return True
    ctx.error(
        value.mark,
        f"{src.kind}: takes no options; write `{src.kind}:` or `{src.kind}: true`, got {describe(value)}",
        src.value_path,
    )
    return False
