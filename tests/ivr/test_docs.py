"""The language documentation stays true to the compiler."""

from __future__ import annotations

import re
from pathlib import Path

from ivr.compiler import compile_sources
from ivr.compiler.kinds import STEP_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "dialplan-language.md"


def test_the_opening_example_compiles_cleanly() -> None:
    first = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert first is not None
    result = compile_sources({"main.yaml": first.group(1)}, known_queues={"sales", "support"})
    assert [d.format() for d in result.diagnostics] == []


def test_every_step_kind_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = {
        word for line in text.splitlines() if line.startswith("### ") for word in re.findall(r"\w+", line)
    }
    assert set(STEP_KINDS) <= headings
