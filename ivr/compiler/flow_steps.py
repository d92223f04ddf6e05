"""Steps that only move the call around or change its variables: set, branch, goto, split,
call, return, hangup, language."""

from __future__ import annotations

from configlang.expect import Fields, describe, expect_int, expect_map, expect_text
from configlang.source import SeqNode
from ivr.compiler.context import FileContext, Reference
from ivr.compiler.stepsource import StepSource, expect_flag
from ivr.model import (
    BranchCase,
    BranchStep,
    CallStep,
    GotoStep,
    HangupStep,
    LanguageStep,
    ReturnStep,
    SetStep,
    SplitStep,
)
from ivr.names import DIALPLAN_NAME, LANGUAGE_CODE


def compile_set(ctx: FileContext, src: StepSource) -> SetStep | None:
    """`set: {name: expression, ...}` evaluated in order."""
    mapping = expect_map(src.value, src.value_path, ctx.diags, "a mapping of variable names to expressions")
    if mapping is None:
        return None
    if not mapping.entries:
        ctx.error(mapping.mark, "set: expected at least one variable", src.value_path)
        return None
    assignments = []
    ok = True
    for entry in mapping.entries:
        path = src.value_path.key(entry.key)
        expression = ctx.expression(entry.value, path)
        if not ctx.write_variable_key(entry.key, entry.key_mark, path) or expression is None:
            ok = False
            continue
        assignments.append((entry.key, expression))
    if not ok:
        return None
    return SetStep(id=src.id, mark=src.mark, next=None, assignments=tuple(assignments))


def compile_branch(ctx: FileContext, src: StepSource) -> BranchStep | None:
    """`branch:` a list of `{if: expression, goto: step}` and an optional final `{else: step}`."""
    if not isinstance(src.value, SeqNode) or not src.value.items:
        ctx.error(
            src.value.mark,
            f"branch: expected a list of {{if: ..., goto: ...}} cases, got {describe(src.value)}",
            src.value_path,
        )
        return None
    cases: list[BranchCase] = []
    otherwise: str | None = None
    ok = True
    last = len(src.value.items) - 1
    for index, item in enumerate(src.value.items):
        path = src.value_path.index(index)
        mapping = expect_map(item, path, ctx.diags, "{if: ..., goto: ...} or {else: ...}")
        if mapping is None:
            ok = False
            continue
        if "else" in mapping:
            Fields(mapping, path, ctx.diags, where="branch else", allowed=("else",))
            if index != last:
                ctx.error(mapping.mark, "branch: else must be the last case", path)
                ok = False
            else_node = mapping.get("else")
            assert else_node is not None
            otherwise = ctx.target(else_node, path.key("else"))
            continue
        fields = Fields(
            mapping, path, ctx.diags, where="branch case", allowed=("if", "goto"), required=("if", "goto")
        )
        condition_node = fields.value("if")
        target_node = fields.value("goto")
        condition = ctx.expression(condition_node, fields.at("if")) if condition_node is not None else None
        target = ctx.target(target_node, fields.at("goto")) if target_node is not None else None
        if condition is None or target is None or not fields.ok:
            ok = False
            continue
        cases.append(BranchCase(condition, target))
    if not ok:
        return None
    return BranchStep(id=src.id, mark=src.mark, next=None, cases=tuple(cases), otherwise=otherwise)


def compile_goto(ctx: FileContext, src: StepSource) -> GotoStep | None:
    """`goto: step`."""
    target = ctx.target(src.value, src.value_path)
    return None if target is None else GotoStep(id=src.id, mark=src.mark, next=None, target=target)


def compile_split(ctx: FileContext, src: StepSource) -> SplitStep | None:
    """`split: {step: percent, ...}`; the percentages add up to 100."""
    mapping = expect_map(src.value, src.value_path, ctx.diags, "a mapping of steps to percentages")
    if mapping is None:
        return None
    shares: list[tuple[str, int]] = []
    ok = True
    for entry in mapping.entries:
        path = src.value_path.key(entry.key)
        percent = expect_int(
            entry.value, path, ctx.diags, "a percentage between 0 and 100", minimum=0, maximum=100
        )
        ctx.step_refs.append(Reference(entry.key, entry.key_mark, path))
        if percent is None:
            ok = False
            continue
        shares.append((entry.key, percent))
    total = sum(percent for _, percent in shares)
    if ok and total != 100:
        ctx.error(src.value.mark, f"split: the percentages add up to {total}, not 100", src.value_path)
        ok = False
    if not ok:
        return None
    return SplitStep(id=src.id, mark=src.mark, next=None, shares=tuple(shares))


def compile_call(ctx: FileContext, src: StepSource) -> CallStep | None:
    """`call: dialplan-name` runs that dialplan, then continues at `next`."""
    name = expect_text(src.value, src.value_path, ctx.diags, "the name of a dialplan", pattern=DIALPLAN_NAME)
    if name is None:
        return None
    ctx.dialplan_refs.append(Reference(name, src.value.mark, src.value_path))
    return CallStep(id=src.id, mark=src.mark, next=None, dialplan=name)


def compile_return(ctx: FileContext, src: StepSource) -> ReturnStep | None:
    """`return:` back to the dialplan that called this one."""
    return ReturnStep(id=src.id, mark=src.mark, next=None) if expect_flag(ctx, src) else None


def compile_hangup(ctx: FileContext, src: StepSource) -> HangupStep | None:
    """`hangup:` end the call."""
    return HangupStep(id=src.id, mark=src.mark, next=None) if expect_flag(ctx, src) else None


def compile_language(ctx: FileContext, src: StepSource) -> LanguageStep | None:
    """`language: fr` (or `${...}`) sets the channel language."""
    template = ctx.template(src.value, src.value_path, "a language code such as en or fr")
    if template is None:
        return None
    if template.is_static:
        code = template.static_text()
        if not LANGUAGE_CODE.fullmatch(code):
            ctx.error(
                src.value.mark,
                f'language: expected a language code such as en, fr or pt_BR, got "{code}"',
                src.value_path,
            )
            return None
        ctx.languages.add(code)
    return LanguageStep(id=src.id, mark=src.mark, next=None, language=template)
