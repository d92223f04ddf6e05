"""`lint` output and exit codes, and the graph export."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ivr.graph import graph, kind_of
from ivr.lint import lint_main
from tests.ivr.helpers import dialplans

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_QUEUES = {"sales", "support", "billing", "vip"}


def lint(argv: list[str], **kwargs: object) -> tuple[int, str]:
    out = io.StringIO()
    code = lint_main(argv, out=out, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_the_shipped_dialplans_lint_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert lint([]) == (0, "")  # the default path is dialplans/
    assert lint(["dialplans", "--strict"], known_queues=SHIPPED_QUEUES) == (0, "")


def test_errors_print_one_line_each_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text("steps:\n  x:\n    goto: y\n")
    code, output = lint(["a.yaml"])
    assert code == 1
    assert output == 'a.yaml:3:11: error: unknown step "y" (at steps.x.goto)\n'


def test_warnings_exit_0_unless_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.yaml").write_text("steps:\n  x:\n    play: a\n")
    expected = (
        'w.yaml:2:3: warning: step "x" is the last one and the call falls off the end after it; '
        "add next:, goto: or hangup: so that callers never hit a dead end (at steps.x)\n"
    )
    assert lint(["w.yaml"]) == (0, expected)
    assert lint(["w.yaml", "--strict"]) == (1, expected)


def test_queue_and_sound_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("q.yaml").write_text("steps:\n  x:\n    queue: sales\n    next: y\n  y:\n    hangup:\n")
    assert lint(["q.yaml", "--queue", "support"])[0] == 1
    assert lint(["q.yaml", "--queue", "sales"]) == (0, "")
    Path("s.yaml").write_text("steps:\n  x:\n    play: nope\n  y:\n    hangup:\n")
    Path("snd").mkdir()
    code, output = lint(["s.yaml", "--sounds", "snd"])
    assert code == 1
    assert output.startswith('s.yaml:3:11: error: sound "nope" not found')


def test_a_missing_path_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert lint(["nowhere"]) == (1, "nowhere: error: no such file or directory\n")


GRAPHED = """
steps:
  m:
    menu: {options: {"1": q, "*": m}, on_failure: b}
  b:
    branch:
      - {if: 'caller.name == "x"', goto: q}
  q:
    queue: sales
  t:
    transfer: PJSIP/1
    next: q
"""


def test_dot_output_labels_menu_keys_and_shows_the_end() -> None:
    text = graph(dialplans(GRAPHED)["d"], "dot")
    assert text.startswith('digraph "d" {\n')
    assert '"m" -> "q" [label="1"];' in text
    assert '"m" -> "m" [label="*"];' in text
    assert '"m" -> "b" [label="failure"];' in text
    assert '"b" -> "q" [label="if caller.name == \\"x\\""];' in text
    assert '"q" -> "t" [label="not answered"];' in text
    assert '"__start" -> "m";' in text
    assert '"m" [label="m\\nmenu", shape=diamond];' in text


def test_mermaid_output() -> None:
    text = graph(dialplans(GRAPHED)["d"], "mermaid")
    assert text.splitlines()[:3] == ["flowchart TD", "  start(( )) --> s0", '  s0{"m<br/>menu"}']
    assert '  s0 -->|"1"| s2' in text
    assert '  s1 -->|"if caller.name == #quot;x#quot;"| s2' in text
    assert '  s2(["q<br/>queue sales"])' in text


def test_falling_off_the_end_is_drawn() -> None:
    text = graph(dialplans("steps: {a: {play: x}}\n")["d"], "dot")
    assert '"a" -> "(end)";' in text
    with pytest.raises(ValueError, match="unknown graph format"):
        graph(dialplans("steps: {a: {play: x}}\n")["d"], "svg")  # type: ignore[arg-type]


def test_kind_of() -> None:
    steps = dialplans(GRAPHED)["d"].steps
    assert [kind_of(step) for step in steps.values()] == ["menu", "branch", "queue", "transfer"]
