"""Evaluation of parsed expressions over a mapping of variables.

Pure: no I/O, no clock. Every failure is an ExpressionError with a message an engineer can act
on; no Python exception escapes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from configlang.expr_ast import Binary, Call, Expression, ListExpr, Literal, Name, Node, Unary
from configlang.expr_errors import ExpressionError
from configlang.expr_functions import FUNCTIONS
from configlang.values import Value, is_number, is_truthy, type_name, values_equal

_ORDERING = frozenset({"<", "<=", ">", ">="})


def evaluate(expression: Expression, variables: Mapping[str, Value]) -> Value:
    """The value of `expression`; names missing from `variables` read as null."""
    return _eval(expression.root, variables)


def evaluate_bool(expression: Expression, variables: Mapping[str, Value]) -> bool:
    """The truth of `expression` (see `is_truthy`)."""
    return is_truthy(_eval(expression.root, variables))


def _eval(node: Node, variables: Mapping[str, Value]) -> Value:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        return variables.get(node.name)
    if isinstance(node, ListExpr):
        return [_eval(item, variables) for item in node.items]
    if isinstance(node, Unary):
        operand = _eval(node.operand, variables)
        if node.op == "not":
            return not is_truthy(operand)
        if not is_number(operand):
            raise ExpressionError(f"cannot negate {type_name(operand)}")
        assert isinstance(operand, int | float)
        return -operand
    if isinstance(node, Call):
        args = [_eval(arg, variables) for arg in node.args]
        return FUNCTIONS[node.function].apply(args)
    return _binary(node, variables)


def _binary(node: Binary, variables: Mapping[str, Value]) -> Value:
    if node.op == "and":
        return is_truthy(_eval(node.left, variables)) and is_truthy(_eval(node.right, variables))
    if node.op == "or":
        return is_truthy(_eval(node.left, variables)) or is_truthy(_eval(node.right, variables))
    left = _eval(node.left, variables)
    right = _eval(node.right, variables)
    if node.op == "==":
        return values_equal(left, right)
    if node.op == "!=":
        return not values_equal(left, right)
    if node.op in _ORDERING:
        return _order(node.op, left, right)
    if node.op == "in":
        return _contains(right, left)
    if node.op == "not in":
        return not _contains(right, left)
    if node.op in ("startswith", "endswith"):
        return _affix(node.op, left, right)
    return _arithmetic(node.op, left, right)


def _order(op: str, left: Value, right: Value) -> bool:
    if is_number(left) and is_number(right):
        assert isinstance(left, int | float)
        assert isinstance(right, int | float)
        a: float | str = left
        b: float | str = right
    elif isinstance(left, str) and isinstance(right, str):
        a, b = left, right
    else:
        raise ExpressionError(f"cannot compare {type_name(left)} {op} {type_name(right)}")
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]


def _contains(container: Value, item: Value) -> bool:
    # An unset variable on the right is "nothing in it": a missing CRM field must not break a call.
    if container is None:
        return False
    if isinstance(container, list):
        return any(values_equal(item, member) for member in container)
    if isinstance(container, str):
        if item is None:
            return False
        if not isinstance(item, str):
            raise ExpressionError(f"cannot look for {type_name(item)} inside text")
        return item in container
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    raise ExpressionError(f"in needs a list or text on its right, got {type_name(container)}")


def _affix(op: str, text: Value, affix: Value) -> bool:
    if text is None or affix is None:
        return False
    if not isinstance(text, str) or not isinstance(affix, str):
        raise ExpressionError(f"{op} needs text on both sides, got {type_name(text)} and {type_name(affix)}")
    return text.startswith(affix) if op == "startswith" else text.endswith(affix)


def _arithmetic(op: str, left: Value, right: Value) -> Value:
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if not (is_number(left) and is_number(right)):
        joins_text = op == "+" and (isinstance(left, str) or isinstance(right, str))
        hint = "; use str() to join text and numbers" if joins_text else ""
        raise ExpressionError(f"cannot apply {op} to {type_name(left)} and {type_name(right)}{hint}")
    assert isinstance(left, int | float)
    assert isinstance(right, int | float)
    if op in ("/", "%") and right == 0:
        raise ExpressionError("division by zero")
    result: int | float
    if op == "+":
        result = left + right
    elif op == "-":
        result = left - right
    elif op == "*":
        result = left * right
    elif op == "/":
        result = left / right
    else:
        result = left % right
    if isinstance(result, float) and not math.isfinite(result):
        raise ExpressionError("the result is too large")
    return result
