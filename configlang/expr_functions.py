"""The whitelist of functions expressions may call. Nothing else is callable."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from configlang.expr_errors import ExpressionError
from configlang.values import Value, to_text, type_name

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class Function:
    """A callable function: how many arguments it takes and what it does."""

    arity: int
    apply: Callable[[Sequence[Value]], Value]
    summary: str


def _len(args: Sequence[Value]) -> Value:
    value = args[0]
    if value is None:
        return 0
    if isinstance(value, str | list | dict):
        return len(value)
    raise ExpressionError(f"len() needs text or a list, got {type_name(value)}")


def _text_only(name: str, transform: Callable[[str], str]) -> Callable[[Sequence[Value]], Value]:
    def apply(args: Sequence[Value]) -> Value:
        value = args[0]
        if value is None:
            return ""
        if isinstance(value, str):
            return transform(value)
        raise ExpressionError(f"{name}() needs text, got {type_name(value)}")

    return apply


def _str(args: Sequence[Value]) -> Value:
    return to_text(args[0])


def _int(args: Sequence[Value]) -> Value:
    value = args[0]
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise ExpressionError(f"int() needs a number or digits, got {type_name(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ExpressionError("int() cannot convert an infinite or undefined number")
        return int(value)
    text = value.strip()
    if not _INTEGER_TEXT.fullmatch(text) or len(text) > 100:
        raise ExpressionError(f'int() cannot read "{value}" as a whole number')
    return int(text)


def _digits(args: Sequence[Value]) -> Value:
    value = args[0]
    if value is None:
        return ""
    if isinstance(value, (bool, list | dict)):
        raise ExpressionError(f"digits() needs text, got {type_name(value)}")
    return "".join(char for char in to_text(value) if "0" <= char <= "9")


FUNCTIONS: dict[str, Function] = {
    "len": Function(1, _len, "length of text or a list (null: 0)"),
    "lower": Function(1, _text_only("lower", str.lower), "text in lower case"),
    "upper": Function(1, _text_only("upper", str.upper), "text in upper case"),
    "str": Function(1, _str, "a value as text (null: empty)"),
    "int": Function(1, _int, "a whole number from digits or a number (truncates)"),
    "digits": Function(1, _digits, "only the characters 0-9 of a text"),
}
