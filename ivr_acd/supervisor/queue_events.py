"""The engine's events as app_queue's AMI events, with app_queue's names and field order.

Each caller event starts with the caller's channel snapshot (``Channel`` … ``Linkedid``),
agent events add the agent leg as ``Dest…`` fields, then app_queue's own fields (misc.txt).
What our engine does not track is filled the way Asterisk fills an unset value: callers
are ``Up`` (the IVR answered them), a callback request is ``Down`` with no channel, and the
agent leg is named after the agent's device since we do not know its channel name.

==========================  =====================================================
engine event                AMI event(s), ``Privilege: agent,all``
==========================  =====================================================
CallJoined                  QueueCallerJoin
CallLeft                    QueueCallerLeave
CallAbandoned               QueueCallerAbandon
AgentCalled                 AgentCalled
AgentRingNoAnswer           AgentRingNoAnswer
AgentConnected              AgentConnect
AgentCompleted              AgentComplete
AgentStateChanged           per queue of the agent: QueueMemberAdded (log in),
                            QueueMemberRemoved (log out), else QueueMemberPause
                            when the pause flag changed and QueueMemberStatus
                            when the device state changed
CallbackChanged             nothing (app_queue has no callbacks)
==========================  =====================================================
"""

from __future__ import annotations

from collections.abc import Callable

from acd.events import (
    AcdEvent,
    AgentCalled,
    AgentCompleted,
    AgentConnected,
    AgentInfo,
    AgentRingNoAnswer,
    AgentStateChanged,
    CallAbandoned,
    CallerInfo,
    CallJoined,
    CallLeft,
)
from acd.snapshot import AgentSnapshot
from ivr_acd.supervisor.members import LOGGED_OUT, PAUSED, MemberView, member_status
from ivr_acd.supervisor.replies import one_line
from telephony.ami.message import AmiMessage

PRIVILEGE = "agent,all"
AgentLookup = Callable[[str], AgentSnapshot | None]
Pairs = list[tuple[str, object]]


def _event(name: str, pairs: Pairs) -> AmiMessage:
    fields = [("Event", name), ("Privilege", PRIVILEGE), *pairs]
    return AmiMessage(tuple((key, one_line(value)) for key, value in fields))


def _caller_id(value: str) -> str:
    # A channel snapshot says "<unknown>" for a caller id it does not have (misc.txt).
    return value or "<unknown>"


def caller_fields(caller: CallerInfo, *, is_callback: bool = False) -> Pairs:
    """The caller's channel snapshot fields."""
    up = not is_callback and bool(caller.channel)
    return [
        ("Channel", caller.channel),
        ("ChannelState", 6 if up else 0),
        ("ChannelStateDesc", "Up" if up else "Down"),
        ("CallerIDNum", _caller_id(caller.number)),
        ("CallerIDName", _caller_id(caller.name)),
        ("ConnectedLineNum", "<unknown>"),
        ("ConnectedLineName", "<unknown>"),
        ("Language", "en"),
        ("AccountCode", ""),
        ("Context", ""),
        ("Exten", ""),
        ("Priority", 1),
        ("Uniqueid", caller.uniqueid),
        ("Linkedid", caller.linkedid or caller.uniqueid),
    ]


def agent_leg_fields(agent: AgentInfo, caller: CallerInfo, *, up: bool) -> Pairs:
    """The agent leg as ``Dest…`` fields; the agent sees the caller's id, as in misc.txt."""
    return [
        ("DestChannel", agent.device),
        ("DestChannelState", 6 if up else 0),
        ("DestChannelStateDesc", "Up" if up else "Down"),
        ("DestCallerIDNum", _caller_id(caller.number)),
        ("DestCallerIDName", _caller_id(caller.name)),
        ("DestConnectedLineNum", _caller_id(caller.number)),
        ("DestConnectedLineName", _caller_id(caller.name)),
        ("DestLanguage", "en"),
        ("DestAccountCode", ""),
        ("DestContext", ""),
        ("DestExten", ""),
        ("DestPriority", 1),
        ("DestUniqueid", ""),
        ("DestLinkedid", caller.linkedid or caller.uniqueid),
    ]


def _member(queue: str, agent: AgentInfo) -> Pairs:
    return [("Queue", queue), ("Interface", agent.device), ("MemberName", agent.name)]


def _seconds(value: float) -> int:
    return max(0, int(value))


