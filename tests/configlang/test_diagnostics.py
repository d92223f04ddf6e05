"""Diagnostics, their collector, and document paths."""

from __future__ import annotations

from configlang.diagnostics import Diagnostic, Diagnostics
from configlang.docpath import DocPath
from configlang.mark import Mark


def test_format_is_file_line_col_severity_message_and_path() -> None:
    diagnostic = Diagnostic("d.yaml", 3, 7, "error", "bad thing", 'steps.menu.options."1"')
    assert diagnostic.format() == 'd.yaml:3:7: error: bad thing (at steps.menu.options."1")'
    assert str(Diagnostic("d.yaml", 1, 1, "warning", "hm")) == "d.yaml:1:1: warning: hm"


def test_the_collector_keeps_everything_and_sorts_by_position() -> None:
    diags = Diagnostics()
    diags.warning(Mark("b.yaml", 1, 1), "late file")
    diags.error(Mark("a.yaml", 9, 2), "second", DocPath(("x",)))
    diags.error(Mark("a.yaml", 2, 5), "first")
    assert diags.has_errors
    assert diags.error_count() == 2
    assert len(diags) == 3
    assert [d.message for d in diags.sorted()] == ["first", "second", "late file"]
    assert [d.path for d in diags] == ["", "x", ""]


def test_warnings_alone_are_not_errors() -> None:
    diags = Diagnostics()
    diags.warning(Mark("a.yaml", 1, 1), "careful")
    assert not diags.has_errors


def test_doc_paths_quote_keys_that_are_not_plain_names() -> None:
    path = DocPath().key("steps").key("main-menu").key("menu").key("options").key("1")
    assert str(path) == 'steps.main-menu.menu.options."1"'
    assert str(DocPath().key("steps").key("a.b").key('say "hi"')) == 'steps."a.b"."say \\"hi\\""'
    assert path.last == '"1"'


def test_doc_paths_write_list_items_with_their_list() -> None:
    path = DocPath().key("steps").key("welcome").key("play").index(0)
    assert str(path) == "steps.welcome.play[0]"
    assert path.last == "play[0]"
    assert DocPath().key("a").index(1).index(2).last == "a[1][2]"
    assert DocPath().last == "document"
