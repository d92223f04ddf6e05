"""Positioned YAML loading: positions, and what PyYAML tolerates that we refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from configlang.diagnostics import Diagnostics
from configlang.source import MapNode, Node, ScalarNode, SeqNode, load_yaml, load_yaml_file


def load(text: str) -> tuple[Node | None, list[str]]:
    diags = Diagnostics()
    node = load_yaml(text, "f.yaml", diags)
    return node, [d.format() for d in diags]


def as_map(node: Node | None) -> MapNode:
    assert isinstance(node, MapNode)
    return node


def test_every_node_keeps_its_one_based_position() -> None:
    node, problems = load("a: 1\nb:\n  - x\n  - {c: true}\n")
    assert problems == []
    root = as_map(node)
    assert (root.mark.line, root.mark.col) == (1, 1)
    a = root.entry("a")
    assert a is not None
    assert (a.key_mark.line, a.key_mark.col) == (1, 1)
    assert (a.value.mark.line, a.value.mark.col) == (1, 4)
    b = root.get("b")
    assert isinstance(b, SeqNode)
    assert (b.items[0].mark.line, b.items[0].mark.col) == (3, 5)
    inner = as_map(b.items[1]).get("c")
    assert isinstance(inner, ScalarNode)
    assert inner.value is True
    assert (inner.mark.line, inner.mark.col) == (4, 9)


def test_scalars_are_typed_by_the_core_schema_and_keep_their_text() -> None:
    node, _ = load('i: 012\nf: 1.5\nn: ~\ns: "5"\nd: 2025-12-25\nb: off\nhex: 0x1F\n')
    root = as_map(node)
    values = {entry.key: entry.value for entry in root}
    assert isinstance(values["i"], ScalarNode)
    assert values["i"].value == 10  # YAML 1.1 octal...
    assert values["i"].raw == "012"  # ...but the text as written is kept for fields that want text
    assert values["f"].value == 1.5  # type: ignore[union-attr]
    assert values["n"].value is None  # type: ignore[union-attr]
    assert values["s"].value == "5"  # type: ignore[union-attr]
    assert values["d"].value == "2025-12-25"  # type: ignore[union-attr]  # dates stay text
    assert values["b"].value is False  # type: ignore[union-attr]
    assert values["hex"].value == 31  # type: ignore[union-attr]


def test_duplicate_keys_are_errors_pointing_at_the_second_one() -> None:
    node, problems = load("steps:\n  a: 1\n  b: 2\n  a: 3\n")
    assert problems == ['f.yaml:4:3: error: duplicate key "a" (first defined at line 2, column 3)']
    steps = as_map(as_map(node).get("steps"))
    assert steps.key_names() == ["a", "b"]


def test_quoted_and_plain_keys_that_read_the_same_are_duplicates() -> None:
    _, problems = load('options: {1: a, "1": b}\n')
    assert problems == ['f.yaml:1:17: error: duplicate key "1" (first defined at line 1, column 11)']


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("a: !!python/object:os.system ls\n", "!!python/object:os.system"),
        ("a: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !custom x\n", "!custom"),
        ("a: !!set {x, y}\n", "!!set"),
    ],
)
def test_tags_outside_the_core_schema_are_rejected(text: str, tag: str) -> None:
    _, problems = load(text)
    assert problems == [f"f.yaml:1:4: error: unsupported YAML tag {tag}"]


def test_explicit_core_tags_are_fine() -> None:
    node, problems = load("a: !!str 12\nb: !!int '7'\n")
    assert problems == []
    root = as_map(node)
    assert root.get("a").value == "12"  # type: ignore[union-attr]
    assert root.get("b").value == 7  # type: ignore[union-attr]


def test_a_core_tag_on_a_value_it_cannot_read_is_an_error() -> None:
    _, problems = load("a: !!int abc\nb: !!bool maybe\n")
    assert problems == [
        'f.yaml:1:4: error: cannot read "abc" as a number',
        'f.yaml:2:4: error: cannot read "maybe" as a boolean',
    ]


def test_anchors_aliases_and_merge_keys_share_values() -> None:
    text = "base: &b {timeout: 5, max: 3}\nmenu:\n  <<: *b\n  max: 4\nother: *b\n"
    node, problems = load(text)
    assert problems == []
    root = as_map(node)
    menu = as_map(root.get("menu"))
    assert menu.key_names() == ["max", "timeout"]  # explicit keys first, merged ones after
    assert menu.get("max").value == 4  # type: ignore[union-attr]  # an explicit key wins
    assert menu.get("timeout").value == 5  # type: ignore[union-attr]
    assert root.get("other") is root.get("base")  # an alias is the same converted node


def test_a_merge_key_needs_mappings() -> None:
    _, problems = load("a:\n  <<: [1, 2]\n")
    assert problems == ["f.yaml:2:7: error: a merge key (<<) takes a mapping or a list of mappings"]


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    _, problems = load("a: &x [1, *x]\n")
    assert problems == ["f.yaml:1:4: error: an alias refers to a node that contains it"]


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    node, problems = load("\n".join(lines) + "\n")
    assert node is None
    assert problems == ["f.yaml:1:1: error: the document expands to more than 200000 values through aliases"]


def test_syntax_errors_carry_the_position_pyyaml_reports() -> None:
    node, problems = load("steps:\n  a: [1, 2\n  b: 3\n")
    assert node is None
    assert problems == [
        (
            "f.yaml:3:4: error: invalid YAML: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence at line 2)"
        )
    ]


def test_tabs_are_a_syntax_error() -> None:
    _, problems = load("a:\n\tb: 1\n")
    assert len(problems) == 1
    assert problems[0].startswith("f.yaml:2:1: error: invalid YAML:")


def test_several_documents_are_refused() -> None:
    node, problems = load("a: 1\n---\nb: 2\n")
    assert node is None
    assert problems == [
        (
            "f.yaml:2:1: error: invalid YAML: but found another document "
            "(expected a single document in the stream at line 1)"
        )
    ]


def test_collection_keys_are_refused() -> None:
    _, problems = load("? [a, b]\n: 1\n")
    assert problems == ["f.yaml:1:3: error: a mapping key must be a plain value, not a collection"]


def test_empty_document_is_none_without_diagnostic() -> None:
    assert load("# only a comment\n") == (None, [])


def test_mark_at_points_inside_plain_and_quoted_scalars() -> None:
    node, _ = load("a: abc def\nb: 'xyz'\nc: |\n  multi\n")
    root = as_map(node)
    plain, quoted, block = root.get("a"), root.get("b"), root.get("c")
    assert isinstance(plain, ScalarNode)
    assert isinstance(quoted, ScalarNode)
    assert isinstance(block, ScalarNode)
    assert plain.mark_at(4).col == 8  # the "d"
    assert quoted.mark_at(2).col == 7  # the "z", after the opening quote
    assert block.mark_at(3) == block.mark  # block scalars: the start is the honest answer


def test_load_yaml_file_reports_unreadable_files(tmp_path: Path) -> None:
    diags = Diagnostics()
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes(b"a: caf\xe9\n")
    assert load_yaml_file(bad, diags, "latin1.yaml") is None
    assert load_yaml_file(tmp_path / "missing.yaml", diags, "missing.yaml") is None
    lines = [d.format() for d in diags]
    assert lines[0].startswith("latin1.yaml:1:1: error: the file is not UTF-8 text")
    assert lines[1].startswith("missing.yaml:1:1: error: cannot read the file")


def test_control_characters_are_reported() -> None:
    node, problems = load("a: \x07\n")
    assert node is None
    assert problems[0].startswith("f.yaml:1:1: error: invalid YAML:")