def _member_events(change: AgentStateChanged, lookup: AgentLookup) -> list[AmiMessage]:
    member = MemberView.from_change(change, lookup(change.agent.agent_id))
    if change.old_state == LOGGED_OUT and change.new_state == LOGGED_OUT:
        return []
    names: list[str] = []
    if change.old_state == LOGGED_OUT:
        names.append("QueueMemberAdded")
    elif change.new_state == LOGGED_OUT:
        names.append("QueueMemberRemoved")
    else:
        if (change.old_state == PAUSED) != (change.new_state == PAUSED):
            names.append("QueueMemberPause")
        if member_status(change.old_state) != member_status(change.new_state):
            names.append("QueueMemberStatus")
    extras = [("AcdAgentId", member.agent_id), ("AcdState", member.state)]
    return [_event(name, [*member.blob_fields(queue), *extras]) for queue in member.queues for name in names]


def format_event(event: AcdEvent, lookup: AgentLookup) -> list[AmiMessage]:
    """The AMI events app_queue would send for ``event`` (possibly none).

    ``lookup`` gives the agent's current snapshot, for the member fields an
    ``AgentStateChanged`` does not carry (login time, last call…).
    """
    match event:
        case CallJoined():
            return [
                _event(
                    "QueueCallerJoin",
                    [
                        *caller_fields(event.caller, is_callback=event.is_callback),
                        ("Queue", event.queue),
                        ("Position", event.position),
                        ("Count", event.count),
                        ("AcdCallId", event.caller.call_id),
                        ("AcdCallback", int(event.is_callback)),
                    ],
                )
            ]
        case CallLeft():
            return [
                _event(
                    "QueueCallerLeave",
                    [
                        *caller_fields(event.caller),
                        ("Queue", event.queue),
                        ("Position", event.position),
                        ("Count", event.count),
                        ("AcdCallId", event.caller.call_id),
                        ("AcdReason", event.reason),
                    ],
                )
            ]
        case CallAbandoned():
            return [
                _event(
                    "QueueCallerAbandon",
                    [
                        *caller_fields(event.caller),
                        ("Queue", event.queue),
                        ("Position", event.position),
                        ("OriginalPosition", event.original_position),
                        ("HoldTime", _seconds(event.hold_time)),
                        ("AcdCallId", event.caller.call_id),
                    ],
                )
            ]
        case AgentCalled():
            return [
                _event(
                    "AgentCalled",
                    [
                        *caller_fields(event.caller, is_callback=event.is_callback),
                        *agent_leg_fields(event.agent, event.caller, up=False),
                        *_member(event.queue, event.agent),
                        ("AcdCallId", event.caller.call_id),
                        ("AcdAgentId", event.agent.agent_id),
                    ],
                )
            ]
        case AgentRingNoAnswer():
            return [
                _event(
                    "AgentRingNoAnswer",
                    [
                        *caller_fields(event.caller),
                        *agent_leg_fields(event.agent, event.caller, up=False),
                        *_member(event.queue, event.agent),
                        ("RingTime", _seconds(event.ring_time)),
                        ("AcdCallId", event.caller.call_id),
                        ("AcdAgentId", event.agent.agent_id),
                        ("AcdOutcome", event.outcome),
                    ],
                )
            ]
        case AgentConnected():
            return [
                _event(
                    "AgentConnect",
                    [
                        *caller_fields(event.caller),
                        *agent_leg_fields(event.agent, event.caller, up=True),
                        *_member(event.queue, event.agent),
                        ("HoldTime", _seconds(event.hold_time)),
                        ("RingTime", _seconds(event.ring_time)),
                        ("AcdCallId", event.caller.call_id),
                        ("AcdAgentId", event.agent.agent_id),
                    ],
                )
            ]
        case AgentCompleted():
            return [
                _event(
                    "AgentComplete",
                    [
                        *caller_fields(event.caller),
                        *agent_leg_fields(event.agent, event.caller, up=True),
                        *_member(event.queue, event.agent),
                        ("HoldTime", _seconds(event.hold_time)),
                        ("TalkTime", _seconds(event.talk_time)),
                        ("Reason", event.reason),
                        ("AcdCallId", event.caller.call_id),
                        ("AcdAgentId", event.agent.agent_id),
                    ],
                )
            ]
        case AgentStateChanged():
            return _member_events(event, lookup)
        case _:
            return []
