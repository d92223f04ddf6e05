"""What the step compilers share while compiling one file: diagnostics, and the references
(targets, sounds, variables, sub-dialplans) to check once every step is known."""

from __future__ import annotations

from dataclasses import dataclass, field

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import describe, expect_text
from configlang.expr_ast import Expression
from configlang.expr_ast import Literal as LiteralNode
from configlang.expressions import ExpressionSyntaxError, Template, parse_expression, parse_template
from configlang.mark import Mark
from configlang.source import BOOL_TAG, Node, ScalarNode
from ivr.names import VARIABLE_NAME


@dataclass(frozen=True, slots=True)
class Reference:
    """A name used somewhere, to check once the whole file (or set of files) is known."""

    name: str
    mark: Mark
    path: DocPath


@dataclass
class FileContext:
    """Per-file compilation state."""

    diags: Diagnostics
    file: str
    timezone: str = "UTC"
    name: str | None = None
    name_mark: Mark = field(default_factory=lambda: Mark("", 1, 1))
    failed: bool = False  # set when a check across files found an error in this file
    step_refs: list[Reference] = field(default_factory=list)
    dialplan_refs: list[Reference] = field(default_factory=list)
    queue_refs: list[Reference] = field(default_factory=list)
    sound_refs: list[Reference] = field(default_factory=list)
    variables_read: list[Reference] = field(default_factory=list)
    variables_written: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)

    def error(self, mark: Mark, message: str, path: DocPath) -> None:
        """Record an error."""
        self.diags.error(mark, message, path)

    def warning(self, mark: Mark, message: str, path: DocPath) -> None:
        """Record a warning."""
        self.diags.warning(mark, message, path)

    def target(self, node: Node, path: DocPath) -> str | None:
        """A step id that the step graph leads to; checked to exist once every step is read."""
        name = expect_text(node, path, self.diags, "the id of a step")
        if name is not None:
            self.step_refs.append(Reference(name, node.mark, path))
        return name

    def variable_name(self, node: Node, path: DocPath, *, writes: bool = True) -> str | None:
        """A (dotted) variable name such as `customer.vip`."""
        name = expect_text(
            node, path, self.diags, "a variable name such as customer.vip", pattern=VARIABLE_NAME
        )
        if name is not None and writes:
            self.variables_written.add(name)
        return name

    def write_variable_key(self, name: str, mark: Mark, path: DocPath) -> bool:
        """Check a variable name written as a mapping key; records it as assigned."""
        if not VARIABLE_NAME.fullmatch(name):
            self.error(mark, f'"{name}" is not a variable name (letters, digits, _ and dots)', path)
            return False
        if name.startswith("time."):
            self.error(
                mark, f'"{name}": time.* variables are set from the clock and cannot be assigned', path
            )
            return False
        self.variables_written.add(name)
        return True

    def expression(self, node: Node, path: DocPath) -> Expression | None:
        """An expression: text is parsed; a plain number, boolean or null is taken literally."""
        if isinstance(node, ScalarNode) and (node.tag == BOOL_TAG or not isinstance(node.value, str)):
            if node.value is None and not node.raw:
                self.error(node.mark, f"{path.last}: expected an expression, got nothing", path)
                return None
            return Expression(node.raw, LiteralNode(node.value, 1), frozenset())
        if not isinstance(node, ScalarNode):
            self.error(node.mark, f"{path.last}: expected an expression, got {describe(node)}", path)
            return None
        try:
            expression = parse_expression(node.raw)
        except ExpressionSyntaxError as exc:
            self.error(node.mark_at(exc.column - 1), f"{path.last}: {exc.message}", path)
            return None
        for name, column in expression.first_columns:
            self.variables_read.append(Reference(name, node.mark_at(column - 1), path))
        return expression

    def template(self, node: Node, path: DocPath, what: str = "text") -> Template | None:
        """Text that may contain `${...}` interpolations."""
        text = expect_text(node, path, self.diags, what)
        if text is None:
            return None
        assert isinstance(node, ScalarNode)
        try:
            template = parse_template(text)
        except ExpressionSyntaxError as exc:
            self.error(node.mark_at(exc.column - 1), f"{path.last}: {exc.message}", path)
            return None
        self._reads(template.names, node.mark, path)
        return template

    def _reads(self, names: frozenset[str], mark: Mark, path: DocPath) -> None:
        for name in sorted(names):
            self.variables_read.append(Reference(name, mark, path))
