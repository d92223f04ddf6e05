"""Steps that listen to the caller's keypad: play (with barge-in), menu, collect, survey."""

from __future__ import annotations

import re

from configlang.docpath import DocPath
from configlang.expect import Fields, expect_map
from configlang.source import MapNode, ScalarNode
from ivr.compiler.context import FileContext
from ivr.compiler.prompts import compile_prompt, compile_prompt_list
from ivr.compiler.stepsource import StepSource, options_of
from ivr.model import (
    CollectStep,
    Escalation,
    MenuStep,
    PhoneRule,
    PlayStep,
    Prompt,
    SurveyStep,
    Validation,
)

MENU_KEYS = ("prompt", "options", "timeout", "no_input", "no_match", "on_failure")
ESCALATION_KEYS = ("prompts", "max")
COLLECT_KEYS = (
    "variable",
    "prompt",
    "min_length",
    "max_length",
    "terminator",
    "timeout",
    "inter_digit_timeout",
    "validate",
    "read_back",
    "read_back_prompt",
    "confirm",
    "confirm_prompt",
    "attempts",
    "no_input_prompt",
    "invalid_prompt",
    "on_failure",
    "sensitive",
)
VALIDATE_KEYS = ("regex", "luhn", "phone")
PHONE_KEYS = ("min_length", "max_length")
SURVEY_KEYS = (
    "name",
    "prompt",
    "timeout",
    "inter_digit_timeout",
    "attempts",
    "invalid_prompt",
    "thanks",
    "on_failure",
)
MENU_KEY = re.compile(r"[0-9*#]")
SURVEY_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _prompt(ctx: FileContext, fields: Fields, key: str) -> Prompt:
    node = fields.value(key)
    if node is None:
        return ()
    return compile_prompt(ctx, node, fields.at(key)) or ()


def _optional_target(ctx: FileContext, fields: Fields, key: str) -> str | None:
    node = fields.value(key)
    return ctx.target(node, fields.at(key)) if node is not None else None


def _timeout(fields: Fields, key: str, default: float, maximum: float = 60) -> float:
    what = f"a number of seconds between 1 and {int(maximum)}"
    return fields.number(key, default, minimum=1, maximum=maximum, what=what)


def compile_play(ctx: FileContext, src: StepSource) -> PlayStep | None:
    """`play: <prompt>` with `barge_in` beside it."""
    prompt = compile_prompt(ctx, src.value, src.value_path)
    barge_in = src.fields.boolean("barge_in", False)
    if prompt is None:
        return None
    return PlayStep(id=src.id, mark=src.mark, next=None, prompt=prompt, barge_in=barge_in)


def _escalation(ctx: FileContext, fields: Fields, key: str) -> Escalation:
    node = fields.value(key)
    if node is None:
        return Escalation((), 3)
    mapping = expect_map(node, fields.at(key), ctx.diags, "a mapping with prompts and max")
    if mapping is None:
        return Escalation((), 3)
    sub = Fields(mapping, fields.at(key), ctx.diags, where=key, allowed=ESCALATION_KEYS)
    prompts_node = sub.value("prompts")
    prompts = compile_prompt_list(ctx, prompts_node, sub.at("prompts")) if prompts_node is not None else ()
    maximum = sub.integer("max", 3, minimum=1, maximum=10, what="a number of tries between 1 and 10")
    return Escalation(prompts or (), maximum)


def compile_menu(ctx: FileContext, src: StepSource) -> MenuStep | None:
    """`menu:` one key picks the next step, with no-input and no-match counters."""
    fields = options_of(ctx, src, allowed=MENU_KEYS, required=("options",))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    prompt = _prompt(ctx, fields, "prompt")
    options: dict[str, str] = {}
    options_node = fields.value("options")
    if options_node is not None:
        mapping = expect_map(options_node, fields.at("options"), ctx.diags, "a mapping of keys to steps")
        if mapping is not None:
            options = _menu_options(ctx, mapping, fields.at("options"))
    timeout = _timeout(fields, "timeout", 5)
    no_input = _escalation(ctx, fields, "no_input")
    no_match = _escalation(ctx, fields, "no_match")
    on_failure = _optional_target(ctx, fields, "on_failure")
    if ctx.diags.error_count() > errors:
        return None
    return MenuStep(
        id=src.id,
        mark=src.mark,
        next=None,
        prompt=prompt,
        options=options,
        timeout=timeout,
        no_input=no_input,
        no_match=no_match,
        on_failure=on_failure,
    )


def _menu_options(ctx: FileContext, mapping: MapNode, path: DocPath) -> dict[str, str]:
    if not mapping.entries:
        ctx.error(mapping.mark, "options: a menu needs at least one option", path)
    options: dict[str, str] = {}
    for entry in mapping.entries:
        key_path = path.key(entry.key)
        if not MENU_KEY.fullmatch(entry.key):
            ctx.error(
                entry.key_mark,
                f'options: menu key "{entry.key}" is not allowed; '
                "a key is one of 0-9, * or # (quote * and #)",
                key_path,
            )
            continue
        target = ctx.target(entry.value, key_path)
        if target is not None:
            options[entry.key] = target
    return options


