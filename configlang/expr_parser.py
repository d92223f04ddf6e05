"""Recursive-descent parser of the expression language.

Precedence, loosest first: `or`; `and`; `not`; one comparison (`== != < <= > >= in` `not in`
`startswith endswith`, never chained); `+ -`; `* / %`; unary `-`; literals, names, calls,
lists and parentheses.
"""

from __future__ import annotations

from configlang.expr_ast import Binary, Call, Expression, ListExpr, Literal, Name, Node, Unary
from configlang.expr_errors import ExpressionSyntaxError
from configlang.expr_functions import FUNCTIONS
from configlang.expr_lexer import Token, tokenize

# Evaluation walks the tree recursively: a bound on its depth keeps that within Python's stack.
MAX_DEPTH = 60
MAX_LENGTH = 4000

_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">=", "in", "startswith", "endswith"})


def parse_expression(text: str) -> Expression:
    """Parse `text` into an Expression.

    Raises ExpressionSyntaxError (and nothing else) with the 1-based column of the problem.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    parser = _Parser(tokenize(text))
    if parser.at_end():
        raise ExpressionSyntaxError("empty expression", 1)
    root = parser.expression()
    if not parser.at_end():
        raise ExpressionSyntaxError(f"unexpected {_show(parser.peek)}", parser.peek.col)
    return Expression(text, root, frozenset(parser.names), tuple(parser.names.items()))


def _show(token: Token) -> str:
    if token.kind == "end":
        return "end of expression"
    return f'"{token.text}"'


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0
        self._depths: dict[int, int] = {}
        self._level = 0
        self.names: dict[str, int] = {}  # name → column of its first use

    def _nested(self, col: int) -> _Nesting:
        return _Nesting(self, col)

    def at_end(self) -> bool:
        return self._tokens[self._pos].kind == "end"

    @property
    def peek(self) -> Token:
        return self._tokens[self._pos]

    def _advance(self) -> Token:
        token = self._tokens[self._pos]
        if token.kind != "end":
            self._pos += 1
        return token

    def _is(self, kind: str, text: str) -> bool:
        return self.peek.kind == kind and self.peek.text == text

    def _expect_op(self, text: str, context: str) -> Token:
        if not self._is("op", text):
            raise ExpressionSyntaxError(f'expected "{text}" {context}, got {_show(self.peek)}', self.peek.col)
        return self._advance()

    def _node(self, node: Node, *children: Node) -> Node:
        depth = 1 + max((self._depths.get(id(child), 1) for child in children), default=0)
        if depth > MAX_DEPTH:
            raise ExpressionSyntaxError("expression nested too deeply", node.col)
        self._depths[id(node)] = depth
        return node

    def expression(self) -> Node:
        return self._or()

    def _or(self) -> Node:
        left = self._and()
        while self._is("keyword", "or"):
            op = self._advance()
            right = self._and()
            left = self._node(Binary("or", left, right, op.col), left, right)
        return left

    def _and(self) -> Node:
        left = self._not()
        while self._is("keyword", "and"):
            op = self._advance()
            right = self._not()
            left = self._node(Binary("and", left, right, op.col), left, right)
        return left

    def _not(self) -> Node:
        if self._is("keyword", "not"):
            op = self._advance()
            with self._nested(op.col):
                operand = self._not()
            return self._node(Unary("not", operand, op.col), operand)
        return self._comparison()

    def _comparison_op(self) -> tuple[str, int] | None:
        token = self.peek
        if token.kind in ("op", "keyword") and token.text in _COMPARISONS:
            self._advance()
            return token.text, token.col
        if self._is("keyword", "not") and self._tokens[self._pos + 1].text == "in":
            self._advance()
            self._advance()
            return "not in", token.col
        return None

    def _comparison(self) -> Node:
        left = self._additive()
        found = self._comparison_op()
        if found is None:
            return left
        op, col = found
        right = self._additive()
        node = self._node(Binary(op, left, right, col), left, right)
        if self._comparison_op() is not None:
            previous = self._tokens[self._pos - 1]
            raise ExpressionSyntaxError("comparisons cannot be chained; join them with and", previous.col)
        return node

    def _additive(self) -> Node:
        left = self._term()
        while self.peek.kind == "op" and self.peek.text in ("+", "-"):
            op = self._advance()
            right = self._term()
            left = self._node(Binary(op.text, left, right, op.col), left, right)
        return left

    def _term(self) -> Node:
        left = self._unary()
        while self.peek.kind == "op" and self.peek.text in ("*", "/", "%"):
            op = self._advance()
            right = self._unary()
            left = self._node(Binary(op.text, left, right, op.col), left, right)
        return left

    def _unary(self) -> Node:
        if self._is("op", "-"):
            op = self._advance()
            with self._nested(op.col):
                operand = self._unary()
            return self._node(Unary("-", operand, op.col), operand)
        return self._primary()

    def _primary(self) -> Node:
        token = self.peek
        if token.kind in ("number", "string"):
            self._advance()
            return self._node(Literal(token.value, token.col))
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self._advance()
            value = {"true": True, "false": False, "null": None}[token.text]
            return self._node(Literal(value, token.col))
        if token.kind == "name":
            self._advance()
            if self._is("op", "("):
                with self._nested(token.col):
                    return self._call(token)
            self.names.setdefault(token.text, token.col)
            return self._node(Name(token.text, token.col))
        if self._is("op", "("):
            self._advance()
            with self._nested(token.col):
                inner = self.expression()
            self._expect_op(")", "to close the parenthesis")
            return self._node(inner, inner)
        if self._is("op", "["):
            with self._nested(token.col):
                return self._list()
        raise ExpressionSyntaxError(f"expected a value, got {_show(token)}", token.col)

    def _call(self, name: Token) -> Node:
        function = FUNCTIONS.get(name.text)
        if function is None:
            known = ", ".join(sorted(FUNCTIONS))
            raise ExpressionSyntaxError(f'unknown function "{name.text}" (available: {known})', name.col)
        self._advance()  # the opening parenthesis
        args: list[Node] = []
        if not self._is("op", ")"):
            args.append(self.expression())
            while self._is("op", ","):
                self._advance()
                args.append(self.expression())
        self._expect_op(")", f"after the arguments of {name.text}()")
        if len(args) != function.arity:
            raise ExpressionSyntaxError(
                f"{name.text}() takes {function.arity} argument(s), got {len(args)}", name.col
            )
        return self._node(Call(name.text, tuple(args), name.col), *args)

    def _list(self) -> Node:
        start = self._advance()
        items: list[Node] = []
        if not self._is("op", "]"):
            items.append(self.expression())
            while self._is("op", ","):
                self._advance()
                if self._is("op", "]"):
                    break  # a trailing comma is harmless
                items.append(self.expression())
        self._expect_op("]", "to close the list")
        return self._node(ListExpr(tuple(items), start.col), *items)


class _Nesting:
    """Counts how deep the parser has recursed, so hostile input fails with a syntax error."""

    def __init__(self, parser: _Parser, col: int) -> None:
        self._parser = parser
        self._col = col

    def __enter__(self) -> None:
        self._parser._level += 1
        if self._parser._level > MAX_DEPTH:
            raise ExpressionSyntaxError("expression nested too deeply", self._col)

    def __exit__(self, *exc: object) -> None:
        self._parser._level -= 1
