"""Asterisk's event classes and the ``Events:`` / ``EventMask:`` values that select them.

A session receives an event when its mask has every class in the event's ``Privilege``
(ignoring ``all``). The mask is parsed as manager.c's ``strings_to_mask()`` does:

* all digits: the number itself as a bit mask (``32`` is ``agent``);
* ``off``/``no``/``false``/… : nothing; ``on``/``yes``/``true``/…: everything;
* otherwise a comma list of class names (``agent,call``); unknown names are ignored;
* empty: invalid (``None``), which the ``Events`` action answers with an error.
"""

from __future__ import annotations

# Bit values from Asterisk's include/asterisk/manager.h, so numeric masks mean the same here.
EVENT_CLASSES: dict[str, int] = {
    "system": 1 << 0,
    "call": 1 << 1,
    "log": 1 << 2,
    "verbose": 1 << 3,
    "command": 1 << 4,
    "agent": 1 << 5,
    "user": 1 << 6,
    "config": 1 << 7,
    "dtmf": 1 << 8,
    "reporting": 1 << 9,
    "cdr": 1 << 10,
    "dialplan": 1 << 11,
    "originate": 1 << 12,
    "agi": 1 << 13,
    "cc": 1 << 15,
    "aoc": 1 << 16,
    "test": 1 << 17,
    "security": 1 << 18,
    "message": 1 << 19,
}
ALL_EVENTS = sum(EVENT_CLASSES.values())
NO_EVENTS = 0

_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})
_FALSE = frozenset({"no", "false", "n", "f", "0", "off"})


def parse_event_mask(text: str) -> int | None:
    """The mask ``text`` selects, or None when it is empty (invalid)."""
    text = text.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        # A mask has 20 bits; a longer number is a hostile peer's, not a mask.
        return int(text) & ALL_EVENTS if len(text) <= 18 else None
    lowered = text.lower()
    if lowered in _FALSE:
        return NO_EVENTS
    if lowered in _TRUE:
        return ALL_EVENTS
    mask = 0
    for name in lowered.split(","):
        name = name.strip()
        mask |= ALL_EVENTS if name == "all" else EVENT_CLASSES.get(name, 0)
    return mask


def privilege_mask(privilege: str) -> int:
    """The classes of an event's ``Privilege`` value (``agent,all`` → the agent bit)."""
    mask = 0
    for name in privilege.lower().split(","):
        mask |= EVENT_CLASSES.get(name.strip(), 0)
    return mask


def wants(session_mask: int, privilege: str) -> bool:
    """True when a session with ``session_mask`` receives an event of ``privilege``."""
    needed = privilege_mask(privilege)
    return needed != 0 and session_mask & needed == needed
