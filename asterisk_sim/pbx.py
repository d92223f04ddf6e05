"""The dialplan runner: one task per channel executing priorities (pbx.c ``__ast_pbx_run``).

Rules:

1. Each step publishes ``Newexten`` (``AppData`` already substituted), then runs the
   application. 0 continues at the next priority (or exactly where a Goto jumped), any
   other value ends the dialplan.
2. A channel pulled into a bridge stays there, then resumes at the priority after the one
   it was pulled out of, unless it hung up (connect_moh.txt).
3. An AMI Redirect (async goto) ends the current application and continues at the target,
   without any event of its own (abandon_redirect.txt).
4. When the dialplan ends: ``SoftHangupRequest`` with cause 16 (AST_SOFTHANGUP_APPUNLOAD),
   then the hang-up. A dialplan that simply ran out of priorities hangs up with cause 16.
"""

from __future__ import annotations

import logging

from asterisk_sim import events
from asterisk_sim.bridge import stay_in_bridge
from asterisk_sim.causes import Cause, SoftHangup
from asterisk_sim.channel import Channel
from asterisk_sim.dialplan.substitution import substitute

log = logging.getLogger(__name__)


def start_pbx(chan: Channel) -> None:
    """Start running the dialplan on ``chan`` at its context, extension and priority."""
    chan.runs_pbx = True
    chan.core.spawn(run_pbx(chan), name=f"pbx {chan.name}")


async def run_pbx(chan: Channel) -> None:
    """Run the dialplan until it ends, then hang the channel up."""
    ended_by_dialplan = await _steps(chan)
    if chan.hung_up:
        return
    if ended_by_dialplan and not chan.hangupcause and not chan.hangup_requested:
        chan.hangupcause = int(Cause.NORMAL_CLEARING)
    chan.request_softhangup(SoftHangup.APPUNLOAD)
    chan.hangup()


async def _steps(chan: Channel) -> bool:
    """Run priorities; True if the dialplan ran out, False if an application ended it."""
    core = chan.core
    while not chan.hung_up:
        step = core.dialplan.step(chan.context, chan.exten, chan.priority)
        if step is None:
            log.debug("%s: dialplan ends at %s,%s,%s", chan.name, chan.context, chan.exten, chan.priority)
            return True
        data = substitute(step.args, chan)
        chan.app, chan.appdata = step.app, data
        chan.jumped = False
        callerid_changed = chan.take_pending_callerid()
        chan.publish(events.newexten(chan, step.app, data))
        if callerid_changed:
            chan.announce_callerid()
        result = await core.run_application(chan, step.app, data)
        if chan.pull_pending:
            chan.pull_pending = False
            kicked = await stay_in_bridge(chan)
            after, chan.after_bridge = chan.after_bridge, None
            if kicked and not chan.interrupted:
                if after == "hangup":
                    return False
                if isinstance(after, tuple):
                    chan.context, chan.exten, chan.priority = after
                continue  # already at the next priority, or at F()'s destination
            result = -1
        if chan.goto_target is not None and not chan.hangup_requested:
            context, exten, priority = chan.goto_target
            chan.goto_target = None
            chan.softhangup &= ~SoftHangup.ASYNCGOTO
            chan.context, chan.exten, chan.priority = context, exten, priority
            continue
        if result != 0 or chan.hangup_requested:
            return False
        if not chan.jumped:
            chan.priority += 1
    return False
