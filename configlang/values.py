"""The values that dialplan variables and expressions hold, and how they read as text."""

from __future__ import annotations

import json
from typing import TypeAlias

# JSON-shaped: what a CRM reply can bring in, plus what expressions compute.
Value: TypeAlias = "bool | int | float | str | list[Value] | dict[str, Value] | None"


def type_name(value: Value) -> str:
    """The name of a value's type as the documentation calls it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "mapping"


def to_text(value: Value) -> str:
    """How a value is written into a prompt, URL or dial string: null is empty, 5.0 is `5`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def is_truthy(value: Value) -> bool:
    """Truth as `if`, `and`, `or` and `not` see it: null, false, 0, "" and [] are false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return len(value) > 0


def is_number(value: Value) -> bool:
    """A number that is not a boolean (booleans never take part in arithmetic)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def values_equal(left: Value, right: Value) -> bool:
    """Equality without Python's coercions: `1 == 1.0`, but `true != 1` and `"5" != 5`."""
    if is_number(left) and is_number(right):
        return left == right
    if type_name(left) != type_name(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(values_equal(a, b) for a, b in zip(left, right))
    return left == right
