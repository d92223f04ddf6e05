"""One caller through the IVR into a queue, answered by an agent, end to end."""

from __future__ import annotations

from pathlib import Path

from acd.records import CallOutcome
from asterisk_sim import Caller, DeviceBehaviour
from tests.e2e.harness import running_center

DIALPLAN = """\
dialplan: main
numbers: ["5000"]
steps:
  menu:
    menu:
      prompt: [custom/menu]
      options: {"1": q}
      timeout: 3
  q:
    queue: {name: support}
    next: bye
  bye:
    hangup:
"""
QUEUES = """\
queues:
  support: {ring_timeout: 5, wrap_up: 0.3, segment: 2, announce: {frequency: 0}}
"""
AGENTS = """\
agents:
  - {id: "1001", name: Alice, device: PJSIP/1001, pin: "1234", login_at_start: true}
"""


async def test_caller_is_answered_by_an_agent(tmp_path: Path) -> None:
    devices = {"PJSIP/1001": DeviceBehaviour.answering(after=0.5, talk=3.0)}
    async with running_center(
        tmp_path, dialplans={"main": DIALPLAN}, queues=QUEUES, agents=AGENTS, devices=devices
    ) as center:
        call = center.sim.place_call(Caller(number="5551234", name="Bob", dnis="5000", presses=["1"]))
        await call.wait_ended(20)
        records = await center.records(1)
        await center.settle(lambda: any(i[1] == "wrap_up" for i in center.intervals()))
    record = records[0]
    assert call.connected
    assert call.bridged_with[0].startswith("PJSIP/1001-")
    assert record.outcome is CallOutcome.ANSWERED
    assert record.agent_id == "1001"
    assert record.queue == "support"
    assert record.talk_time is not None and record.talk_time > 0
    assert record.caller_number == "5551234"
    assert [e.step for e in record.ivr_path if e.kind == "step"][:2] == ["menu", "q"]
    names = [fields[4] for fields in center.queue_log()]
    assert names[:2] == ["QUEUESTART", "AGENTLOGIN"]
    assert "ENTERQUEUE" in names and "CONNECT" in names and "COMPLETEAGENT" in names
