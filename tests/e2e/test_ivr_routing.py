"""Which dialplan a call runs: DNIS routing (``numbers:``), the script named in the AGI URL,
the configured default for anything unknown (with a warning), and ``daemon.reload()`` after
a dialplan file was edited on disk (a broken edit keeps the set in force; a good one applies
to the next call while a call in progress finishes on the version it started with).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from asterisk_sim import Caller
from tests.e2e.harness import Center
from tests.e2e.ivr_helpers import finished, ivr_center, one_call


def greeting(name: str, numbers: str, sound: str) -> str:
    """A dialplan that plays one sound."""
    return f"dialplan: {name}\nnumbers: {numbers}\nsteps:\n  hello:\n    play: {sound}\n  bye:\n    hangup:\n"


DIALPLANS = {
    "main": greeting("main", '["5000"]', "custom/main"),
    "sales": greeting("sales", '["6000", "6001"]', "custom/sales"),
}
# Contexts that name the dialplan in the AGI URL instead of ?dnis=.
BY_SCRIPT = """\
[by-script]
exten => 1,1,AGI(${IVR_ACD_AGI}/sales)
 same => n,Hangup()
exten => 2,1,AGI(${IVR_ACD_AGI}/no-such-dialplan)
 same => n,Hangup()
"""


async def test_the_dialled_number_picks_the_dialplan(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, DIALPLANS) as center:
        main = await one_call(center, Caller(dnis="5000"))
        sales = await one_call(center, Caller(dnis="6001"))
    assert main.heard == ["custom/main"]
    assert main.record.dialplan == "main"
    assert sales.heard == ["custom/sales"]
    assert (sales.record.dialplan, sales.record.dialled_number) == ("sales", "6001")
    assert sales.record.variables["call.dnis"] == "6001"


async def test_an_unknown_number_gets_the_default_dialplan_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ivr_acd.daemon")
    async with ivr_center(tmp_path, DIALPLANS) as center:
        ended = await one_call(center, Caller(dnis="9999"))
    assert ended.heard == ["custom/main"]
    assert ended.record.dialplan == "main"
    warnings = [r.getMessage() for r in caplog.records if r.name == "ivr_acd.daemon"]
    assert warnings == ["agi no dialplan for script=inbound number=9999: using the default main"]


async def test_the_script_in_the_agi_url_names_the_dialplan(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ivr_acd.daemon")
    async with ivr_center(tmp_path, DIALPLANS, asterisk_dialplan=BY_SCRIPT) as center:
        named = await one_call(center, Caller(context="by-script", dnis="1"))
        unknown = await one_call(center, Caller(context="by-script", dnis="2"))
    assert named.heard == ["custom/sales"]
    assert named.record.dialplan == "sales"
    assert unknown.heard == ["custom/main"]
    assert unknown.record.dialplan == "main"
    warnings = [r.getMessage() for r in caplog.records if r.name == "ivr_acd.daemon"]
    assert warnings == ["agi no dialplan for script=no-such-dialplan number=2: using the default main"]


V1 = """\
dialplan: main
numbers: ["5000"]
steps:
  first:
    play: [custom/v1-first, silence/10, silence/10, silence/10]
  second:
    play: custom/v1-second
  bye:
    hangup:
"""
V2 = V1.replace("v1-", "v2-").replace(
    "[custom/v2-first, silence/10, silence/10, silence/10]", "custom/v2-first"
)
BROKEN = V1.replace("  bye:\n    hangup:\n", "  bye:\n    goto: nowhere\n")


def edit(center: Center, text: str) -> None:
    """Replace main.yaml on disk, as an engineer would."""
    (center.root / "dialplans" / "main.yaml").write_text(text)


async def test_a_broken_edit_is_refused_and_the_set_in_force_stays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with ivr_center(tmp_path, {"main": V1}) as center:
        edit(center, BROKEN)
        with caplog.at_level(logging.WARNING, logger="ivr_acd.daemon"):
            assert await center.daemon.reload() is False
        ended = await one_call(center, Caller(dnis="5000"))
    assert ended.heard == ["custom/v1-first", "silence/10", "silence/10", "silence/10", "custom/v1-second"]
    assert ended.steps == ["first", "second", "bye"]
    messages = [r.getMessage() for r in caplog.records if r.name == "ivr_acd.daemon"]
    assert any("nowhere" in message for message in messages)
    assert "reload refused errors=1: the configuration in force stays" in messages


async def test_a_good_edit_applies_to_the_next_call_not_to_the_call_in_progress(tmp_path: Path) -> None:
    async with ivr_center(tmp_path, {"main": V1}) as center:
        old = center.sim.place_call(Caller(dnis="5000"))
        await center.settle(lambda: "custom/v1-first" in old.heard_sounds)
        edit(center, V2)
        assert await center.daemon.reload() is True
        new = await one_call(center, Caller(dnis="5000"))
        assert not old.ended, "the first call should still be in its first step"
        in_progress = await finished(center, old)
    assert new.heard == ["custom/v2-first", "custom/v2-second"]
    assert in_progress.heard == [
        "custom/v1-first",
        "silence/10",
        "silence/10",
        "silence/10",
        "custom/v1-second",
    ]
    assert in_progress.steps == new.steps == ["first", "second", "bye"]
