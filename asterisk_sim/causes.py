"""Channel states, hang-up causes and soft-hang-up flags, with Asterisk's numbers and texts."""

from __future__ import annotations

import enum


class State(enum.IntEnum):
    """``ChannelState`` values (channelstate.h)."""

    DOWN = 0
    RSRVD = 1
    OFFHOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7

    @property
    def desc(self) -> str:
        """``ChannelStateDesc`` as Asterisk prints it."""
        return _STATE_DESC[self]


_STATE_DESC = {
    State.DOWN: "Down",
    State.RSRVD: "Rsrvd",
    State.OFFHOOK: "OffHook",
    State.DIALING: "Dialing",
    State.RING: "Ring",
    State.RINGING: "Ringing",
    State.UP: "Up",
    State.BUSY: "Busy",
}


class Cause(enum.IntEnum):
    """Q.850 hang-up causes the simulator produces."""

    UNKNOWN = 0
    UNALLOCATED = 1
    NORMAL_CLEARING = 16
    USER_BUSY = 17
    NO_USER_RESPONSE = 18
    NO_ANSWER = 19
    CALL_REJECTED = 21
    DESTINATION_OUT_OF_ORDER = 27
    NORMAL_UNSPECIFIED = 31
    CONGESTION = 34


_CAUSE_TEXT = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    27: "Destination out of order",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
}


def cause_text(cause: int) -> str:
    """``Cause-txt`` for a cause code."""
    return _CAUSE_TEXT.get(cause, "Unknown")


class SoftHangup(enum.IntFlag):
    """``AST_SOFTHANGUP_*``: the value AMI prints as ``SoftHangupRequest``'s ``Cause``."""

    DEV = 0x01
    ASYNCGOTO = 0x02
    SHUTDOWN = 0x04
    TIMEOUT = 0x08
    APPUNLOAD = 0x10
    EXPLICIT = 0x20


class OriginateReason(enum.IntEnum):
    """``Reason`` of ``OriginateResponse``: the last control frame the dial saw."""

    FAILED = 0
    HANGUP = 1
    RINGING = 3
    ANSWERED = 4
    BUSY = 5
    CONGESTION = 8
