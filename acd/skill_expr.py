"""Skill requirements written as a small expression: ``english >= 3 and (billing >= 2 or sales)``.

The text is parsed by the shared safe expression parser (:mod:`configlang.expressions`),
then only a narrow subset is accepted and turned into a routing requirement tree:

* ``skill >= N`` (also ``N <= skill`` and ``skill > N-1``): the skill at level N or above;
* a bare ``skill``: the skill at any level (level 1);
* ``and`` / ``or`` and parentheses to combine them.

Anything else (``==``, arithmetic, ``not``, strings…) is refused with the column it starts
at: a requirement must be something the router can satisfy monotonically, and ``not``
(an agent *without* a skill) would break relaxation's promise that waiting only widens the
set of agents.
"""

from __future__ import annotations

from acd.requirement import MAX_LEVEL, MIN_LEVEL, AllOf, AnyOf, Need, Requirement
from configlang.expr_ast import Binary, Name, Node
from configlang.expr_ast import Literal as LiteralNode
from configlang.expr_errors import ExpressionSyntaxError
from configlang.expr_parser import parse_expression


class SkillExpressionError(ValueError):
    """The expression is not a skill requirement; ``column`` (1-based) points at the problem."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


def parse_skill_expression(text: str) -> Requirement:
    """Parse ``text`` into a requirement tree, or raise :class:`SkillExpressionError`."""
    try:
        expression = parse_expression(text)
    except ExpressionSyntaxError as exc:
        raise SkillExpressionError(exc.message, exc.column) from None
    return _convert(expression.root)


def _convert(node: Node) -> Requirement:
    if isinstance(node, Name):
        return Need(node.name, MIN_LEVEL)
    if isinstance(node, Binary) and node.op in ("and", "or"):
        left, right = _convert(node.left), _convert(node.right)
        kind = AllOf if node.op == "and" else AnyOf
        # Flatten `a and b and c` into one node: same meaning, smaller tree for the router.
        parts: list[Requirement] = []
        for part in (left, right):
            parts.extend(part.parts if isinstance(part, kind) else (part,))
        return kind(tuple(parts))
    if isinstance(node, Binary) and node.op in (">=", ">", "<=", "<"):
        return _comparison(node)
    raise SkillExpressionError(
        "a skill requirement combines `skill >= level` (or a bare skill name) with and/or", node.col
    )


def _comparison(node: Binary) -> Need:
    # Normalise `N <= skill` / `N < skill` to the skill-on-the-left form.
    flipped = {"<=": ">=", "<": ">"}
    if isinstance(node.left, Name) and node.op in (">=", ">"):
        name, level_node, op = node.left, node.right, node.op
    elif isinstance(node.right, Name) and node.op in flipped:
        name, level_node, op = node.right, node.left, flipped[node.op]
    else:
        raise SkillExpressionError("compare a skill name with a level, e.g. `billing >= 2`", node.col)
    if (
        not isinstance(level_node, LiteralNode)
        or isinstance(level_node.value, bool)
        or not isinstance(level_node.value, int)
    ):
        raise SkillExpressionError(
            f"a skill level is a whole number {MIN_LEVEL} to {MAX_LEVEL}", level_node.col
        )
    level = level_node.value + (1 if op == ">" else 0)
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        raise SkillExpressionError(
            f"skill level must be between {MIN_LEVEL} and {MAX_LEVEL}, got {level}", level_node.col
        )
    return Need(name.name, level)
