"""Commands from agents and supervisors: log in, log out, pause, unpause."""

from __future__ import annotations

import logging

from acd.center import agents as agent_rules
from acd.center.messages import (
    AgentRequest,
    Effect,
    Reply,
)
from acd.center.model import AgentRuntime
from acd.center.ringing import Ringing
from acd.commands import AgentLogin, AgentLogout, AgentPause, Command, CommandResult, RequestCallback

log = logging.getLogger(__name__)


class AgentCommands(Ringing):
    """Agent commands, validated against the agent's state."""

    def _agent_request(self, message: AgentRequest, now: float) -> list[Effect]:
        effects, result = self._command(message.command, now)
        return [*effects, Reply(message.token, result)]

    def _command(self, command: Command, now: float) -> tuple[list[Effect], CommandResult]:
        if isinstance(command, RequestCallback):
            return [], CommandResult(False, "callback requests are handled by the callback desk")
        agent = self._agents.get(command.agent_id)
        if agent is None:
            return [], CommandResult(False, f"no agent {command.agent_id!r}")
        match command:
            case AgentLogin():
                if agent.logged_in:
                    return [], CommandResult(True, f"agent {agent.config.agent_id} is already logged in")
                agent.device = command.device or agent.config.device
                to = "paused" if command.paused else "ready"
                return self._transition(agent, "login", to, now, command.reason), CommandResult(
                    True, "logged in"
                )
            case AgentLogout():
                if not agent.logged_in:
                    return [], CommandResult(True, "already logged out")
                if agent.state in agent_rules.BUSY_STATES:
                    agent.pending = "logout"
                    return [], CommandResult(True, "will log out after the current call", deferred=True)
                return self._transition(agent, "logout", "logged_out", now), CommandResult(True, "logged out")
            case AgentPause():
                return self._pause(agent, command, now)

    def _pause(
        self, agent: AgentRuntime, command: AgentPause, now: float
    ) -> tuple[list[Effect], CommandResult]:
        if not agent.logged_in:
            return [], CommandResult(False, f"agent {agent.config.agent_id} is not logged in")
        if command.paused:
            if agent.state in agent_rules.BUSY_STATES:
                agent.pending = f"pause:{command.reason}"
                return [], CommandResult(True, "will pause after the current call", deferred=True)
            agent.resume_at = None
            return self._transition(agent, "pause", "paused", now, command.reason), CommandResult(
                True, "paused"
            )
        # unpause: also "ready" at the end of wrap-up, and cancels a pause asked for during a call
        if agent.pending is not None and agent.pending.startswith("pause:"):
            agent.pending = None
        if agent.state == "wrap_up":
            return self._end_wrap_up(agent, now), CommandResult(True, "ready")
        if agent.state == "paused":
            agent.resume_at = None
            return self._transition(agent, "unpause", "ready", now), CommandResult(True, "unpaused")
        return [], CommandResult(True, f"agent is {agent.state}")
