"""`lint` output and exit codes, and the graph export."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ivr.graph import graph, kind_of
from ivr.lint import lint_main
from ivr_acd.cli import main as cli_main
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


def test_callback_edges_are_labelled_by_outcome() -> None:
    text = graph(
        dialplans("""
            steps:
              c:
                callback: {queue: support, on: {failed: q}}
              bye:
                hangup:
              q:
                queue: support
        """)["d"],
        "dot",
    )
    assert '"c" [label="c\\ncallback support", shape=box];' in text
    assert '"c" -> "q" [label="failed"];' in text
    assert '"c" -> "bye" [label="booked, duplicate"];' in text


# ---------------------------------------------------------------- `ivr-acd lint` on a configuration

CALLBACK_PLAN = """\
dialplan: main
steps:
  menu:
    menu: {options: {"1": later, "2": sales}}
  later:
    callback: sales
    next: bye
  sales:
    queue: sales
  bye:
    hangup:
"""


def lint_config(root: Path, queues: str, capsys: pytest.CaptureFixture[str], *paths: str) -> tuple[int, str]:
    """`ivr-acd lint` on a configuration written under `root` (the working directory)."""
    (root / "dialplans").mkdir(exist_ok=True)
    (root / "agents").mkdir(exist_ok=True)
    (root / "dialplans" / "main.yaml").write_text(CALLBACK_PLAN)
    (root / "agents" / "team.yaml").write_text("agents: []\n")
    (root / "queues.yaml").write_text(queues)
    (root / "ivr-acd.yaml").write_text("paths: {dialplans: dialplans, agents: agents, queues: queues.yaml}\n")
    code = cli_main(["lint", "--config", "ivr-acd.yaml", *paths])
    return code, capsys.readouterr().out


def test_a_callback_step_on_a_queue_without_callbacks_is_a_lint_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = (
        f"{tmp_path}/dialplans/main.yaml:5:3: error: step 'later' books callbacks from queue 'sales', "
        "which takes none (its callback offer is never): give it a callback: block in queues.yaml "
        "(at steps.later)\n"
    )
    never = "queues:\n  sales: {callback: {offer: never}}\n"
    assert lint_config(tmp_path, never, capsys) == (1, expected)
    assert lint_config(tmp_path, "queues:\n  sales: {}\n", capsys) == (1, expected)  # never by default
    # Linting only the dialplans checks them against the configured queues all the same.
    code, output = lint_config(tmp_path, never, capsys, "dialplans")
    assert (code, output.replace("dialplans/main.yaml", f"{tmp_path}/dialplans/main.yaml")) == (1, expected)
    assert lint_config(tmp_path, "queues:\n  sales: {callback: {offer: always}}\n", capsys) == (0, "")