def _validation(ctx: FileContext, fields: Fields) -> Validation:
    node = fields.value("validate")
    path = fields.at("validate")
    if node is None:
        return Validation()
    if isinstance(node, ScalarNode) and node.value in ("luhn", "phone"):
        return Validation(luhn=True) if node.value == "luhn" else Validation(phone=PhoneRule(6, 15))
    mapping = expect_map(node, path, ctx.diags, "luhn, phone, or a mapping with regex, luhn and/or phone")
    if mapping is None:
        return Validation()
    sub = Fields(mapping, path, ctx.diags, where="validate", allowed=VALIDATE_KEYS)
    regex = None
    regex_text = sub.text("regex", what="a regular expression")
    if regex_text is not None:
        try:
            regex = re.compile(regex_text)
        except re.error as exc:
            regex_node = sub.value("regex")
            assert isinstance(regex_node, ScalarNode)
            mark = regex_node.mark_at(exc.pos or 0)
            ctx.error(mark, f"regex: invalid regular expression: {exc.msg}", sub.at("regex"))
    phone = None
    phone_node = sub.value("phone")
    if isinstance(phone_node, ScalarNode) and phone_node.value is True:
        phone = PhoneRule(6, 15)
    elif phone_node is not None and not (isinstance(phone_node, ScalarNode) and phone_node.value is False):
        phone_map = expect_map(
            phone_node, sub.at("phone"), ctx.diags, "true or a mapping with min_length/max_length"
        )
        if phone_map is not None:
            rule = Fields(phone_map, sub.at("phone"), ctx.diags, where="phone", allowed=PHONE_KEYS)
            low = rule.integer("min_length", 6, minimum=1, maximum=20)
            high = rule.integer("max_length", 15, minimum=1, maximum=20)
            if low > high:
                ctx.error(
                    rule.mark("min_length"),
                    f"phone: min_length ({low}) is greater than max_length ({high})",
                    rule.at("min_length"),
                )
            phone = PhoneRule(low, high)
    return Validation(regex=regex, luhn=sub.boolean("luhn", False), phone=phone)


def compile_collect(ctx: FileContext, src: StepSource) -> CollectStep | None:
    """`collect:` read digits into a variable."""
    fields = options_of(ctx, src, allowed=COLLECT_KEYS, required=("variable",))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    variable_node = fields.value("variable")
    variable = ctx.variable_name(variable_node, fields.at("variable")) if variable_node is not None else None
    min_length = fields.integer("min_length", 1, minimum=1, maximum=64)
    max_length = fields.integer("max_length", 20, minimum=1, maximum=64)
    if min_length > max_length:
        ctx.error(
            fields.mark("min_length"),
            f"collect: min_length ({min_length}) is greater than max_length ({max_length})",
            fields.at("min_length"),
        )
    terminator = fields.choice("terminator", ("#", "*", "none"), "#")
    confirm = fields.boolean("confirm", False)
    confirm_prompt = _prompt(ctx, fields, "confirm_prompt")
    if confirm and not confirm_prompt:
        ctx.error(
            fields.mark("confirm"),
            "collect: confirm: true needs a confirm_prompt "
            '("press 1 if this is correct, 2 to enter it again")',
            fields.at("confirm"),
        )
    step = CollectStep(
        id=src.id,
        mark=src.mark,
        next=None,
        variable=variable or "",
        prompt=_prompt(ctx, fields, "prompt"),
        min_length=min_length,
        max_length=max_length,
        terminator="" if terminator == "none" else terminator,
        timeout=_timeout(fields, "timeout", 5),
        inter_digit_timeout=_timeout(fields, "inter_digit_timeout", 3, 30),
        validation=_validation(ctx, fields),
        read_back=fields.boolean("read_back", False),
        read_back_prompt=_prompt(ctx, fields, "read_back_prompt"),
        confirm_prompt=confirm_prompt if confirm else None,
        attempts=fields.integer("attempts", 3, minimum=1, maximum=10),
        no_input_prompt=_prompt(ctx, fields, "no_input_prompt"),
        invalid_prompt=_prompt(ctx, fields, "invalid_prompt"),
        on_failure=_optional_target(ctx, fields, "on_failure"),
        sensitive=fields.boolean("sensitive", False),
    )
    return step if ctx.diags.error_count() == errors else None


def compile_survey(ctx: FileContext, src: StepSource) -> SurveyStep | None:
    """`survey:` a 0-10 score typed as one digit, or `1 0` (then # or a pause)."""
    fields = options_of(ctx, src, allowed=SURVEY_KEYS, required=("name", "prompt"))
    if fields is None:
        return None
    errors = ctx.diags.error_count()
    name = fields.text("name", what="a survey name (letters, digits, _)", pattern=SURVEY_NAME)
    if name is not None:
        ctx.variables_written.add(f"survey.{name}")
    step = SurveyStep(
        id=src.id,
        mark=src.mark,
        next=None,
        name=name or "",
        prompt=_prompt(ctx, fields, "prompt"),
        timeout=_timeout(fields, "timeout", 5),
        inter_digit_timeout=_timeout(fields, "inter_digit_timeout", 2, 30),
        attempts=fields.integer("attempts", 2, minimum=1, maximum=10),
        invalid_prompt=_prompt(ctx, fields, "invalid_prompt"),
        thanks=_prompt(ctx, fields, "thanks"),
        on_failure=_optional_target(ctx, fields, "on_failure"),
    )
    return step if ctx.diags.error_count() == errors else None
