"""Tokens of the expression language, read by a hand-written scanner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from configlang.expr_errors import ExpressionSyntaxError

TokenKind = Literal["number", "string", "name", "keyword", "op", "end"]

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null", "startswith", "endswith"})
_TWO_CHAR_OPS = frozenset({"==", "!=", "<=", ">="})
_ONE_CHAR_OPS = frozenset("<>+-*/%()[],")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    """One token; `col` is the 1-based column of its first character."""

    kind: TokenKind
    text: str
    col: int
    value: str | int | float | None = None


def _is_name_start(char: str) -> bool:
    return char.isascii() and (char.isalpha() or char == "_")


def _is_name_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens, ending with an `end` token.

    Raises ExpressionSyntaxError at the first character that starts no valid token.
    """
    tokens: list[Token] = []
    i = 0
    length = len(text)
    while i < length:
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char.isascii() and char.isdigit():
            i = _number(text, i, tokens)
        elif char in "\"'":
            i = _string(text, i, tokens)
        elif _is_name_start(char):
            i = _name(text, i, tokens)
        elif text[i : i + 2] in _TWO_CHAR_OPS:
            tokens.append(Token("op", text[i : i + 2], i + 1))
            i += 2
        elif char in _ONE_CHAR_OPS:
            tokens.append(Token("op", char, i + 1))
            i += 1
        else:
            hint = "; use == to compare" if char == "=" else ""
            shown = char if char.isprintable() else repr(char)
            raise ExpressionSyntaxError(f"unexpected character {shown!s}{hint}", i + 1)
    tokens.append(Token("end", "", length + 1))
    return tokens


def _number(text: str, start: int, tokens: list[Token]) -> int:
    i = start
    while i < len(text) and text[i].isascii() and text[i].isdigit():
        i += 1
    is_float = False
    if i < len(text) and text[i] == ".":
        if not (i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isdigit()):
            raise ExpressionSyntaxError("expected digits after the decimal point", i + 2)
        is_float = True
        i += 1
        while i < len(text) and text[i].isascii() and text[i].isdigit():
            i += 1
    if i < len(text) and _is_name_char(text[i]):
        raise ExpressionSyntaxError("a number cannot run into a name", i + 1)
    raw = text[start:i]
    if len(raw) > 300:
        raise ExpressionSyntaxError("number too long", start + 1)
    tokens.append(Token("number", raw, start + 1, float(raw) if is_float else int(raw)))
    return i


def _string(text: str, start: int, tokens: list[Token]) -> int:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == quote:
            tokens.append(Token("string", text[start : i + 1], start + 1, "".join(chars)))
            return i + 1
        if char == "\\":
            if i + 1 >= len(text):
                break
            escaped = _ESCAPES.get(text[i + 1])
            if escaped is None:
                raise ExpressionSyntaxError(f"unknown escape \\{text[i + 1]} in text", i + 1)
            chars.append(escaped)
            i += 2
            continue
        chars.append(char)
        i += 1
    raise ExpressionSyntaxError(f"text starting here has no closing {quote}", start + 1)


def _name(text: str, start: int, tokens: list[Token]) -> int:
    i = start
    while i < len(text) and _is_name_char(text[i]):
        i += 1
    first = text[start:i]
    # Dotted names (`caller.number`) are one token: the dot is not an operator in this language.
    while i < len(text) and text[i] == ".":
        if not (i + 1 < len(text) and _is_name_char(text[i + 1])):
            raise ExpressionSyntaxError("expected a name after the dot", i + 2)
        i += 1
        while i < len(text) and _is_name_char(text[i]):
            i += 1
    name = text[start:i]
    if name == first and first in KEYWORDS:
        tokens.append(Token("keyword", name, start + 1))
    elif first in KEYWORDS:
        raise ExpressionSyntaxError(f'"{first}" is a reserved word and cannot start a name', start + 1)
    else:
        tokens.append(Token("name", name, start + 1, name))
    return i
