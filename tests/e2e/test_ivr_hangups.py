"""A caller hanging up in the middle of a step: during a play, a menu's wait, a collect, a
transfer's ringing and a sub-dialplan's survey. The call record must say where (its end step
and a ``hangup`` path event at that step), with outcome ``ivr_only`` and ``hangup_by`` caller.

The simulated caller hangs up ``patience`` simulated seconds after arriving.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.records import CallOutcome
from asterisk_sim import Caller, DeviceBehaviour, Mode
from tests.e2e.ivr_helpers import Ended, ivr_center, one_call

DIALPLAN = """\
dialplan: main
numbers: ["5000", "5001", "5002", "5003", "5004"]
steps:
  route:
    branch:
      - if: call.dnis == "5001"
        goto: menu
      - if: call.dnis == "5002"
        goto: account
      - if: call.dnis == "5003"
        goto: operator
      - if: call.dnis == "5004"
        goto: feedback
  news:
    play: [custom/news, silence/5, custom/jingle, silence/5]
    next: bye
  menu:
    menu: {prompt: [custom/menu], options: {"1": bye}, timeout: 10}
  account:
    collect: {variable: account, prompt: [custom/enter-account], timeout: 5, inter_digit_timeout: 10}
    next: bye
  operator:
    transfer: {to: PJSIP/2003, timeout: 30}
    next: bye
  feedback:
    call: survey
    next: bye
  bye:
    play: custom/goodbye
  end:
    hangup:
"""
SURVEY = """\
dialplan: survey
steps:
  rate:
    survey: {name: sub, prompt: [custom/rate], timeout: 10}
  done:
    return:
"""
DEVICES = {"PJSIP/2003": DeviceBehaviour(Mode.NOANSWER)}


async def hang_up_during(tmp_path: Path, caller: Caller) -> Ended:
    """Run one call that the caller ends, and check what every such call must record."""
    dialplans = {"main": DIALPLAN, "survey": SURVEY}
    async with ivr_center(tmp_path, dialplans, devices=DEVICES, speed=0.05) as center:
        ended = await one_call(center, caller)
    assert ended.call.hung_up_by == "caller"
    assert ended.record.outcome is CallOutcome.IVR_ONLY
    assert ended.record.hangup_by == "caller"
    assert "custom/goodbye" not in ended.heard
    last = ended.record.ivr_path[-1]
    assert (last.kind, last.step, last.detail) == ("hangup", ended.record.ivr_end_step, "caller")
    return ended


@pytest.mark.parametrize(("patience", "sounds"), [(4.5, 2), (11.5, 4)])
async def test_hang_up_during_a_play(tmp_path: Path, patience: float, sounds: int) -> None:
    # The sounds last 2, 5, 2 and 5 s: 4.5 s after arriving the caller is in the second one,
    # 11.5 s in the last one (whose end must not take the caller to the next step).
    ended = await hang_up_during(tmp_path, Caller(dnis="5000", patience=patience))
    assert ended.heard == ["custom/news", "silence/5", "custom/jingle", "silence/5"][:sounds]
    assert ended.record.ivr_end_step == "news"


async def test_hang_up_while_a_menu_waits_for_a_key(tmp_path: Path) -> None:
    ended = await hang_up_during(tmp_path, Caller(dnis="5001", patience=5.0))
    assert ended.heard == ["custom/menu"]
    assert ended.record.ivr_end_step == "menu"
    assert ended.path("timeout", "key") == []


async def test_hang_up_in_the_middle_of_a_collect(tmp_path: Path) -> None:
    ended = await hang_up_during(tmp_path, Caller(dnis="5002", presses=["12"], patience=5.0))
    assert ended.call.pressed_digits == "12"
    assert ended.record.ivr_end_step == "account"
    assert ended.path("input", "timeout") == []  # the digits never made an input
    assert "account" not in ended.record.variables


async def test_hang_up_while_a_transfer_rings(tmp_path: Path) -> None:
    ended = await hang_up_during(tmp_path, Caller(dnis="5003", patience=5.0))
    assert not ended.call.connected
    assert ended.record.ivr_end_step == "operator"
    assert ended.path("transfer_failed") == []


async def test_hang_up_inside_a_sub_dialplan(tmp_path: Path) -> None:
    ended = await hang_up_during(tmp_path, Caller(dnis="5004", patience=5.0))
    assert ended.record.ivr_end_step == "survey:rate"
    assert ended.record.survey_score is None
    assert ended.heard == ["custom/rate"]
