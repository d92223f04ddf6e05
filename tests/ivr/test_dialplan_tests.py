"""`ivr-acd test`: the engineers' YAML test cases and their report."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from ivr.testing import run_dialplan_tests

ROOT = Path(__file__).resolve().parents[2]

DIALPLAN = """
steps:
  hello:
    play: custom/hello
  menu:
    menu: {prompt: custom/menu, options: {"1": sales, "2": ab}, on_failure: bye}
  sales:
    queue: sales
    next: bye
  ab:
    split: {a: 50, b: 50}
  a:
    lookup: {url: "https://crm/x?n=${caller.number}", set: {who: name}, on_failure: bye}
    next: bye
  b:
    transfer: "PJSIP/100"
    next: bye
  bye:
    hangup:
"""


def run(directory: Path, tests: str, dialplan: str = DIALPLAN) -> tuple[int, str]:
    (directory / "d.yaml").write_text(textwrap.dedent(dialplan))
    (directory / "d.test.yaml").write_text(textwrap.dedent(tests))
    out = io.StringIO()
    code = run_dialplan_tests([directory], out=out)
    return code, out.getvalue()


def test_the_shipped_dialplan_tests_pass() -> None:
    out = io.StringIO()
    assert run_dialplan_tests([ROOT / "dialplans"], out=out) == 0
    report = out.getvalue()
    assert "FAIL" not in report
    assert report.splitlines()[-1].endswith(" passed, 0 failed")


def test_passing_cases_with_every_kind_of_script(tmp_path: Path) -> None:
    code, report = run(
        tmp_path,
        """
        cases:
          - name: sales
            keys: "1"
            expect: {path: [hello, menu, sales], outcome: answered, enqueued: {queue: sales}}
          - name: lookup branch
            caller: "+1 555"
            keys: ["2"]
            draws: [0.1]
            lookups: [{url: "https://crm/x?n=%2B1%20555", json: {name: Zoe}}]
            expect: {path_contains: [ab, a, bye], variables: {who: Zoe}, outcome: ivr_only}
          - name: transfer branch busy
            keys: "2"
            draws: 0.9
            dials: {"PJSIP/*": BUSY}
            expect:
              path_starts: [hello, menu, ab, b]
              dialled: PJSIP/100
              variables: {transfer.status: BUSY}
          - name: queue outcome scripted
            keys: "1"
            queues: {sales: {outcome: overflow, next_step: bye}}
            expect: {path: [hello, menu, sales, bye], variables: {queue.outcome: overflow}}
    """,
    )
    assert code == 0, report
    assert report.splitlines()[-1] == "4 passed, 0 failed"


def test_a_failure_shows_the_case_its_line_and_the_paths(tmp_path: Path) -> None:
    code, report = run(
        tmp_path,
        """
        cases:
          - name: ok
            keys: "1"
          - name: wrong path
            keys: "1 9"
            expect:
              path: [hello, menu, bye]
              outcome: ivr_only
    """,
    )
    assert code == 1
    assert f"  FAIL  wrong path  ({tmp_path}/d.test.yaml:5)" in report
    assert "          expected  hello → menu → bye" in report
    assert "          actual    hello → menu → sales" in report
    assert "                                   ^ first difference at step 3" in report
    assert "          expected ivr_only, got answered" in report
    assert "        (keys never used: 9)" in report
    assert report.splitlines()[-1] == "1 passed, 1 failed"


def test_missing_draws_and_unscripted_lookups_are_explained(tmp_path: Path) -> None:
    code, report = run(
        tmp_path,
        """
        cases:
          - name: needs a draw
            keys: "2"
          - name: unscripted lookup fails the lookup
            keys: "2"
            draws: [0.1]
            expect: {path: [hello, menu, ab, a, bye], variables: {lookup.status: null}}
    """,
    )
    assert code == 1
    assert "the call reached a split but the case has no draws left (add draws: [0.5])" in report
    assert "PASS  unscripted lookup fails the lookup" in report


def test_a_malformed_test_file_is_reported_with_positions(tmp_path: Path) -> None:
    code, report = run(
        tmp_path,
        """
        cases:
          - name: typo
            kyes: "1"
            time: "2025-06-02T10:00:00"
    """,
    )
    assert code == 1
    assert (
        f'{tmp_path}/d.test.yaml:4:5: error: unknown key "kyes" in a test case; did you mean "keys"?'
        in report
    )
    assert "time: expected an ISO date and time with its zone" in report


def test_a_dialplan_that_does_not_compile_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text("steps: {a: {goto: nowhere}}\n")
    (tmp_path / "d.test.yaml").write_text("cases: [{name: x}]\n")
    out = io.StringIO()
    assert run_dialplan_tests([tmp_path], out=out) == 1
    assert "the dialplans do not compile" in out.getvalue()


def test_no_tests_is_an_error(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_dialplan_tests([tmp_path], out=out) == 1
    assert out.getvalue() == "no dialplan tests found (*.test.yaml)\n"


@pytest.mark.parametrize(
    ("keys", "path"),
    [("hangup", "[hello]"), ("", "[hello, menu]"), ("timeout hangup", "[hello, menu]")],
)
def test_hanging_up_or_running_out_of_keys_ends_the_call(tmp_path: Path, keys: str, path: str) -> None:
    # `hangup` hangs up at the next thing the IVR waits on, a playback included; running out of
    # keys hangs up only when the IVR waits for a key.
    code, report = run(
        tmp_path,
        f"""
        cases:
          - name: gone
            keys: "{keys}"
            expect: {{path: {path}, outcome: hangup_by_caller}}
    """,
    )
    assert code == 0, report


CALLBACK_DIALPLAN = """
steps:
  menu:
    menu: {prompt: custom/menu, options: {"1": sales, "5": call-me}, on_failure: bye}
  call-me:
    callback: {queue: support, on: {duplicate: already, failed: sales}}
    next: thanks
  sales:
    queue: sales
    next: bye
  thanks:
    play: custom/thanks
    next: bye
  already:
    play: custom/already
    next: bye
  bye:
    hangup:
