"""Manager actions: each takes the action message and returns the response(s) to write,
plus what to do once they are written (the events an action causes follow its response).

Messages are the transcripts' (misc.txt, abandon_redirect.txt): ``Originate successfully
queued``, ``Redirect successful``, ``Variable Set``, ``Event Sent``, ``No such channel``,
``Channel Hungup``, ``Ping: Pong`` with a ``Timestamp``, ``Command output follows`` with
``Output:`` lines, and list framing ``EventList: start`` … ``EventList: Complete`` with
``ListItems``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asterisk_sim import events
from asterisk_sim.channel import CallerId, Channel
from asterisk_sim.core import Core
from asterisk_sim.dialplan.substitution import substitute
from asterisk_sim.originate import OriginateRequest, originate
from telephony.ami.message import AmiMessage, response

if TYPE_CHECKING:
    from asterisk_sim.ami.server import AmiSession


@dataclass
class ActionContext:
    """What a handler works with."""

    core: Core
    session: AmiSession
    message: AmiMessage

    def get(self, key: str) -> str:
        """A header's value, or ``""``."""
        return (self.message.get(key) or "").strip()


@dataclass
class ActionResult:
    """Responses to write, then an optional follow-up (which may publish events)."""

    messages: list[AmiMessage] = field(default_factory=list)
    then: Callable[[], None] | None = None


def reply(message: AmiMessage, status: str, **fields: object) -> AmiMessage:
    """``Response: <status>``, the ActionID if the action had one, then ``fields``."""
    return response(status, [("ActionID", message.action_id)], **fields)


def error(message: AmiMessage, text: str) -> AmiMessage:
    """``Response: Error`` with a message."""
    return reply(message, "Error", Message=text)


def _one(message: AmiMessage, then: Callable[[], None] | None = None) -> ActionResult:
    return ActionResult([message], then)


def ping(ctx: ActionContext) -> ActionResult:
    """``Ping``: ``Ping: Pong`` and a microsecond timestamp."""
    return _one(reply(ctx.message, "Success", Ping="Pong", Timestamp=f"{ctx.core.clock.wall():.6f}"))


def events_action(ctx: ActionContext) -> ActionResult:
    """``Events``: ``EventMask: on|off|classes``."""
    ctx.session.set_event_classes(ctx.get("EventMask"))
    return _one(reply(ctx.message, "Success", Events="On" if ctx.session.classes else "Off"))


def _variables(message: AmiMessage) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for header in message.get_all("Variable"):
        for item in header.split(","):
            name, sep, value = item.partition("=")
            if sep and name.strip():
                out.append((name.strip(), value))
    return out


def originate_action(ctx: ActionContext) -> ActionResult:
    """``Originate`` (see :mod:`asterisk_sim.originate`)."""
    channel = ctx.get("Channel")
    if not channel:
        return _one(error(ctx.message, "Channel not specified"))
    timeout_text = ctx.get("Timeout")
    timeout = ctx.core.config.timing.originate_timeout
    if timeout_text:
        try:
            timeout = int(timeout_text) / 1000
        except ValueError:
            return _one(error(ctx.message, "Invalid timeout"))
    application = ctx.get("Application") or None
    exten = ctx.get("Exten") or None
    if application is None and exten is None:
        return _one(error(ctx.message, "Exten not specified"))
    callerid_text = ctx.get("CallerID")
    request = OriginateRequest(
        channel=channel,
        application=application,
        data=ctx.get("Data"),
        context=ctx.get("Context") or "default",
        exten=exten,
        priority=ctx.get("Priority") or "1",
        timeout=timeout,
        callerid=CallerId.parse(callerid_text) if callerid_text else None,
        variables=_variables(ctx.message),
        action_id=ctx.message.action_id,
        asynchronous=ctx.get("Async").lower() in ("true", "yes", "1", "on"),
        channel_id=ctx.get("ChannelId") or None,
        other_channel_id=ctx.get("OtherChannelId") or None,
    )
    for wanted in (request.channel_id, request.other_channel_id):
        if wanted and ctx.core.find_channel(wanted) is not None:
            # Asterisk refuses a uniqueid already in use, before placing anything.
            return _one(error(ctx.message, "Uniqueid already in use"))
    queued = reply(ctx.message, "Success", Message="Originate successfully queued")
    if request.asynchronous:
        return _one(queued, lambda: _ignore(originate(ctx.core, request)))
    placed = originate(ctx.core, request)
    return _one(queued if placed else error(ctx.message, "Originate failed"))


def _ignore(_: object) -> None:
    return None


def _channel(ctx: ActionContext) -> Channel | None:
    return ctx.core.find_channel(ctx.get("Channel"))


def redirect(ctx: ActionContext) -> ActionResult:
    """``Redirect``: continue a channel elsewhere in the dialplan."""
    if not ctx.get("Channel"):
        return _one(error(ctx.message, "Channel not specified"))
    chan = _channel(ctx)
    if chan is None:
        return _one(error(ctx.message, f"Channel does not exist: {ctx.get('Channel')}"))
    context = ctx.get("Context") or chan.context
    exten = ctx.get("Exten") or chan.exten
    priority_text = ctx.get("Priority") or "1"
    if priority_text.isdigit():
        priority = int(priority_text)
    else:
        label = ctx.core.dialplan.label(context, exten, priority_text)
        if label is None:
            return _one(error(ctx.message, "Invalid priority"))
        priority = label
    return _one(
        reply(ctx.message, "Success", Message="Redirect successful"),
        lambda: chan.async_goto(context, exten, priority),
    )


