"""The expression language: syntax, semantics, errors with columns, interpolation."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configlang.expressions import (
    ExpressionError,
    ExpressionSyntaxError,
    Value,
    evaluate,
    evaluate_bool,
    parse_expression,
    parse_template,
    to_text,
)

VARIABLES: dict[str, Value] = {
    "caller.number": "+33612345678",
    "customer.vip": True,
    "customer.tags": ["gold", "fr"],
    "time.hour": 14,
    "account": "4111 1111-1111 1111",
    "empty": "",
    "zero": 0,
    "ratio": 2.5,
    "reply": {"a": 1},
}


def run(text: str) -> Value:
    return evaluate(parse_expression(text), VARIABLES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("10 % 4", 2),
        ("-time.hour + 1", -13),
        ("- -3", 3),
        ("\"ab\" + 'cd'", "abcd"),
        ('"it\\"s"', 'it"s'),
        ("1 == 1.0", True),
        ("true == 1", False),
        ('"5" == 5', False),
        ("null == missing.name", True),
        ("[1, 2] == [1, 2]", True),
        ("time.hour >= 9 and time.hour < 18", True),
        ('"abc" < "abd"', True),
        ("not customer.vip", False),
        ("not not empty", False),
        ("zero or ratio", True),
        ("customer.vip and zero", False),
        ('"gold" in customer.tags', True),
        ('"silver" not in customer.tags', True),
        ("2 in [1, 2, 3]", True),
        ('"345" in caller.number', True),
        ('"a" in reply', True),
        ('"x" in missing', False),
        ('caller.number startswith "+33"', True),
        ('caller.number endswith "78"', True),
        ('missing startswith "+"', False),
        ("len(customer.tags)", 2),
        ("len(missing)", 0),
        ('upper("abc") + lower("DEF")', "ABCdef"),
        ("str(ratio) + str(true) + str(null)", "2.5true"),
        ('int(" 42 ")', 42),
        ("int(ratio)", 2),
        ("digits(account)", "4111111111111111"),
        ("len(digits(caller.number)) == 11", True),
        ("[1, 2,]", [1, 2]),
        ("[]", []),
        ("unknown.variable", None),
    ],
)
def test_evaluation(text: str, expected: Value) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"a" + 1', "cannot apply + to text and number; use str() to join text and numbers"),
        ("1 / zero", "division by zero"),
        ("5 % 0", "division by zero"),
        ('1 < "2"', "cannot compare number < text"),
        ("missing > 3", "cannot compare null > number"),
        ("-empty", "cannot negate text"),
        ("true + 1", "cannot apply + to boolean and number"),
        ("1 in 5", "in needs a list or text on its right, got number"),
        ('1 in "abc"', "cannot look for number inside text"),
        ("5 startswith 1", "startswith needs text on both sides, got number and number"),
        ('int("12a")', 'int() cannot read "12a" as a whole number'),
        ("int(true)", "int() needs a number or digits, got boolean"),
        ("len(5)", "len() needs text or a list, got number"),
        ("upper(5)", "upper() needs text, got number"),
        ("digits(true)", "digits() needs text, got boolean"),
    ],
)
def test_runtime_errors_are_expression_errors_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        run(text)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("", 1, "empty expression"),
        ("1 +", 4, "expected a value, got end of expression"),
        ("a = 1", 3, "unexpected character =; use == to compare"),
        ("1 < 2 < 3", 7, "comparisons cannot be chained; join them with and"),
        ("foo(1)", 1, 'unknown function "foo" (available: digits, int, len, lower, str, upper)'),
        ("len(1, 2)", 1, "len() takes 1 argument(s), got 2"),
        ('"open', 1, 'text starting here has no closing "'),
        ('"bad \\q"', 6, "unknown escape \\q in text"),
        ("1.", 3, "expected digits after the decimal point"),
        ("12abc", 3, "a number cannot run into a name"),
        ("caller.", 8, "expected a name after the dot"),
        ("true.x", 1, '"true" is a reserved word and cannot start a name'),
        ("(1 + 2", 7, 'expected ")" to close the parenthesis, got end of expression'),
        ("[1, 2", 6, 'expected "]" to close the list, got end of expression'),
        ("1 2", 3, 'unexpected "2"'),
        ("a @ b", 3, "unexpected character @"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_expression(text)
    assert (info.value.column, info.value.message) == (column, message)


def test_deep_nesting_is_a_syntax_error_not_a_crash() -> None:
    for text in ["(" * 500 + "1" + ")" * 500, "not " * 900 + "x", "- " * 1500 + "1", "1" + " + 1" * 900]:
        with pytest.raises(ExpressionSyntaxError):
            parse_expression(text)


def test_names_lists_every_variable_read() -> None:
    expression = parse_expression('customer.vip and caller.number startswith "+33" or len(x.y) > 1')
    assert expression.names == {"customer.vip", "caller.number", "x.y"}
    assert evaluate_bool(parse_expression("customer.tags"), VARIABLES) is True


def test_to_text() -> None:
    samples: list[Value] = [None, True, 5, 5.0, 2.5, "x", [1, "a"]]
    assert [to_text(v) for v in samples] == ["", "true", "5", "5", "2.5", "x", '[1, "a"]']


def test_interpolation() -> None:
    template = parse_template('Hi ${upper(caller.name)}, ${len("}")} $${literal} $5')
    assert template.render({"caller.name": "bob"}) == "Hi BOB, 1 ${literal} $5"
    assert template.names == {"caller.name"}
    assert not template.is_static
    static = parse_template("custom/welcome $${x}")
    assert static.is_static
    assert static.static_text() == "custom/welcome ${x}"


def test_interpolation_encoder_sees_only_inserted_values() -> None:
    template = parse_template("${base}/x?n=${number}")
    seen: list[tuple[int, str]] = []

    def encode(index: int, text: str) -> str:
        seen.append((index, text))
        return text.upper()

    assert template.render({"base": "h", "number": "a&b"}, encode) == "H/x?n=A&B"
    assert seen == [(0, "h"), (1, "a&b")]
    assert template.starts_with_expression()


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("ab ${1 +}", 9, "expected a value, got end of expression"),
        ("x ${caller.", 3, "${ has no closing }"),
        ("x ${ }", 3, "empty ${}"),
        ("x ${'}'", 3, "${ has no closing }"),
    ],
)
def test_interpolation_errors_count_columns_in_the_whole_text(text: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as info:
        parse_template(text)
    assert (info.value.column, info.value.message) == (column, message)


ALPHABET = st.sampled_from(
    [*list("abcxyz019._ ()[],+-*/%<>=!\"'\\${}"), "and", "or", "not", "in", "len", "\n"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join) | st.text(max_size=40))
def test_random_text_raises_nothing_but_the_documented_errors(text: str) -> None:
    try:
        expression = parse_expression(text)
    except ExpressionSyntaxError as exc:
        column = exc.column
        expression = None
    else:
        column = 1
    assert 1 <= column <= len(text) + 1
    if expression is None:
        return
    with contextlib.suppress(ExpressionError):
        evaluate(expression, VARIABLES)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_random_templates_raise_nothing_but_the_documented_errors(text: str) -> None:
    try:
        template = parse_template(text)
    except ExpressionSyntaxError as exc:
        column = exc.column
        template = None
    else:
        column = 1
    assert 1 <= column <= len(text) + 1
    if template is None:
        return
    with contextlib.suppress(ExpressionError):
        template.render(VARIABLES)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "in",
            "not in",
            "startswith",
            "endswith",
            "+",
            "-",
            "*",
            "/",
            "%",
            "and",
            "or",
        ]
    ),
    values,
    values,
)
def test_every_operator_on_every_kind_of_value_is_safe(op: str, left: Value, right: Value) -> None:
    expression = parse_expression(f"a {op} b")
    with contextlib.suppress(ExpressionError):
        evaluate(expression, {"a": left, "b": right})
