"""Timers, reloads and resynchronisation after an AMI outage."""

from __future__ import annotations

import logging

from acd.center import agents as agent_rules
from acd.center.agent_commands import AgentCommands
from acd.center.messages import (
    Effect,
    HangupChannel,
    Reconfigure,
)
from acd.center.model import AgentRuntime, Phase
from acd.router import Router

log = logging.getLogger(__name__)


class Upkeep(AgentCommands):
    """What keeps the state honest over time."""

    def _timer(self, key: tuple[str, str], now: float) -> list[Effect]:
        kind, ident = key
        if kind == "relax":
            self._relax_at = None
            return []  # handle() routes after every message
        if kind in ("reserve", "ring"):
            attempt = self._attempts.get(ident)
            if attempt is None:
                return []
            log.warning("acd %s timeout attempt=%s agent=%s", kind, ident, attempt.agent_id)
            # No answer from Asterisk to our Originate is not the agent's fault: release them.
            outcome = "no_answer" if kind == "ring" else "released"
            return [HangupChannel(attempt.leg), *self._attempt_failed(attempt, outcome, now)]
        if kind == "bridge":
            attempt = self._attempts.get(ident)
            call = self._calls.get(attempt.call_id) if attempt is not None else None
            if attempt is None or call is None or call.phase is not Phase.CONNECTING:
                return []
            log.warning("acd bridge never happened attempt=%s call=%s", ident, call.call_id)
            effects: list[Effect] = [HangupChannel(attempt.leg)]
            agent = self._agents.get(attempt.agent_id)
            if agent is not None and agent.state == "on_call":
                effects += self._transition(agent, "call_end", "ready", now)
            self._forget_attempt(attempt)
            call.attempt = None
            self._set_phase(call, Phase.WAITING)
            self._router.add_call(self._router_call(call))
            return effects + (self._lost(call, now) if call.agi_gone else [])
        if kind == "max_wait":
            call = self._calls.get(ident)
            if call is None:
                return []
            if call.phase is Phase.WAITING:
                return self._overflow(call, now)
            if call.phase is Phase.RINGING:
                call.overflow_due = True  # let this ring finish: it may be answered
            return []
        if kind == "limbo":
            call = self._calls.get(ident)
            if call is None or call.phase in (Phase.DONE, Phase.TALKING):
                return []
            return self._lost(call, now)
        if kind == "wrap_up":
            agent = self._agents.get(ident)
            if agent is None or agent.state != "wrap_up":
                return []
            return self._end_wrap_up(agent, now)
        if kind == "resume":
            agent = self._agents.get(ident)
            if agent is None or agent.resume_at is None or agent.state != "paused":
                return []
            agent.resume_at = None
            return self._transition(agent, "unpause", "ready", now)
        if kind == "forget":
            call = self._calls.get(ident)
            if call is not None and call.phase is Phase.DONE:
                del self._calls[ident]
            return []
        return []

    def _reconfigure(self, message: Reconfigure, now: float) -> list[Effect]:
        old_router = self._router
        # A queue dropped from the file keeps serving the calls already in it.
        queues = dict(message.queues)
        for call in self._calls.values():
            if call.phase is not Phase.DONE and call.queue not in queues and call.queue in self._queues:
                queues[call.queue] = self._queues[call.queue]
        self._queues = queues
        roster = {a.agent_id: a for a in message.agents}
        effects: list[Effect] = []
        for agent_id, agent in list(self._agents.items()):
            if agent_id in roster:
                agent.config = roster[agent_id]
                agent.retired = False
                if not agent.logged_in or agent.state not in agent_rules.BUSY_STATES:
                    agent.device = agent.device if agent.logged_in else roster[agent_id].device
            elif agent.logged_in and agent.state in agent_rules.BUSY_STATES:
                agent.retired = True
            else:
                if agent.logged_in:
                    effects += agent_rules.transition(agent, "logout", "logged_out", now)
                del self._agents[agent_id]
        for agent_id, config in roster.items():
            if agent_id not in self._agents:
                self._agents[agent_id] = AgentRuntime(config=config, device=config.device)
        self._refresh_agents()
        self._router = Router(
            {name: q.policy() for name, q in self._queues.items()}, last_chosen=old_router.last_chosen
        )
        for agent in self._agents.values():
            self._sync_router(agent, now)
        for call in self._calls.values():
            if call.phase is Phase.WAITING:
                self._router.add_call(self._router_call(call))
        self._relax_at = None
        for agent in self._agents.values():
            if (
                agent.config.login_at_start
                and not agent.logged_in
                and agent.config.agent_id not in old_router.agents
            ):
                effects += self._transition(agent, "login", "ready", now)
        return effects

    def _channels_alive(self, alive: frozenset[str], now: float) -> list[Effect]:
        """After an AMI outage: conclude what happened to channels while we were deaf."""
        effects: list[Effect] = []
        for call in list(self._calls.values()):
            if call.phase is Phase.DONE or not call.caller.uniqueid:
                continue
            if call.caller.uniqueid not in alive:
                effects += self._caller_hung_up(call, now)
                continue
            attempt = call.attempt
            if attempt is not None and attempt.accepted and attempt.channel_id not in alive:
                if call.phase is Phase.TALKING:
                    effects += self._complete(call, now, by_caller=False)
                elif call.phase is Phase.RINGING:
                    effects += self._attempt_failed(attempt, "no_answer", now)
        return effects
