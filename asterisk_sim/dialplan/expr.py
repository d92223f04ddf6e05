"""``$[ … ]`` expressions (ast_expr2), the subset dialplans use.

Operators from lowest to highest precedence: ``c ? a :: b``; ``|``; ``&``;
``= != < > <= >= =~``; ``+ -``; ``* / %``; unary ``! -``; ``:`` (regex match from the
start); parentheses. Operands are numbers, bare words or ``"quoted strings"`` (quotes
dropped). Comparisons are numeric when both sides are numbers, else by string, and yield
``1``/``0``. ``|`` yields its left side when that is true, else its right; ``&`` its left
side when both are true, else ``0``. A malformed expression yields ``""`` (Asterisk logs a
syntax error and substitutes nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPERATORS = (
    "::",
    "!=",
    "<=",
    ">=",
    "=~",
    "|",
    "&",
    "=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "?",
    ":",
    "(",
    ")",
)
_WORD_END = set(' \t\r\n"|&=<>+-*/%!?:()')


class ExprError(ValueError):
    """A malformed expression."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # "op" or "val"
    text: str


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise ExprError("unterminated string")
            toks.append(_Tok("val", text[i + 1 : end]))
            i = end + 1
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                toks.append(_Tok("op", op))
                i += len(op)
                break
        else:
            j = i
            while j < len(text) and text[j] not in _WORD_END:
                j += 1
            toks.append(_Tok("val", text[i:j]))
            i = j
    return toks


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def truthy(value: str) -> bool:
    """Asterisk's ``pbx_checkcondition``: empty is false, a number is its value, text is true."""
    if value == "":
        return False
    number = _num(value)
    return number != 0 if number is not None else True


class _Parser:
    def __init__(self, toks: list[_Tok]) -> None:
        self.toks = toks
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take_op(self, *ops: str) -> str | None:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text in ops:
            self.pos += 1
            return tok.text
        return None

    def ternary(self) -> str:
        cond = self.or_()
        if self.take_op("?"):
            yes = self.ternary()
            if not self.take_op("::"):
                raise ExprError("'?' without '::'")
            no = self.ternary()
            return yes if truthy(cond) else no
        return cond

    def or_(self) -> str:
        left = self.and_()
        while self.take_op("|"):
            right = self.and_()
            left = left if truthy(left) else right
        return left

    def and_(self) -> str:
        left = self.compare()
        while self.take_op("&"):
            right = self.compare()
            left = left if truthy(left) and truthy(right) else "0"
        return left

    def compare(self) -> str:
        left = self.additive()
        while True:
            op = self.take_op("=", "!=", "<", ">", "<=", ">=", "=~")
            if op is None:
                return left
            right = self.additive()
            if op == "=~":
                left = _regex(left, right, anchored=False)
                continue
            a, b = _num(left), _num(right)
            if a is not None and b is not None:
                result = {"=": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
            else:
                result = {
                    "=": left == right,
                    "!=": left != right,
                    "<": left < right,
                    ">": left > right,
                    "<=": left <= right,
                    ">=": left >= right,
                }[op]
            left = "1" if result else "0"

    def additive(self) -> str:
        left = self.multiplicative()
        while True:
            op = self.take_op("+", "-")
            if op is None:
                return left
            right = self.multiplicative()
            a, b = _num(left), _num(right)
            if a is None or b is None:
                raise ExprError(f"non-numeric operand for {op}")
            left = _fmt(a + b if op == "+" else a - b)

    def multiplicative(self) -> str:
        left = self.unary()
        while True:
            op = self.take_op("*", "/", "%")
            if op is None:
                return left
            right = self.unary()
            a, b = _num(left), _num(right)
            if a is None or b is None:
                raise ExprError(f"non-numeric operand for {op}")
            if op == "*":
                left = _fmt(a * b)
            elif b == 0:
                raise ExprError("division by zero")
            elif op == "/":
                left = _fmt(float(int(a / b)) if a == int(a) and b == int(b) else a / b)
            else:
                left = _fmt(a % b)

    def unary(self) -> str:
        if self.take_op("!"):
            return "0" if truthy(self.unary()) else "1"
        if self.take_op("-"):
            value = _num(self.unary())
            if value is None:
                raise ExprError("non-numeric operand for unary -")
            return _fmt(-value)
        return self.match()

    def match(self) -> str:
        left = self.primary()
        while self.take_op(":"):
            left = _regex(left, self.primary(), anchored=True)
        return left

    def primary(self) -> str:
        if self.take_op("("):
            value = self.ternary()
            if not self.take_op(")"):
                raise ExprError("missing ')'")
            return value
        tok = self.peek()
        if tok is None:
            return ""
        if tok.kind == "op":
            raise ExprError(f"unexpected {tok.text!r}")
        self.pos += 1
        return tok.text


def _regex(value: str, pattern: str, *, anchored: bool) -> str:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ExprError(f"bad regex {pattern!r}: {exc}") from None
    found = regex.match(value) if anchored else regex.search(value)
    if found is None:
        return "" if regex.groups else "0"
    if regex.groups:
        return found.group(1) or ""
    return str(len(found.group(0)))


def evaluate(text: str) -> str:
    """Evaluate the inside of ``$[ … ]`` (variables already substituted)."""
    try:
        toks = _tokenize(text)
        if not toks:
            return ""
        parser = _Parser(toks)
        value = parser.ternary()
        if parser.pos != len(toks):
            raise ExprError(f"unexpected {parser.toks[parser.pos].text!r}")
        return value
    except ExprError:
        return ""
