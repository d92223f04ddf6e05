"""The small, safe expression language of dialplans and configuration.

Nothing here is Python: the text is tokenized and parsed by hand into a tiny syntax tree and
evaluated by walking it, so no YAML file can ever reach `eval` or import anything.
See docs/dialplan-language.md, "Expressions", for the language itself.
"""

from configlang.expr_ast import Expression
from configlang.expr_errors import ExpressionError, ExpressionSyntaxError
from configlang.expr_eval import evaluate, evaluate_bool
from configlang.expr_functions import FUNCTIONS
from configlang.expr_parser import parse_expression
from configlang.interpolation import Template, parse_template
from configlang.values import Value, is_truthy, to_text, type_name, values_equal

__all__ = [
    "FUNCTIONS",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "Template",
    "Value",
    "evaluate",
    "evaluate_bool",
    "is_truthy",
    "parse_expression",
    "parse_template",
    "to_text",
    "type_name",
    "values_equal",
]
