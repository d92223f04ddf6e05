"""AMI ``Originate``: dial a channel, then run an application or the dialplan on it.

Rules (misc.txt, connect_moh.txt, agi_basic.txt):

1. ``Async: true`` answers ``Originate successfully queued`` at once and reports the
   outcome later in ``OriginateResponse`` (``Reason`` 4 answered, 3 rang without answer,
   5 busy, 8 congestion, 0 failed or no such extension/device).
2. ``Async: false`` answers once the call is placed (not answered), with the same message,
   or ``Originate failed`` when it could not be placed; no ``OriginateResponse`` follows.
3. On answer the outbound channel runs ``Application(Data)`` (and hangs up when it ends)
   or the dialplan at ``Context,Exten,Priority``.
4. On failure the response names the dial string, not a channel, with ``Uniqueid:
   <unknown>``; the outbound channel is hung up (cause 19 after an unanswered ring).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from asterisk_sim import events
from asterisk_sim.bridge import stay_in_bridge
from asterisk_sim.causes import Cause, OriginateReason, SoftHangup
from asterisk_sim.channel import CallerId, Channel
from asterisk_sim.core import Core
from asterisk_sim.dialing import Leg, Outcome, place

log = logging.getLogger(__name__)


@dataclass
class OriginateRequest:
    """The fields of an Originate action."""

    channel: str
    application: str | None = None
    data: str = ""
    context: str | None = None
    exten: str | None = None
    priority: str = "1"
    timeout: float = 30.0
    callerid: CallerId | None = None
    variables: list[tuple[str, str]] = field(default_factory=list)
    action_id: str | None = None
    asynchronous: bool = False
    channel_id: str | None = None
    other_channel_id: str | None = None


def originate(core: Core, request: OriginateRequest) -> bool:
    """Place the call; True when it was placed (what a synchronous Originate answers)."""
    core.stats.originates += 1
    leg = place(
        core,
        request.channel,
        callerid=request.callerid,
        variables=request.variables,
        channel_ids=(request.channel_id, request.other_channel_id),
    )
    if leg is None:
        if request.asynchronous:
            _respond(core, request, None, OriginateReason.FAILED)
        return False
    placed = not leg.failed_already
    core.spawn(_follow(core, request, leg), name=f"originate {request.channel}")
    return placed


_REASONS = {
    Outcome.BUSY: OriginateReason.BUSY,
    Outcome.CONGESTION: OriginateReason.CONGESTION,
    Outcome.CHANUNAVAIL: OriginateReason.FAILED,
    Outcome.HANGUP: OriginateReason.HANGUP,
}


async def _follow(core: Core, request: OriginateRequest, leg: Leg) -> None:
    outcome = await leg.wait(request.timeout)
    chan = leg.chan
    if outcome is not Outcome.ANSWER:
        reason = _REASONS.get(outcome, OriginateReason.RINGING if leg.rang else OriginateReason.FAILED)
        if request.asynchronous:
            _respond(core, request, None, reason)
        if not chan.hung_up:
            if outcome is Outcome.NOANSWER:
                chan.hangupcause = int(Cause.NO_ANSWER)
            elif chan.tech != "Local" and outcome is Outcome.BUSY:
                chan.hangupcause = int(Cause.USER_BUSY)
            elif chan.tech != "Local" and outcome is Outcome.CONGESTION:
                chan.hangupcause = int(Cause.CONGESTION)
            chan.hangup()
        return
    if request.asynchronous:
        _respond(core, request, chan, OriginateReason.ANSWERED)
    if request.application:
        await run_originated_app(chan, request.application, request.data)
        return
    chan.context = request.context or "default"
    chan.exten = request.exten or "s"
    priority = request.priority
    if priority.isdigit():
        chan.priority = int(priority)
    else:
        chan.priority = core.dialplan.label(chan.context, chan.exten, priority) or 1
    core.start_pbx(chan)


async def run_originated_app(chan: Channel, application: str, data: str) -> None:
    """Run an application on an answered outbound channel, then hang it up."""
    core = chan.core
    chan.app, chan.appdata = application, data
    await core.run_application(chan, application, data)
    if chan.pull_pending:
        chan.pull_pending = False
        await stay_in_bridge(chan)
    if chan.goto_target is not None and not chan.hangup_requested:
        chan.context, chan.exten, chan.priority = chan.goto_target
        chan.goto_target = None
        chan.softhangup = SoftHangup(0)
        core.start_pbx(chan)
        return
    chan.hangup()


def _respond(core: Core, request: OriginateRequest, chan: Channel | None, reason: OriginateReason) -> None:
    if request.application:
        target = [("Application", request.application), ("Data", request.data)]
    else:
        target = [("Context", request.context or ""), ("Exten", request.exten or "")]
    if chan is not None:
        message = events.originate_response(
            request.action_id,
            True,
            chan.name,
            target,
            int(reason),
            chan.uniqueid,
            chan.caller.num,
            chan.caller.name,
        )
    else:
        caller = request.callerid or CallerId()
        message = events.originate_response(
            request.action_id, False, request.channel, target, int(reason), "", caller.num, caller.name
        )
    core.bus.publish(message)
