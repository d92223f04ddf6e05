"""Control actions with app_queue's parameters and answers, mapped to engine commands.

===============  ==========================================  ===========================
action           parameters                                  engine command
===============  ==========================================  ===========================
QueueAdd         Queue, Interface, Penalty, Paused,          AgentLogin
                 MemberName, StateInterface, Reason
QueueRemove      Queue, Interface                            AgentLogout
QueuePause       Interface, Paused, Queue (optional), Reason AgentPause
AcdCallback      Number, Queue, Name, When (optional),       RequestCallback
                 Variable: key=value (repeatable)
===============  ==========================================  ===========================

``Interface`` names an agent by its agent id or its device (case-insensitive, as
app_queue compares interfaces). QueueAdd may also name the agent by ``MemberName`` (its id)
with an ``Interface`` that is not its roster device: the agent logs in from that device.

Our agents log in, out and pause for all the queues they serve, not queue by queue: the
``Queue`` parameter must name an existing queue (and one the agent serves, when the read
model says which), but the command applies to the agent. ``Penalty`` and
``StateInterface`` are accepted and ignored (routing uses skill levels).

Validation errors use app_queue's messages; what the engine refuses comes back with the
engine's own message. The engine stays the judge: the checks here only pick app_queue's
wording for the cases app_queue has words for.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from datetime import datetime

from acd.commands import (
    AgentLogin,
    AgentLogout,
    AgentPause,
    CenterPort,
    Command,
    CommandResult,
    RequestCallback,
)
from acd.snapshot import AgentSnapshot, CenterSnapshot, QueueSnapshot
from ivr_acd.supervisor.members import LOGGED_OUT
from ivr_acd.supervisor.replies import error, success
from telephony.ami.message import AmiMessage

CONTROL_ACTIONS = ("QueueAdd", "QueueRemove", "QueuePause", "AcdCallback")

_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


def ast_true(value: str | None) -> bool:
    """Asterisk's ``ast_true()``: yes/true/y/t/1/on, any case."""
    return (value or "").strip().lower() in _TRUE