"""


def run_callbacks(directory: Path, tests: str) -> tuple[int, str]:
    return run(directory, tests, CALLBACK_DIALPLAN)


def test_cases_script_the_outcome_of_a_callback_step(tmp_path: Path) -> None:
    code, report = run_callbacks(
        tmp_path,
        """
        cases:
          - name: booked by default
            keys: "5"
            expect:
              path: [menu, call-me, thanks, bye]
              outcome: queued
              callback: support
              variables: {callback.outcome: booked}
          - name: duplicate
            keys: "5"
            callbacks: {support: duplicate}
            expect: {path: [menu, call-me, already, bye], outcome: queued}
          - name: failed goes to the queue after all
            keys: "5"
            callbacks: {support: failed, sales: booked}
            queues: {sales: no_agents}
            expect:
              path: [menu, call-me, sales, bye]
              outcome: ivr_only
              callback: support
              enqueued: {queue: sales}
    """,
    )
    assert code == 0, report
    assert report.splitlines()[-1] == "3 passed, 0 failed"


def test_a_callback_expected_but_never_asked_fails_the_case(tmp_path: Path) -> None:
    code, report = run_callbacks(
        tmp_path,
        """
        cases:
          - name: never asked
            keys: "1"
            expect: {callback: support}
    """,
    )
    assert code == 1
    assert "  FAIL  never asked" in report
    assert "          expected a callback from 'support', got None" in report


def test_an_unknown_callback_outcome_is_reported_at_its_place(tmp_path: Path) -> None:
    code, report = run_callbacks(
        tmp_path,
        """
        cases:
          - name: bad outcome
            keys: "5"
            callbacks: {support: boked}
    """,
    )
    assert code == 1
    assert (
        f"{tmp_path}/d.test.yaml:5:26: error: support: expected one of booked, duplicate, failed, "
        'got "boked"; did you mean "booked"? (at cases[0].callbacks.support)'
    ) in report
