"""Agents change their state from their phone: ``*50`` log in, ``*51`` log out, ``*52`` pause,
``*53`` unpause (``asterisk/extensions_ivr_acd.conf`` routes these into FastAGI).

Logging in asks for the agent number and PIN, whatever phone is used: the agent is then
rung on *that* phone (hot-desking). The other codes recognise the agent by the phone they
call from when it is theirs, and otherwise ask for number and PIN too. A wrong number or
PIN gets a clear prompt and changes nothing; three failures end the call. Pausing asks for
a reason code (the codes are configured; an unknown code is refused).

PINs are compared in constant time and never logged; digits typed here never reach a log
line either.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Mapping

from acd.commands import AgentLogin, AgentLogout, AgentPause, Command, CommandResult
from acd.roster import AgentConfig
from ivr.runner import DONE_VARIABLE
from telephony.agi import commands
from telephony.agi.channel import AgiChannel, AgiHangup

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DIGIT_TIMEOUT = 6.0

# Asterisk's core sounds for agent login, and ours (custom/…) where it has none.
PROMPT_AGENT = "agent-user"
PROMPT_PIN = "agent-pass"
PROMPT_INCORRECT = "agent-incorrect"
PROMPT_LOGGED_IN = "agent-loginok"
PROMPT_LOGGED_OFF = "agent-loggedoff"
PROMPT_REASON = "custom/agent-pause-reason"
PROMPT_PAUSED = "custom/agent-paused"
PROMPT_READY = "custom/agent-ready"
PROMPT_NOT_LOGGED_IN = "custom/agent-not-logged-in"
PROMPT_LATER = "custom/agent-after-this-call"
PROMPT_GOODBYE = "vm-goodbye"

_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(;[12])?$")


def device_of(channel: str) -> str:
    """The device a channel belongs to: ``PJSIP/1001-0000000a`` → ``PJSIP/1001``."""
    return _CHANNEL_SUFFIX.sub("", channel)


class AgentFeatures:
    """The four feature-code handlers."""

    def __init__(
        self,
        roster: Callable[[], Mapping[str, AgentConfig]],
        by_device: Callable[[str], AgentConfig | None],
        command: Callable[[Command], Awaitable[CommandResult]],
        pause_reasons: Mapping[str, str],
    ) -> None:
        self._roster = roster
        self._by_device = by_device
        self._command = command
        self._reasons = pause_reasons

    async def login(self, channel: AgiChannel) -> None:
        """``*50``: agent number and PIN, then logged in on the phone they call from."""
        await self._session(channel, self._login)

    async def logout(self, channel: AgiChannel) -> None:
        """``*51``."""
        await self._session(channel, self._logout)

    async def pause(self, channel: AgiChannel) -> None:
        """``*52``: a reason code, then paused."""
        await self._session(channel, self._pause)

    async def unpause(self, channel: AgiChannel) -> None:
        """``*53``."""
        await self._session(channel, self._unpause)

    async def _session(self, channel: AgiChannel, body: Callable[[AgiChannel], Awaitable[None]]) -> None:
        try:
            await channel.execute(commands.answer())
            await body(channel)
            await channel.execute(commands.set_variable(DONE_VARIABLE, "1"))
            await channel.execute(commands.hangup())
        except AgiHangup:
            pass  # the agent hung up: nothing was changed after that point

    async def _login(self, channel: AgiChannel) -> None:
        agent = await self._identify(channel)
        if agent is None:
            return
        device = device_of(channel.env.channel) or agent.device
        result = await self._command(AgentLogin(agent.agent_id, device=device))
        log.info("agent feature login agent=%s device=%s ok=%s", agent.agent_id, device, result.ok)
        await self._say(channel, PROMPT_LOGGED_IN if result.ok else PROMPT_INCORRECT)

    async def _logout(self, channel: AgiChannel) -> None:
        agent = await self._caller_or_identify(channel)
        if agent is None:
            return
        result = await self._command(AgentLogout(agent.agent_id))
        log.info("agent feature logout agent=%s ok=%s", agent.agent_id, result.ok)
        await self._say(channel, PROMPT_LATER if result.deferred else PROMPT_LOGGED_OFF)

    async def _pause(self, channel: AgiChannel) -> None:
        agent = await self._caller_or_identify(channel)
        if agent is None:
            return
        for _ in range(MAX_ATTEMPTS):
            code = await self._digits(channel, PROMPT_REASON)
            if code in self._reasons:
                result = await self._command(AgentPause(agent.agent_id, True, self._reasons[code]))
                log.info(
                    "agent feature pause agent=%s reason=%s ok=%s",
                    agent.agent_id,
                    self._reasons[code],
                    result.ok,
                )
                if not result.ok:
                    await self._say(channel, PROMPT_NOT_LOGGED_IN)
                else:
                    await self._say(channel, PROMPT_LATER if result.deferred else PROMPT_PAUSED)
                return
            await self._say(channel, PROMPT_INCORRECT)
        await self._say(channel, PROMPT_GOODBYE)

    async def _unpause(self, channel: AgiChannel) -> None:
        agent = await self._caller_or_identify(channel)
        if agent is None:
            return
        result = await self._command(AgentPause(agent.agent_id, False))
        log.info("agent feature unpause agent=%s ok=%s", agent.agent_id, result.ok)
        await self._say(channel, PROMPT_READY if result.ok else PROMPT_NOT_LOGGED_IN)

    async def _caller_or_identify(self, channel: AgiChannel) -> AgentConfig | None:
        agent = self._by_device(device_of(channel.env.channel))
        return agent if agent is not None else await self._identify(channel)

    async def _identify(self, channel: AgiChannel) -> AgentConfig | None:
        """Agent number and PIN, up to three tries; None (after a goodbye) when they fail."""
        for _ in range(MAX_ATTEMPTS):
            number = await self._digits(channel, PROMPT_AGENT)
            pin = await self._digits(channel, PROMPT_PIN)
            agent = self._roster().get(number)
            # Compare even for an unknown agent, so timing does not tell which ids exist.
            expected = agent.pin if agent is not None and agent.pin else "\0never"
            if agent is not None and hmac.compare_digest(pin.encode(), expected.encode()):
                return agent
            log.info("agent feature login refused channel=%s", channel.env.channel)
            await self._say(channel, PROMPT_INCORRECT)
        await self._say(channel, PROMPT_GOODBYE)
        return None

    async def _digits(self, channel: AgiChannel, prompt: str) -> str:
        reply = await channel.execute(commands.get_data(prompt, DIGIT_TIMEOUT, 12))
        return reply.result if reply.result and reply.result.isdigit() else ""

    async def _say(self, channel: AgiChannel, sound: str) -> None:
        await channel.execute(commands.stream_file(sound))
