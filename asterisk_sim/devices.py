"""Simulated phones: how an agent's device or a customer's phone answers a call.

Devices are registered by exact name (``PJSIP/1001``) or by pattern, with dialplan pattern
letters in the part after the technology (``PJSIP/10XX``, ``PJSIP/_555XXXX@trunk``; a
leading ``_`` is optional when the rest is digits and pattern letters). Exact names win,
then the most specific pattern. Behaviours:

* ``answer``: rings, answers after ``answer_after`` seconds, hangs up ``talk`` seconds
  after answering (None: never, the other side ends the call);
* ``noanswer``: rings until the caller gives up (Originate ``Reason: 3``, cause 19);
* ``busy`` (``Reason: 5``, cause 17) and ``congestion`` (``Reason: 8``, cause 34);
* ``unreachable``: no channel can be created (``Reason: 0``), like an unknown device.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from asterisk_sim.dialplan.patterns import Pattern, compile_pattern, sort_key


class Mode(enum.Enum):
    """What a device does when called."""

    ANSWER = "answer"
    NOANSWER = "noanswer"
    BUSY = "busy"
    CONGESTION = "congestion"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class DeviceBehaviour:
    """How one device (or a pattern of devices) behaves."""

    mode: Mode = Mode.ANSWER
    answer_after: float = 1.0
    talk: float | None = None
    context: str = "default"
    """The channel's context before it runs anything (what ``Newchannel`` shows)."""

    @classmethod
    def answering(cls, after: float = 1.0, talk: float | None = None) -> DeviceBehaviour:
        """A phone that answers after ``after`` seconds and hangs up after ``talk``."""
        return cls(Mode.ANSWER, after, talk)


_PATTERN_ONLY = re.compile(r"[0-9XNZxnz.!\[\]\-*#]+")


class DeviceRegistry:
    """Behaviours by device name or pattern."""

    def __init__(self) -> None:
        self._exact: dict[str, DeviceBehaviour] = {}
        self._patterns: list[tuple[str, Pattern, str, DeviceBehaviour]] = []

    def add(self, name: str, behaviour: DeviceBehaviour) -> None:
        """Register a device (``PJSIP/1001``) or a pattern (``PJSIP/10XX``)."""
        tech, sep, resource = name.partition("/")
        if not sep:
            raise ValueError(f"device names look like TECH/resource, got {name!r}")
        number, at, rest = resource.partition("@")
        explicit = number.startswith("_")
        if explicit or (_PATTERN_ONLY.fullmatch(number) and any(c in number.upper() for c in "XNZ.![")):
            pattern = compile_pattern(number if explicit else f"_{number}")
            self._patterns.append((tech.lower(), pattern, f"{at}{rest}", behaviour))
            self._patterns.sort(key=lambda item: sort_key(item[1]))
        else:
            self._exact[name.lower()] = behaviour

    def find(self, dialstring: str) -> DeviceBehaviour | None:
        """The behaviour for a dialled ``TECH/resource``, or None for an unknown device."""
        found = self._exact.get(dialstring.lower())
        if found is not None:
            return found
        tech, _, resource = dialstring.partition("/")
        number, at, rest = resource.partition("@")
        for ptech, pattern, suffix, behaviour in self._patterns:
            if ptech == tech.lower() and suffix == f"{at}{rest}" and pattern.matches(number):
                return behaviour
        return None
