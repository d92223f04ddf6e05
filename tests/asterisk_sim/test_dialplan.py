"""The dialplan: parsing, patterns, variables and expressions (pure code, no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asterisk_sim.dialplan.expr import evaluate, truthy
from asterisk_sim.dialplan.parser import DialplanError, load_files, parse
from asterisk_sim.dialplan.patterns import compile_pattern, matches
from asterisk_sim.dialplan.substitution import split_args, substitute
from tests import traces

SHIPPED = Path(__file__).resolve().parents[2] / "asterisk" / "extensions_ivr_acd.conf"


class Scope:
    """Variables and functions for substitution tests."""

    def __init__(self, **variables: str) -> None:
        self.variables = variables

    def get_variable(self, name: str) -> str | None:
        return self.variables.get(name)

    def call_function(self, name: str, args: str) -> str | None:
        if name == "CALLERID":
            return {"num": "5551234", "name": "Alice"}.get(args, "")
        return None


def test_parses_contexts_same_labels_and_globals() -> None:
    plan = parse(
        """
[globals]
AGI=agi://127.0.0.1:4573

[in] ; a comment
exten => _X.,1,NoOp(in ${EXTEN})
 same => n(menu),Set(X=1)   ; trailing comment
 same => n,GotoIf($["${X}" = "1"]?menu)
exten => s,1,Answer
exten => s,2,Playback(a\\;b)
include => other

[other]
exten => 9,1,Hangup()
"""
    )
    assert plan.globals == {"AGI": "agi://127.0.0.1:4573"}
    assert plan.step("in", "5000", 2) is not None
    step = plan.step("in", "5000", 3)
    assert step is not None
    assert step.app == "GotoIf"
    assert step.args == '$["${X}" = "1"]?menu'
    assert plan.label("in", "5000", "menu") == 2
    assert plan.step("in", "s", 1) == plan.step("in", "s", 1)
    answer = plan.step("in", "s", 1)
    assert answer is not None
    assert answer.app == "Answer"
    assert answer.args == ""
    playback = plan.step("in", "s", 2)
    assert playback is not None
    assert playback.args == "a;b"
    assert plan.find("in", "9") is not None  # through include
    assert plan.step("in", "5000", 4) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('#include "x.conf"', "#include"),
        ("[ctx]\nexten => 1,n", "priority,Application"),
        ("[ctx]\nsame => n,NoOp()", "same =>"),
        ("[ctx]\nexten => 1,x,NoOp()", "invalid priority"),
        ("[ctx]\nfrobnicate => 1", "unknown dialplan keyword"),
        ("exten => 1,1,NoOp()", "outside of a context"),
        ("[ctx](template)\n", "templates"),
    ],
)
def test_rejects_what_it_cannot_run(text: str, message: str) -> None:
    with pytest.raises(DialplanError, match=message):
        parse(text, source="t.conf")


def test_runs_both_shipped_files_unchanged() -> None:
    plan = load_files((traces.TRACE_DIR / "lab-extensions.conf", SHIPPED))
    assert plan.exists("ivr-acd-inbound", "5000")
    assert plan.label("ivr-acd-inbound", "5000", "done") == 6
    assert plan.exists("agent-phone", "1001")
    assert plan.exists("ivr-acd-agent-features", "*50")
    assert not plan.exists("no-such-context", "1004")


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("_X.", ["12", "5000"], ["1", "", "a1"]),
        ("_X", ["0", "9"], ["10"]),
        ("_NXX", ["200", "999"], ["100", "099"]),
        ("_ZX", ["10"], ["01"]),
        ("_[1-5]X", ["15", "50"], ["60"]),
        ("_1-800-XXX", ["1800555"], ["1-800-555"]),
        ("_555!", ["555", "5551234"], ["55"]),
        ("_.", ["s", "anything"], []),
    ],
)
def test_patterns(pattern: str, yes: list[str], no: list[str]) -> None:
    compiled = compile_pattern(pattern)
    assert all(compiled.matches(x) for x in yes)
    assert not any(compiled.matches(x) for x in no)
    assert matches("5000", "5000")
    assert not matches("5000", "5001")


def test_most_specific_pattern_wins_and_literal_beats_patterns() -> None:
    plan = parse("[c]\nexten => _X.,1,NoOp(any)\nexten => _5XXX,1,NoOp(five)\nexten => 5000,1,NoOp(exact)\n")
    for exten, expected in (("5000", "exact"), ("5001", "five"), ("6000", "any")):
        step = plan.step("c", exten, 1)
        assert step is not None
        assert step.args == expected


def test_substitution() -> None:
    scope = Scope(X="abcd", EMPTY="", N="7")
    assert substitute("caller ${CALLERID(num)}", scope) == "caller 5551234"
    assert substitute("${X}-${NOPE}-${X:1:2}-${X:-2}", scope) == "abcd--bc-cd"
    assert substitute('${IF($["${AGENT_TALK}" = ""]?3:${AGENT_TALK})}', scope) == "3"
    assert substitute('${IF($["${N}" = ""]?3:${N})}', scope) == "7"
    assert substitute('$["${X}" = "abcd"]', scope) == "1"
    assert substitute("$[${N} * 2 + 1]", scope) == "15"
    assert substitute("${LEN(${X})}", scope) == "4"
    assert substitute("no vars", scope) == "no vars"
    assert substitute("${UNTERMINATED", scope) == "${UNTERMINATED"


def test_expressions() -> None:
    assert evaluate('"a" = "a"') == "1"
    assert evaluate('"a" != "a"') == "0"
    assert evaluate("10 > 9") == "1"  # numeric, not string, comparison
    assert evaluate("3 - 5") == "-2"
    assert evaluate("7 / 2") == "3"
    assert evaluate("1 & 0") == "0"
    assert evaluate("0 | 5") == "5"
    assert evaluate("!0") == "1"
    assert evaluate("(1 + 2) * 3") == "9"
    assert evaluate("1 ? yes :: no") == "yes"
    assert evaluate('"abc" =~ "b"') == "1"
    assert evaluate("1 +") == ""  # a syntax error substitutes nothing
    assert truthy("x")
    assert truthy("2")
    assert not truthy("0")
    assert not truthy("")


def test_split_args_respects_parentheses_and_quotes() -> None:
    assert split_args('a,"b,c",${IF($[1]?x:y)},d') == ["a", '"b,c"', "${IF($[1]?x:y)}", "d"]
    assert split_args("") == [""]