def parse_when(text: str) -> float:
    """``When`` as epoch seconds, from epoch seconds or ISO 8601 (naive means local time)."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        moment = datetime.fromisoformat(text)  # ValueError when unreadable
        return (moment if moment.tzinfo else moment.astimezone()).timestamp()
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"not a time: {text!r}")
    return value


def find_queue(snapshot: CenterSnapshot, name: str) -> QueueSnapshot | None:
    """The queue called ``name`` (case-insensitive, as app_queue's queue names are)."""
    wanted = name.lower()
    return next((q for q in snapshot.queues if q.name.lower() == wanted), None)


def find_agent(agents: Sequence[AgentSnapshot], interface: str) -> AgentSnapshot | None:
    """The agent whose id is ``interface``, else whose device is (case-insensitive)."""
    by_id = next((a for a in agents if a.agent_id == interface), None)
    if by_id is not None:
        return by_id
    wanted = interface.lower()
    return next((a for a in agents if a.device.lower() == wanted), None)


def _serves(agent: AgentSnapshot, queue: QueueSnapshot) -> bool:
    # An empty list means the read model does not say (e.g. a logged-out agent): let the engine judge.
    return not agent.queues or queue.name in agent.queues


async def _run(center: CenterPort, command: Command, limit: float) -> CommandResult:
    try:
        async with asyncio.timeout(limit):
            return await center.command(command)
    except TimeoutError:
        return CommandResult(False, "Timed out waiting for the ACD engine")


async def queue_add(request: AmiMessage, center: CenterPort, limit: float) -> AmiMessage:
    """``QueueAdd``: log an agent in."""
    queue_name = request.get("Queue") or ""
    interface = request.get("Interface") or ""
    if not queue_name:
        return error(request, "'Queue' not specified.")
    if not interface:
        return error(request, "'Interface' not specified.")
    snapshot = center.snapshot()
    queue = find_queue(snapshot, queue_name)
    if queue is None:
        return error(request, "Unable to add interface to queue: No such queue")
    device: str | None = None
    agent = find_agent(snapshot.agents, interface)
    member_name = request.get("MemberName") or ""
    if agent is None and member_name:
        agent = next((a for a in snapshot.agents if a.agent_id == member_name), None)
        device = interface  # hot-desking: the agent logs in from this device
    if agent is None:
        return error(request, "Unable to add interface: No such agent")
    if agent.state != LOGGED_OUT:
        return error(request, "Unable to add interface: Already there")
    if not _serves(agent, queue):
        return error(request, "Unable to add interface: Agent does not serve this queue")
    command = AgentLogin(
        agent.agent_id,
        device=device,
        paused=ast_true(request.get("Paused")),
        reason=request.get("Reason") or "",
    )
    result = await _run(center, command, limit)
    if result.ok:
        return success(request, "Added interface to queue")
    return error(request, f"Unable to add interface: {result.message}")


async def queue_remove(request: AmiMessage, center: CenterPort, limit: float) -> AmiMessage:
    """``QueueRemove``: log an agent out."""
    queue_name = request.get("Queue") or ""
    interface = request.get("Interface") or ""
    if not queue_name or not interface:
        return error(request, "Need 'Queue' and 'Interface' parameters.")
    snapshot = center.snapshot()
    queue = find_queue(snapshot, queue_name)
    if queue is None:
        return error(request, "Unable to remove interface from queue: No such queue")
    agent = find_agent(snapshot.agents, interface)
    if agent is None or agent.state == LOGGED_OUT or not _serves(agent, queue):
        return error(request, "Unable to remove interface: Not there")
    result = await _run(center, AgentLogout(agent.agent_id), limit)
    if result.ok:
        return success(request, "Removed interface from queue")
    return error(request, f"Unable to remove interface: {result.message}")


async def queue_pause(request: AmiMessage, center: CenterPort, limit: float) -> AmiMessage:
    """``QueuePause``: pause or unpause an agent (``Paused`` is read like ``ast_true``)."""
    interface = request.get("Interface") or ""
    paused_text = request.get("Paused") or ""
    if not interface or not paused_text:
        return error(request, "Need 'Interface' and 'Paused' parameters.")
    paused = ast_true(paused_text)
    snapshot = center.snapshot()
    agent = find_agent(snapshot.agents, interface)
    queue_name = request.get("Queue") or ""
    queue = find_queue(snapshot, queue_name) if queue_name else None
    if (
        agent is None
        or agent.state == LOGGED_OUT
        or (queue_name and (queue is None or not _serves(agent, queue)))
    ):
        return error(request, "Interface not found")
    command = AgentPause(agent.agent_id, paused=paused, reason=request.get("Reason") or "")
    result = await _run(center, command, limit)
    if not result.ok:
        return error(request, result.message or "Interface not found")
    return success(request, "Interface paused successfully" if paused else "Interface unpaused successfully")


def _variables(request: AmiMessage) -> dict[str, str]:
    data: dict[str, str] = {}
    for item in request.get_all("Variable"):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            data[key.strip()] = value
    return data


async def acd_callback(request: AmiMessage, center: CenterPort, limit: float) -> AmiMessage:
    """``AcdCallback``: ask the engine to call ``Number`` back for ``Queue``."""
    number = (request.get("Number") or "").strip()
    queue = (request.get("Queue") or "").strip()
    if not number or not queue:
        return error(request, "Need 'Number' and 'Queue' parameters.")
    when_text = request.get("When") or ""
    not_before: float | None = None
    if when_text.strip():
        try:
            not_before = parse_when(when_text)
        except ValueError:
            return error(request, "Invalid 'When': use epoch seconds or an ISO 8601 time")
    command = RequestCallback(
        number=number,
        queue=queue,
        name=request.get("Name") or "",
        not_before=not_before,
        data=_variables(request),
        source="ami",
    )
    result = await _run(center, command, limit)
    reference = [("Reference", result.reference)] if result.reference else []
    if result.ok:
        return success(request, result.message, reference)
    return error(request, result.message or "Callback request refused")
