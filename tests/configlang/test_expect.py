"""The schema-checking toolkit: each check says what it expected and what it found."""

from __future__ import annotations

import re

from configlang.diagnostics import Diagnostics
from configlang.docpath import DocPath
from configlang.expect import (
    Fields,
    closest,
    describe,
    expect_choice,
    expect_int,
    expect_list,
    expect_map,
    expect_number,
    expect_text,
    is_null,
)
from configlang.source import MapNode, Node, load_yaml

PATH = DocPath(("steps", "m", "menu"))


def node_of(text: str) -> Node:
    diags = Diagnostics()
    node = load_yaml(text, "t.yaml", diags)
    assert node is not None
    assert not diags.has_errors
    return node


def value_of(text: str) -> Node:
    root = node_of(f"v: {text}\n")
    assert isinstance(root, MapNode)
    value = root.get("v")
    assert value is not None
    return value


def messages(diags: Diagnostics) -> list[str]:
    return [d.format() for d in diags]


def test_describe_says_what_was_found() -> None:
    assert describe(value_of('"abc"')) == '"abc"'
    assert describe(value_of("12")) == "12"
    assert describe(value_of("true")) == "true"
    assert describe(value_of("[1]")) == "a list"
    assert describe(value_of("{a: 1}")) == "a mapping"
    assert describe(value_of("")) == "nothing (null)"
    assert describe(value_of("no")) == 'no (YAML reads it as false; quote it to mean the text "no")'


def test_fields_report_unknown_keys_with_a_suggestion_and_missing_required_ones() -> None:
    diags = Diagnostics()
    node = node_of("prompt: x\ntimout: 5\n")
    assert isinstance(node, MapNode)
    fields = Fields(
        node, PATH, diags, where="menu", allowed=("prompt", "timeout", "options"), required=("options",)
    )
    assert not fields.ok
    assert messages(diags) == [
        't.yaml:1:1: error: menu: missing required key "options" (at steps.m.menu)',
        (
            't.yaml:2:1: error: unknown key "timout" in menu; did you mean "timeout"? '
            "(allowed: options, prompt, timeout) (at steps.m.menu.timout)"
        ),
    ]


def test_number_in_range_and_the_message_for_a_wrong_one() -> None:
    diags = Diagnostics()
    node = node_of('timeout: "abc"\nmax: 3\nlow: 0.5\n')
    assert isinstance(node, MapNode)
    fields = Fields(node, PATH, diags, where="menu", allowed=("timeout", "max", "low"))
    what = "a number of seconds between 1 and 60"
    assert fields.number("timeout", 5, minimum=1, maximum=60, what=what) == 5  # the default after an error
    assert fields.integer("max", 1, minimum=1, maximum=10) == 3
    assert fields.number("low", 2, minimum=1) == 2
    assert fields.number("absent", 7) == 7
    assert messages(diags) == [
        (
            't.yaml:1:10: error: timeout: expected a number of seconds between 1 and 60, got "abc" '
            "(at steps.m.menu.timeout)"
        ),
        "t.yaml:3:6: error: low: expected a number of at least 1, got 0.5 (at steps.m.menu.low)",
    ]


def test_integers_refuse_booleans_and_decimals() -> None:
    diags = Diagnostics()
    assert expect_int(value_of("true"), PATH.key("n"), diags) is None
    assert expect_int(value_of("2.5"), PATH.key("n"), diags, maximum=9) is None
    assert expect_number(value_of(".inf"), PATH.key("n"), diags) is None
    assert [d.message for d in diags] == [
        "n: expected a whole number, got true",
        "n: expected a whole number of at most 9, got 2.5",
        "n: expected a number, got .inf",
    ]


def test_text_accepts_numbers_as_written_but_not_booleans() -> None:
    diags = Diagnostics()
    assert expect_text(value_of("0800123"), PATH, diags) == "0800123"
    assert expect_text(value_of("yes"), PATH, diags) is None
    assert expect_text(value_of("x y"), PATH, diags, "a name", pattern=re.compile(r"\w+")) is None
    assert [d.message for d in diags] == [
        'menu: expected text, got yes (YAML reads it as true; quote it to mean the text "yes")',
        'menu: expected a name, got "x y"',
    ]


def test_choice_suggests_the_closest_word() -> None:
    diags = Diagnostics()
    assert expect_choice(value_of("POTS"), PATH.key("method"), diags, ("GET", "POST")) is None
    assert expect_choice(value_of("GET"), PATH.key("method"), diags, ("GET", "POST")) == "GET"
    assert [d.message for d in diags] == [
        'method: expected one of GET, POST, got "POTS"; did you mean "POST"?'
    ]


def test_lists_and_maps() -> None:
    diags = Diagnostics()
    items = expect_list(value_of("[a, b]"), PATH, diags)
    assert items is not None
    assert [str(path) for _, path in items] == ["steps.m.menu[0]", "steps.m.menu[1]"]
    single = expect_list(value_of("a"), PATH, diags, allow_single=True)
    assert single is not None
    assert len(single) == 1
    assert expect_list(value_of(""), PATH, diags, allow_single=True) is None
    assert expect_map(value_of("[1]"), PATH, diags) is None
    assert [d.message for d in diags] == [
        "menu: expected a list, got nothing (null)",
        "menu: expected a mapping, got a list",
    ]


def test_closest_and_is_null() -> None:
    assert closest("suport", ["sales", "support"]) == "support"
    assert closest("zzz", ["sales", "support"]) is None
    assert is_null(None)
    assert is_null(value_of(""))
    assert not is_null(value_of("0"))
