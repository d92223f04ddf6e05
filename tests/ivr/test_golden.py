"""Golden dialplans: good ones compile cleanly; each bad one produces exactly its .expected lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.compiler import compile_paths

GOLDEN = Path(__file__).parent / "golden"
BAD = sorted((GOLDEN / "bad").glob("*.yaml"))
KNOWN_QUEUES = {"sales", "support", "billing", "vip"}


def test_there_are_enough_bad_examples() -> None:
    assert len(BAD) >= 15
    assert all(path.with_suffix(".expected").is_file() for path in BAD)


def test_good_dialplans_compile_without_any_diagnostic() -> None:
    result = compile_paths([GOLDEN / "good"], known_queues=KNOWN_QUEUES)
    assert [d.format() for d in result.diagnostics] == []
    assert sorted(result.dialplans) == ["every-step", "every-step-sub", "minimal"]


@pytest.mark.parametrize("path", BAD, ids=[path.stem for path in BAD])
def test_bad_dialplan_produces_exactly_its_expected_diagnostics(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(path.parent)
    result = compile_paths([path.name], known_queues=KNOWN_QUEUES)
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert [d.format() for d in result.diagnostics] == expected
    if any(" error: " in line for line in expected):
        assert result.dialplans == {}
