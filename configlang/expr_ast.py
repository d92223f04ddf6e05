"""The syntax tree of an expression. Every node keeps the column it starts at."""

from __future__ import annotations

from dataclasses import dataclass

from configlang.values import Value


@dataclass(frozen=True, slots=True)
class Literal:
    """A number, text, true, false or null written in the expression."""

    value: Value
    col: int


@dataclass(frozen=True, slots=True)
class Name:
    """A (dotted) variable name; unknown names evaluate to null."""

    name: str
    col: int


@dataclass(frozen=True, slots=True)
class ListExpr:
    """`[a, b, ...]`."""

    items: tuple[Node, ...]
    col: int


@dataclass(frozen=True, slots=True)
class Unary:
    """`not x` or `-x`."""

    op: str
    operand: Node
    col: int


@dataclass(frozen=True, slots=True)
class Binary:
    """`left op right`; `op` is the operator as written (`not in` included)."""

    op: str
    left: Node
    right: Node
    col: int


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of the whitelisted functions."""

    function: str
    args: tuple[Node, ...]
    col: int


Node = Literal | Name | ListExpr | Unary | Binary | Call


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed expression, with its source text and the variable names it reads."""

    text: str
    root: Node
    names: frozenset[str]
    first_columns: tuple[tuple[str, int], ...] = ()  # where each name is first read (1-based)

    def __str__(self) -> str:
        return self.text
