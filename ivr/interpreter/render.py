"""Turning compiled prompt items, URLs, bodies and dial strings into concrete values.

Every interpolated value is reduced to what its destination can safely hold: a caller's
number can never add a Dial option, a URL parameter or a path to a sound name.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from configlang.expressions import Expression, ExpressionError, Template, evaluate, to_text, type_name
from configlang.values import Value
from ivr.interpreter.actions import PlayItem, SayDateTime, SayDigits, SayNumber, Sound
from ivr.model import (
    JsonTemplate,
    Prompt,
    PromptItem,
    SayAmountItem,
    SayDateTimeItem,
    SayDigitsItem,
    SayNumberItem,
    SoundItem,
)

_SOUND_PIECE = re.compile(r"[^A-Za-z0-9_-]")
_DIAL_PIECE = re.compile(r"[^A-Za-z0-9+*#@._-]")
_FILE_PIECE = re.compile(r"[^A-Za-z0-9_.-]")
_NUMERIC_TEXT = re.compile(r"\s*[+-]?[0-9]+(\.[0-9]+)?\s*")
MINUS_SOUND = "digits/minus"


def render_prompt(prompt: Prompt, variables: Mapping[str, Value], zone: ZoneInfo) -> tuple[PlayItem, ...]:
    """The concrete items of a prompt; raises ExpressionError when a value does not fit."""
    items: list[PlayItem] = []
    for item in prompt:
        items.extend(_render_item(item, variables, zone))
    return tuple(items)


def _render_item(item: PromptItem, variables: Mapping[str, Value], zone: ZoneInfo) -> list[PlayItem]:
    if isinstance(item, SoundItem):
        name = item.name.render(variables, lambda _, text: _SOUND_PIECE.sub("", text))
        if not name:
            raise ExpressionError(f'the sound name "{item.name.text}" is empty')
        return [Sound(name)]
    if isinstance(item, SayNumberItem):
        return [SayNumber(_whole_number(item.value, variables))]
    if isinstance(item, SayDigitsItem):
        digits = "".join(char for char in to_text(evaluate(item.value, variables)) if "0" <= char <= "9")
        return [SayDigits(digits)] if digits else []
    if isinstance(item, SayDateTimeItem):
        tz = item.timezone or str(zone.key)
        return [SayDateTime(_epoch(item.value, variables, ZoneInfo(tz)), tz)]
    return say_amount(_decimal(item.value, variables), item)


def say_amount(amount: Decimal, item: SayAmountItem) -> list[PlayItem]:
    """12.50 → SayNumber(12), Sound(point), SayDigits("50"): currency-free, digit by digit."""
    quantum = Decimal(1).scaleb(-item.decimals)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    items: list[PlayItem] = []
    if rounded < 0:
        items.append(Sound(MINUS_SOUND))
        rounded = -rounded
    whole = int(rounded)
    items.append(SayNumber(whole))
    if item.decimals:
        fraction = str(rounded).partition(".")[2].ljust(item.decimals, "0")
        items.extend([Sound(item.point_sound), SayDigits(fraction)])
    return items


def _whole_number(expression: Expression, variables: Mapping[str, Value]) -> int:
    value = evaluate(expression, variables)
    if isinstance(value, bool) or value is None:
        raise ExpressionError(f"say_number needs a number, got {type_name(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        return int(Decimal(value.strip()))
    raise ExpressionError(f"say_number needs a number, got {type_name(value)}")


def _decimal(expression: Expression, variables: Mapping[str, Value]) -> Decimal:
    value = evaluate(expression, variables)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return Decimal(str(value))
        if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
            return Decimal(value.strip())
    except InvalidOperation:
        pass
    raise ExpressionError(f"say_amount needs a number, got {type_name(value)}")


def _epoch(expression: Expression, variables: Mapping[str, Value], zone: ZoneInfo) -> int:
    value = evaluate(expression, variables)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ExpressionError(f'say_datetime cannot read "{value}" as an ISO date and time') from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return int(moment.timestamp())
    raise ExpressionError(f"say_datetime needs epoch seconds or ISO text, got {type_name(value)}")


def render_url(url: Template, variables: Mapping[str, Value]) -> str:
    """The URL with each value percent-encoded, except a `${...}` that opens the URL: that one is
    the base URL from configuration (`${crm_url}/customers?phone=${caller.number}`)."""
    leading = url.starts_with_expression()

    def encode(index: int, text: str) -> str:
        if index == 0 and leading:
            return text
        return urllib.parse.quote(text, safe="")

    return url.render(variables, encode)


def render_dial(target: Template, variables: Mapping[str, Value]) -> str:
    """A dial string whose interpolated values keep only dialable characters (no `,` or `&`)."""
    return target.render(variables, lambda _, text: _DIAL_PIECE.sub("", text))


def render_file_name(name: Template, variables: Mapping[str, Value]) -> str:
    """A recording name whose interpolated values cannot leave the folder."""
    rendered = name.render(variables, lambda _, text: _FILE_PIECE.sub("_", text))
    return rendered.replace("/", "_").lstrip(".") or "recording"


def render_json(body: JsonTemplate, variables: Mapping[str, Value]) -> Value:
    """A request body: text is interpolated; a text that is a single `${...}` keeps its value's
    type (`"${customer.vip}"` sends a boolean, not "true")."""
    if isinstance(body, Template):
        if len(body.parts) == 1 and isinstance(body.parts[0], Expression):
            return evaluate(body.parts[0], variables)
        return body.render(variables)
    if isinstance(body, list):
        return [render_json(item, variables) for item in body]
    if isinstance(body, dict):
        return {key: render_json(value, variables) for key, value in body.items()}
    return body


def json_value(data: object, depth: int = 0) -> Value:
    """A runner-supplied JSON value as a variable value (anything else becomes null)."""
    if depth > 32:
        return None
    if data is None or isinstance(data, bool | int | str):
        return data
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, list):
        return [json_value(item, depth + 1) for item in data]
    if isinstance(data, dict):
        return {str(key): json_value(value, depth + 1) for key, value in data.items()}
    return None


def json_path(data: object, path: tuple[str, ...]) -> Value:
    """The value at a dotted path of a JSON reply (`customer.flags.vip`, `items.0.id`); null when
    any part is missing."""
    current = data
    for part in path:
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return json_value(current)
