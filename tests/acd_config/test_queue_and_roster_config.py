"""queues.yaml and agents/*.yaml: parsed, and every mistake reported with file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.queue_config import Destination, load_queues, parse_queues
from acd.requirement import AllOf, AnyOf, Need
from acd.roster import load_roster
from acd.skill_expr import SkillExpressionError, parse_skill_expression
from configlang.diagnostics import Diagnostics
from configlang.source import load_yaml

ROOT = Path(__file__).resolve().parents[2]


def parse(text: str) -> tuple[dict[str, object], list[str]]:
    diags = Diagnostics()
    queues = parse_queues(load_yaml(text, "queues.yaml", diags), diags)
    return dict(queues), [d.format() for d in diags]


def test_shipped_queues_and_agents_load_cleanly() -> None:
    diags = Diagnostics()
    queues = load_queues(ROOT / "config" / "queues.yaml", diags, "config/queues.yaml")
    agents = load_roster([ROOT / "agents"], diags, ROOT)
    assert [d.format() for d in diags] == []
    assert set(queues) == {"sales", "support", "billing", "vip"}
    assert len(agents) == 8
    support = queues["support"]
    assert support.policy().name == "support"
    assert support.service_level == 30
    assert [r.priority for r in support.priority_rules] == [10]


def test_skill_expressions() -> None:
    assert parse_skill_expression("english >= 3 and (billing >= 2 or sales)") == AllOf(
        (Need("english", 3), AnyOf((Need("billing", 2), Need("sales", 1))))
    )
    assert parse_skill_expression("2 < billing") == Need("billing", 3)
    for text, column in [("english == 3", 9), ("not english", 1), ("english >= 9", 12), ("english >=", 11)]:
        with pytest.raises(SkillExpressionError) as info:
            parse_skill_expression(text)
        assert info.value.column == column, text


def test_errors_name_file_line_col_and_all_are_reported() -> None:
    _, errors = parse(
        "queues:\n"
        "  support:\n"
        "    strategy: fastest\n"
        "    skills: 'support >= 7'\n"
        "    ring_timeout: abc\n"
        "    exit_key: '12'\n"
        "    relax:\n"
        "      - {after: 30, to: 2}\n"
        "      - {after: 20, to: 1}\n"
        "    on_exit: 'main menu'\n"
        "    wrapup: 5\n"
    )
    assert errors == [
        'queues.yaml:3:15: error: strategy: expected one of longest_idle, least_occupancy, fewest_calls, best_skill, round_robin, got "fastest" (at queues.support.strategy)',
        "queues.yaml:4:25: error: skills: skill level must be between 1 and 5, got 7 (at queues.support.skills)",
        'queues.yaml:5:19: error: ring_timeout: expected a number between 3 and 300, got "abc" (at queues.support.ring_timeout)',
        'queues.yaml:6:15: error: exit_key: expected one key (0-9, * or #), got "12" (at queues.support.exit_key)',
        "queues.yaml:8:7: error: relax: relaxation steps must be in strictly increasing after_seconds (at queues.support.relax)",
        "queues.yaml:10:14: error: on_exit: expected continue, hangup, or the name of a step of the queueing dialplan, got 'main menu' (at queues.support.on_exit)",
        'queues.yaml:11:5: error: unknown key "wrapup" in queue \'support\'; did you mean "wrap_up"? (allowed: after_call, after_no_answer, announce, busy_backoff, callback, description, exit_key, max_size, max_wait, music, occupancy_window, on_exit, on_full, on_max_wait, on_no_agents, priority, relax, ring_timeout, segment, service_level, skills, strategy, when_no_agents, wrap_up) (at queues.support.wrapup)',
    ]


def test_a_queue_with_errors_is_left_out_and_others_kept() -> None:
    queues, errors = parse("queues:\n  good: {strategy: round_robin}\n  bad: {max_size: -1}\n")
    assert set(queues) == {"good"}
    assert len(errors) == 1


def test_destinations() -> None:
    assert Destination.parse("voicemail") == Destination("step", "voicemail")
    assert Destination.parse("hangup").kind == "hangup"
    assert Destination.parse("continue").kind == "continue"
    with pytest.raises(ValueError):
        Destination.parse("other:step")


def test_roster_errors_and_duplicates_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "agents:\n  - {id: '1', name: A, device: PJSIP/1, skills: {english: 9}}\n  - {id: '2', name: B, device: nodevice}\n"
    )
    (tmp_path / "b.yaml").write_text(
        "agents:\n  - {id: '3', name: C, device: PJSIP/3, pin: 12}\n  - {id: 3, name: D, device: PJSIP/4}\n"
    )
    diags = Diagnostics()
    agents = load_roster([tmp_path], diags, tmp_path)
    assert [d.format() for d in diags] == [
        "a.yaml:2:59: error: english: expected a skill level between 1 and 5 (at agents[0].skills.english)",
        'a.yaml:3:32: error: device: expected a device dial string such as PJSIP/1001, got "nodevice" (at agents[1].device)',
        "b.yaml:2:46: error: pin: expected a PIN of 3 to 12 digits (quote it), got 12 (at agents[0].pin)",
        "b.yaml:3:5: error: agent id '3' is already defined at b.yaml:2:5 (at agents[1].id)",
    ]
    assert agents == []