def setvar(ctx: ActionContext) -> ActionResult:
    """``Setvar``: on a channel, or a global without ``Channel``."""
    name = ctx.get("Variable")
    if not name:
        return _one(error(ctx.message, "No variable specified"))
    value = ctx.message.get("Value") or ""
    if not ctx.get("Channel"):
        globals_ = ctx.core.dialplan.globals
        return _one(
            reply(ctx.message, "Success", Message="Variable Set"), lambda: globals_.__setitem__(name, value)
        )
    chan = _channel(ctx)
    if chan is None:
        return _one(error(ctx.message, "No such channel"))
    return _one(reply(ctx.message, "Success", Message="Variable Set"), lambda: chan.set_variable(name, value))


def getvar(ctx: ActionContext) -> ActionResult:
    """``Getvar``: ``Variable``/``Value``; functions such as ``CALLERID(num)`` are evaluated."""
    name = ctx.get("Variable")
    if not name:
        return _one(error(ctx.message, "No variable specified"))
    if ctx.get("Channel"):
        chan = _channel(ctx)
        if chan is None:
            return _one(error(ctx.message, "No such channel"))
        value = substitute("${" + name + "}", chan)
    else:
        value = ctx.core.dialplan.globals.get(name, "")
    return _one(reply(ctx.message, "Success", Variable=name, Value=value))


def hangup(ctx: ActionContext) -> ActionResult:
    """``Hangup``: an explicit soft hang-up with an optional ``Cause``."""
    chan = _channel(ctx)
    if chan is None:
        return _one(error(ctx.message, "No such channel"))
    cause_text = ctx.get("Cause")
    cause = int(cause_text) if cause_text.isdigit() else None
    return _one(
        reply(ctx.message, "Success", Message="Channel Hungup"), lambda: chan.request_softhangup(cause=cause)
    )


def user_event(ctx: ActionContext) -> ActionResult:
    """``UserEvent``: ``Event Sent``, then the event with every other header in order."""
    name = ctx.get("UserEvent")
    if not name:
        return _one(error(ctx.message, "UserEvent header missing"))
    fields = [(k, v) for k, v in ctx.message.fields if k.lower() not in ("action", "userevent")]
    bus = ctx.core.bus
    return _one(
        reply(ctx.message, "Success", Message="Event Sent"),
        lambda: bus.publish(events.user_event(name, fields)),
    )


def _hms(seconds: float) -> str:
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def core_show_channels(ctx: ActionContext) -> ActionResult:
    """``CoreShowChannels``: a list, newest channel first."""
    action_id = ctx.message.action_id
    now = ctx.core.clock.now()
    channels = sorted(ctx.core.channels.values(), key=lambda c: (-c.seq, c.name))
    messages = [reply(ctx.message, "Success", EventList="start", Message="Channels will follow")]
    for chan in channels:
        messages.append(
            events.core_show_channel(
                action_id,
                chan,
                chan.app,
                chan.appdata,
                _hms(now - chan.created_at),
                chan.bridge.uniqueid if chan.bridge is not None else "",
            )
        )
    messages.append(events.list_complete("CoreShowChannelsComplete", action_id, len(channels)))
    return ActionResult(messages)


def _duration_words(seconds: int) -> str:
    parts: list[str] = []
    for size, word in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds >= size or (size == 1 and not parts):
            count = seconds // size
            seconds %= size
            parts.append(f"{count} {word}{'' if count == 1 else 's'}")
    return ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def command(ctx: ActionContext) -> ActionResult:
    """``Command``: ``core show uptime`` and ``core show channels count``."""
    text = " ".join(ctx.get("Command").lower().split())
    uptime = ctx.core.uptime
    if text == "core show uptime":
        lines = [f"System uptime: {_duration_words(uptime)}", f"Last reload: {_duration_words(uptime)}"]
    elif text == "core show channels count":
        active = len(ctx.core.channels)
        calls = len({c.linkedid for c in ctx.core.channels.values()})
        lines = [
            _plural(active, "active channel"),
            _plural(calls, "active call"),
            _plural(ctx.core.stats.channels_created, "call") + " processed",
        ]
    else:
        first = text.split(" ")[0] if text else ""
        return _one(
            response(
                "Error",
                [
                    ("ActionID", ctx.message.action_id),
                    ("Message", "Command output follows"),
                    (
                        "Output",
                        f"No such command '{text}' (type 'core show help {first}' for other possible commands)",
                    ),
                ],
            )
        )
    fields: list[tuple[str, object]] = [
        ("ActionID", ctx.message.action_id),
        ("Message", "Command output follows"),
    ]
    fields += [("Output", line) for line in lines]
    return _one(response("Success", fields))


HANDLERS: dict[str, Callable[[ActionContext], ActionResult]] = {
    "ping": ping,
    "events": events_action,
    "originate": originate_action,
    "redirect": redirect,
    "setvar": setvar,
    "getvar": getvar,
    "hangup": hangup,
    "userevent": user_event,
    "coreshowchannels": core_show_channels,
    "command": command,
}
