"""AMI events with Asterisk 22's names, field names, field order and privilege classes.

Every builder here was written from the transcripts in tests/traces/asterisk22: a channel
block is always ``Channel, ChannelState, ChannelStateDesc, CallerIDNum, CallerIDName,
ConnectedLineNum, ConnectedLineName, Language, AccountCode, Context, Exten, Priority,
Uniqueid, Linkedid`` (with a ``Dest``/``LocalOne``/``LocalTwo`` prefix where an event
carries a second channel), and event-specific fields follow in the order Asterisk sends.
The conformance test compares these against the recordings field by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from telephony.ami.message import AmiMessage

UNKNOWN = "<unknown>"
Fields = list[tuple[str, object]]


class ChannelView(Protocol):
    """What a channel block needs (implemented by :class:`asterisk_sim.channel.Channel`)."""

    @property
    def name(self) -> str: ...
    @property
    def state_value(self) -> int: ...
    @property
    def state_desc(self) -> str: ...
    @property
    def caller_num(self) -> str: ...
    @property
    def caller_name(self) -> str: ...
    @property
    def connected_num(self) -> str: ...
    @property
    def connected_name(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def accountcode(self) -> str: ...
    @property
    def context(self) -> str: ...
    @property
    def exten(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def uniqueid(self) -> str: ...
    @property
    def linkedid(self) -> str: ...


class BridgeView(Protocol):
    """What a bridge block needs."""

    @property
    def uniqueid(self) -> str: ...
    @property
    def num_channels(self) -> int: ...


def _or_unknown(value: str) -> str:
    return value if value else UNKNOWN


def channel_fields(chan: ChannelView, prefix: str = "") -> Fields:
    """The 14-field channel block, optionally prefixed (``Dest``, ``LocalOne`` …)."""
    return [
        (f"{prefix}Channel", chan.name),
        (f"{prefix}ChannelState", chan.state_value),
        (f"{prefix}ChannelStateDesc", chan.state_desc),
        (f"{prefix}CallerIDNum", _or_unknown(chan.caller_num)),
        (f"{prefix}CallerIDName", _or_unknown(chan.caller_name)),
        (f"{prefix}ConnectedLineNum", _or_unknown(chan.connected_num)),
        (f"{prefix}ConnectedLineName", _or_unknown(chan.connected_name)),
        (f"{prefix}Language", chan.language),
        (f"{prefix}AccountCode", chan.accountcode),
        (f"{prefix}Context", chan.context),
        (f"{prefix}Exten", chan.exten),
        (f"{prefix}Priority", chan.priority),
        (f"{prefix}Uniqueid", chan.uniqueid),
        (f"{prefix}Linkedid", chan.linkedid),
    ]


def bridge_fields(bridge: BridgeView, num_channels: int | None = None) -> Fields:
    """The bridge block of Bridge* events (a basic two-party bridge)."""
    return [
        ("BridgeUniqueid", bridge.uniqueid),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", UNKNOWN),
        ("BridgeName", UNKNOWN),
        ("BridgeNumChannels", bridge.num_channels if num_channels is None else num_channels),
        ("BridgeVideoSourceMode", "none"),
    ]


def _event(name: str, cls: str, fields: Iterable[tuple[str, object]]) -> AmiMessage:
    return AmiMessage.build([("Event", name), ("Privilege", f"{cls},all"), *fields])


# Event class (the first word of Privilege) for each event the simulator models.
EVENT_CLASS: dict[str, str] = {
    "Newchannel": "call",
    "Newstate": "call",
    "Hangup": "call",
    "HangupRequest": "call",
    "SoftHangupRequest": "call",
    "NewCallerid": "call",
    "NewConnectedLine": "call",
    "LocalBridge": "call",
    "DialBegin": "call",
    "DialState": "call",
    "DialEnd": "call",
    "BridgeCreate": "call",
    "BridgeEnter": "call",
    "BridgeLeave": "call",
    "BridgeDestroy": "call",
    "OriginateResponse": "call",
    "MusicOnHoldStart": "call",
    "MusicOnHoldStop": "call",
    "DeviceStateChange": "call",
    "Newexten": "dialplan",
    "VarSet": "dialplan",
    "AGIExecStart": "agi",
    "AGIExecEnd": "agi",
    "DTMFBegin": "dtmf",
    "DTMFEnd": "dtmf",
    "UserEvent": "user",
    "FullyBooted": "system",
    "SuccessfulAuth": "security",
    "RequestBadFormat": "security",
    "FailedACL": "security",
    "InvalidPassword": "security",
}
MODELLED_EVENTS = frozenset(EVENT_CLASS) | {"CoreShowChannel", "CoreShowChannelsComplete"}


def channel_event(name: str, chan: ChannelView, *extra: tuple[str, object]) -> AmiMessage:
    """An event made of a channel block and extra fields."""
    return _event(name, EVENT_CLASS[name], [*channel_fields(chan), *extra])


def newexten(chan: ChannelView, app: str, data: str) -> AmiMessage:
    """``Newexten``: the channel starts a dialplan priority."""
    return channel_event("Newexten", chan, ("Extension", chan.exten), ("Application", app), ("AppData", data))


def varset(chan: ChannelView, variable: str, value: str) -> AmiMessage:
    """``VarSet``."""
    return channel_event("VarSet", chan, ("Variable", variable), ("Value", value))


def hangup(chan: ChannelView, cause: int, cause_txt: str) -> AmiMessage:
    """``Hangup``."""
    return channel_event("Hangup", chan, ("Cause", cause), ("Cause-txt", cause_txt))


def newcallerid(chan: ChannelView, calling_pres: str) -> AmiMessage:
    """``NewCallerid``."""
    return channel_event("NewCallerid", chan, ("CID-CallingPres", calling_pres))


def dtmf_begin(chan: ChannelView, digit: str, direction: str = "Received") -> AmiMessage:
    """``DTMFBegin``."""
    return channel_event("DTMFBegin", chan, ("Digit", digit), ("Direction", direction))


def dtmf_end(chan: ChannelView, digit: str, duration_ms: int, direction: str = "Received") -> AmiMessage:
    """``DTMFEnd``."""
    return channel_event(
        "DTMFEnd", chan, ("Digit", digit), ("DurationMs", duration_ms), ("Direction", direction)
    )


def local_bridge(one: ChannelView, two: ChannelView, context: str, exten: str) -> AmiMessage:
    """``LocalBridge``: the two halves of a Local channel were connected."""
    return _event(
        "LocalBridge",
        "call",
        [
            *channel_fields(one, "LocalOne"),
            *channel_fields(two, "LocalTwo"),
            ("Context", context),
            ("Exten", exten),
            ("LocalOptimization", "Yes"),
        ],
    )


def dial_event(
    name: str, caller: ChannelView | None, dest: ChannelView, *extra: tuple[str, object]
) -> AmiMessage:
    """``DialBegin``/``DialState``/``DialEnd``; Originate dials have no caller block."""
    fields: Fields = [] if caller is None else channel_fields(caller)
    return _event(name, "call", [*fields, *channel_fields(dest, "Dest"), *extra])


def bridge_event(name: str, bridge: BridgeView, chan: ChannelView | None = None) -> AmiMessage:
    """``BridgeCreate``/``BridgeDestroy`` (no channel) or ``BridgeEnter``/``BridgeLeave``."""
    fields = bridge_fields(bridge)
    if chan is not None:
        fields += channel_fields(chan)
    return _event(name, "call", fields)


def originate_response(
    action_id: str | None,
    success: bool,
    channel: str,
    target: list[tuple[str, str]],
    reason: int,
    uniqueid: str,
    caller_num: str,
    caller_name: str,
) -> AmiMessage:
    """``OriginateResponse``; ``target`` is ``Application``/``Data`` or ``Context``/``Exten``."""
    fields: Fields = []
    if action_id is not None:
        fields.append(("ActionID", action_id))
    fields += [("Response", "Success" if success else "Failure"), ("Channel", channel), *target]
    fields += [
        ("Reason", reason),
        ("Uniqueid", uniqueid or UNKNOWN),
        ("CallerIDNum", _or_unknown(caller_num)),
        ("CallerIDName", _or_unknown(caller_name)),
    ]
    return _event("OriginateResponse", "call", fields)


def device_state_change(device: str, state: str) -> AmiMessage:
    """``DeviceStateChange``."""
    return _event("DeviceStateChange", "call", [("Device", device), ("State", state)])


def agi_exec_start(chan: ChannelView, command_id: int, command: str) -> AmiMessage:
    """``AGIExecStart``."""
    return channel_event("AGIExecStart", chan, ("CommandId", command_id), ("Command", command))


def agi_exec_end(chan: ChannelView, command_id: int, command: str, code: int, result: str) -> AmiMessage:
    """``AGIExecEnd``."""
    return channel_event(
        "AGIExecEnd",
        chan,
        ("CommandId", command_id),
        ("Command", command),
        ("ResultCode", code),
        ("Result", result),
    )


def user_event(name: str, fields: Iterable[tuple[str, str]]) -> AmiMessage:
    """``UserEvent``: the name, then the action's other headers in order."""
    return _event("UserEvent", "user", [("UserEvent", name), *fields])


