"""Our agents as app_queue members: the state → device-state mapping and the member fields.

app_queue describes a member by its device state (``ast_device_state``), a pause flag and
whether it is in a call. Supervisors' tools compute "available" from ``Status`` and
``Paused``, so the mapping favours that reading over a literal device state:

=============  ======  =================  ======  ======  ==========================================
our state      Status  device state       Paused  InCall  why
=============  ======  =================  ======  ======  ==========================================
ready          1       NOT_INUSE          0       0       free to take a call
paused         1       NOT_INUSE          1       0       app_queue keeps device state and pause apart
reserved       6       RINGING            0       0       chosen for a call, phone about to ring
ringing        6       RINGING            0       0
on_call        2       INUSE              0       1
wrap_up        2       INUSE              0       0       busy with after-call work: not available
logged_out     5       UNAVAILABLE        0       0       only in QueueMemberRemoved; never listed
(other)        0       UNKNOWN            0       0       a state this table does not know yet
=============  ======  =================  ======  ======  ==========================================

(app_queue shows a member in wrap-up as NOT_INUSE plus a wrap-up timer; tools that only read
``Status`` would then count it available, hence INUSE here. ``AcdState`` says exactly.)

Members are ``Membership: dynamic`` (agents log in and out), ``Penalty: 0`` (our routing uses
skill levels, not penalties), ``Ringinuse: 0`` (we never ring an agent who is on a call).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from acd.events import AgentStateChanged
from acd.snapshot import AgentSnapshot

# ast_device_state values (include/asterisk/devicestate.h)
DEVICE_UNKNOWN = 0
DEVICE_NOT_INUSE = 1
DEVICE_INUSE = 2
DEVICE_UNAVAILABLE = 5
DEVICE_RINGING = 6

LOGGED_OUT = "logged_out"
PAUSED = "paused"

MEMBER_STATUS: dict[str, int] = {
    "ready": DEVICE_NOT_INUSE,
    PAUSED: DEVICE_NOT_INUSE,
    "reserved": DEVICE_RINGING,
    "ringing": DEVICE_RINGING,
    "on_call": DEVICE_INUSE,
    "wrap_up": DEVICE_INUSE,
    LOGGED_OUT: DEVICE_UNAVAILABLE,
}

Pairs = list[tuple[str, object]]


def member_status(state: str) -> int:
    """app_queue's ``Status`` for one of our agent states."""
    return MEMBER_STATUS.get(state, DEVICE_UNKNOWN)


def _epoch(value: float) -> int:
    return int(value) if value > 0 else 0


@dataclass(frozen=True)
class MemberView:
    """What app_queue shows of one member, whatever it was built from."""

    agent_id: str
    name: str
    device: str
    state: str
    state_since: float
    queues: tuple[str, ...]
    pause_reason: str = ""
    calls_today: int = 0
    last_call: float = 0.0
    last_pause: float = 0.0
    login_time: float = 0.0

    @classmethod
    def from_snapshot(cls, agent: AgentSnapshot) -> MemberView:
        """The member as the engine's read model has it."""
        return cls(
            agent_id=agent.agent_id,
            name=agent.name,
            device=agent.device,
            state=agent.state,
            state_since=agent.state_since,
            queues=agent.queues,
            pause_reason=agent.pause_reason,
            calls_today=agent.calls_today,
            last_call=agent.last_call_end,
            last_pause=agent.last_pause,
            login_time=agent.login_time,
        )

    @classmethod
    def from_change(cls, change: AgentStateChanged, known: AgentSnapshot | None) -> MemberView:
        """The member right after ``change``; ``known`` fills what the event does not carry."""
        base = known or AgentSnapshot(
            agent_id=change.agent.agent_id,
            name=change.agent.name,
            device=change.agent.device,
            state=change.new_state,
            state_since=change.at,
        )
        login_time = change.at if change.old_state == LOGGED_OUT else base.login_time
        last_pause = change.at if change.new_state == PAUSED else base.last_pause
        return cls(
            agent_id=change.agent.agent_id,
            name=change.agent.name,
            device=change.agent.device,
            state=change.new_state,
            state_since=change.at,
            queues=change.queues or base.queues,
            pause_reason=change.reason if change.new_state == PAUSED else "",
            calls_today=change.calls_today,
            last_call=base.last_call_end,
            last_pause=last_pause,
            login_time=login_time,
        )

    @property
    def status(self) -> int:
        """app_queue's device-state code."""
        return member_status(self.state)

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self.state == PAUSED

    @property
    def in_call(self) -> bool:
        """True while talking to a caller."""
        return self.state == "on_call"

    def matches(self, member_filter: str) -> bool:
        """app_queue's ``Member:`` filter (interface or name), and our agent id too."""
        return member_filter in (self.device, self.name, self.agent_id)

    def _common(self) -> Pairs:
        return [
            ("StateInterface", self.device),
            ("Membership", "dynamic"),
            ("Penalty", 0),
            ("CallsTaken", self.calls_today),
            ("LastCall", _epoch(self.last_call)),
            ("LastPause", _epoch(self.last_pause)),
            ("LoginTime", _epoch(self.login_time)),
            ("InCall", int(self.in_call)),
            ("Status", self.status),
            ("Paused", int(self.paused)),
            ("PausedReason", self.pause_reason if self.paused else ""),
        ]

    def list_fields(self, queue: str) -> Pairs:
        """The fields of a ``QueueMember`` list item, in app_queue's order."""
        return [
            ("Queue", queue),
            ("Name", self.name),
            ("Location", self.device),
            *self._common(),
            ("Wrapuptime", 0),
        ]

    def blob_fields(self, queue: str) -> Pairs:
        """The fields of QueueMemberStatus/Pause/Added/Removed events, in app_queue's order."""
        return [
            ("Queue", queue),
            ("MemberName", self.name),
            ("Interface", self.device),
            *self._common(),
            ("Ringinuse", 0),
            ("Wrapuptime", 0),
        ]

    def acd_fields(self, now: float) -> Pairs:
        """Our extra fields, appended after app_queue's."""
        return [
            ("AcdAgentId", self.agent_id),
            ("AcdState", self.state),
            ("AcdStateSince", _epoch(self.state_since)),
            ("AcdStateSeconds", max(0, int(now - self.state_since))),
            ("AcdCallsToday", self.calls_today),
        ]


def members_of(queue: str, agents: Sequence[AgentSnapshot]) -> list[MemberView]:
    """The logged-in agents serving ``queue``, in roster order."""
    return [
        MemberView.from_snapshot(agent)
        for agent in agents
        if agent.state != LOGGED_OUT and queue in agent.queues
    ]
