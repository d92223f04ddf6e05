"""Agents log in, pause and unpause from their phones (feature codes into FastAGI), end to end."""

from __future__ import annotations

from pathlib import Path

from asterisk_sim import Caller, Press
from tests.e2e.harness import Center, running_center

DIALPLAN = """\
dialplan: main
steps:
  bye:
    hangup:
"""
QUEUES = "queues:\n  support: {ring_timeout: 4, wrap_up: 0.2}\n"
AGENTS = """\
agents:
  - {id: "1001", name: Alice, device: PJSIP/1001, pin: "4321"}
"""


def feature(code: str, *presses: str | Press, phone: str = "1001") -> Caller:
    """A call from an agent's phone (PJSIP/<phone>) dialling a feature code."""
    return Caller(number=phone, dnis=code, context="ivr-acd-agent-features", trunk=phone, presses=presses)


def alice(center: Center) -> tuple[str, str, str]:
    agent = center.engine.snapshot().agents[0]
    return agent.state, agent.pause_reason, agent.device


async def test_login_pause_unpause_logout_by_feature_code(tmp_path: Path) -> None:
    async with running_center(tmp_path, dialplans={"main": DIALPLAN}, queues=QUEUES, agents=AGENTS) as center:
        # Log in from a hot desk (PJSIP/2001): the agent will be rung there.
        login = center.sim.place_call(feature("*50", "1001#", "4321#", phone="2001"))
        await login.wait_ended(20)
        assert alice(center) == ("ready", "", "PJSIP/2001")
        assert "agent-loginok" in login.heard_sounds
        pause = center.sim.place_call(feature("*52", "2#", phone="2001"))
        await pause.wait_ended(20)
        assert alice(center)[:2] == ("paused", "lunch")
        assert "custom/agent-paused" in pause.heard_sounds
        unpause = center.sim.place_call(feature("*53", phone="2001"))
        await unpause.wait_ended(20)
        assert alice(center)[0] == "ready"
        logout = center.sim.place_call(feature("*51", phone="2001"))
        await logout.wait_ended(20)
        assert alice(center)[0] == "logged_out"
        events = [f[4] for f in center.queue_log() if f[3] == "Alice"]
    assert events == ["AGENTLOGIN", "PAUSE", "UNPAUSE", "AGENTLOGOFF"]
    assert [f[5] for f in center.events("PAUSE")] == ["lunch"]


async def test_wrong_pin_changes_nothing(tmp_path: Path) -> None:
    async with running_center(tmp_path, dialplans={"main": DIALPLAN}, queues=QUEUES, agents=AGENTS) as center:
        attempt = center.sim.place_call(
            feature("*50", "1001#", "0000#", "1001#", "9999#", "1001#", "1111#", phone="2001")
        )
        await attempt.wait_ended(20)
        assert alice(center)[0] == "logged_out"
    assert attempt.heard_sounds.count("agent-incorrect") == 3
    assert "agent-loginok" not in attempt.heard_sounds
    assert not [f for f in center.queue_log() if f[4] == "AGENTLOGIN"]


async def test_unknown_reason_code_is_refused(tmp_path: Path) -> None:
    async with running_center(tmp_path, dialplans={"main": DIALPLAN}, queues=QUEUES, agents=AGENTS) as center:
        login = center.sim.place_call(feature("*50", "1001#", "4321#"))
        await login.wait_ended(20)
        pause = center.sim.place_call(feature("*52", "77#", "77#", "77#"))
        await pause.wait_ended(20)
        assert alice(center)[0] == "ready"
    assert pause.heard_sounds.count("agent-incorrect") == 3