def fully_booted(uptime: int, last_reload: int) -> AmiMessage:
    """``FullyBooted``, sent to a session right after login."""
    return _event(
        "FullyBooted", "system", [("Uptime", uptime), ("LastReload", last_reload), ("Status", "Fully Booted")]
    )


def security_event(name: str, fields: Iterable[tuple[str, object]]) -> AmiMessage:
    """``SuccessfulAuth``, ``RequestBadFormat`` … (class ``security``)."""
    return _event(name, "security", fields)


def core_show_channel(
    action_id: str | None, chan: ChannelView, app: str, data: str, duration: str, bridge_id: str
) -> AmiMessage:
    """One ``CoreShowChannel`` list item (list items carry no Privilege)."""
    fields: Fields = [("Event", "CoreShowChannel")]
    if action_id is not None:
        fields.append(("ActionID", action_id))
    fields += channel_fields(chan)
    fields += [
        ("Application", app),
        ("ApplicationData", data),
        ("Duration", duration),
        ("BridgeId", bridge_id),
    ]
    return AmiMessage.build(fields)


def list_complete(name: str, action_id: str | None, items: int) -> AmiMessage:
    """The ``…Complete`` event closing a list."""
    fields: Fields = [("Event", name)]
    if action_id is not None:
        fields.append(("ActionID", action_id))
    fields += [("EventList", "Complete"), ("ListItems", items)]
    return AmiMessage.build(fields)
