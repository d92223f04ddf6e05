"""The two ways an expression can fail: it does not parse, or it cannot be evaluated."""

from __future__ import annotations


class ExpressionSyntaxError(Exception):
    """The text is not a valid expression; `column` (1-based) points into the text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


class ExpressionError(Exception):
    """A parsed expression could not be evaluated (a type error, division by zero...)."""
