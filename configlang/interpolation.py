"""`${...}` interpolation in text: prompts, URLs, dial strings, tags.

`${caller.number}` inserts a variable, `${len(account)}` any expression, `$${` a literal `${`.
A `$` not followed by `{` is an ordinary character.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from configlang.expr_ast import Expression
from configlang.expr_errors import ExpressionSyntaxError
from configlang.expr_eval import evaluate
from configlang.expr_parser import parse_expression
from configlang.values import Value, to_text


@dataclass(frozen=True, slots=True)
class Template:
    """Text with interpolated expressions; `parts` alternate literal text and expressions."""

    text: str
    parts: tuple[str | Expression, ...]

    @property
    def is_static(self) -> bool:
        """Whether the text has no `${...}` (its value is known at compile time)."""
        return all(isinstance(part, str) for part in self.parts)

    @property
    def names(self) -> frozenset[str]:
        """Every variable name the template reads."""
        found: set[str] = set()
        for part in self.parts:
            if isinstance(part, Expression):
                found |= part.names
        return frozenset(found)

    def static_text(self) -> str:
        """The text with `$${` escapes resolved (meaningful only when `is_static`)."""
        return "".join(part for part in self.parts if isinstance(part, str))

    def render(self, variables: Mapping[str, Value], encode: Callable[[int, str], str] | None = None) -> str:
        """The text with every expression replaced by its value as text.

        `encode(index, text)` may transform each inserted value (`index` counts the expressions
        from 0); URLs use it to percent-encode. Literal text is never passed to it.
        Raises ExpressionError when an expression cannot be evaluated.
        """
        pieces: list[str] = []
        index = 0
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = to_text(evaluate(part, variables))
            pieces.append(encode(index, value) if encode is not None else value)
            index += 1
        return "".join(pieces)

    def starts_with_expression(self) -> bool:
        """Whether the very first thing in the text is a `${...}`."""
        return bool(self.parts) and isinstance(self.parts[0], Expression)


def parse_template(text: str) -> Template:
    """Split `text` into literal parts and parsed expressions.

    Raises ExpressionSyntaxError whose column is 1-based within the whole text.
    """
    parts: list[str | Expression] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$${", i):
            literal.append("${")
            i += 3
            continue
        if not text.startswith("${", i):
            literal.append(text[i])
            i += 1
            continue
        start = i + 2
        end = _closing_brace(text, start)
        if end is None:
            raise ExpressionSyntaxError("${ has no closing }", i + 1)
        inner = text[start:end]
        if not inner.strip():
            raise ExpressionSyntaxError("empty ${}", i + 1)
        try:
            expression = parse_expression(inner)
        except ExpressionSyntaxError as exc:
            raise ExpressionSyntaxError(exc.message, start + exc.column) from None
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(expression)
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def _closing_brace(text: str, start: int) -> int | None:
    """The index of the `}` closing an interpolation, skipping braces inside quoted text."""
    quote: str | None = None
    i = start
    while i < len(text):
        char = text[i]
        if quote is not None:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "}":
            return i
        i += 1
    return None
