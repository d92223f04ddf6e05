"""The listener's actions as data: who may run each one, and what ``ListCommands`` says.

Rules:

1. Before login only ``Login``, ``Challenge``, ``Ping`` and ``Logoff`` run; anything else,
   known or not, is answered ``Permission denied`` (Asterisk checks the login first too).
2. After login an unknown action gets Asterisk's ``Invalid/unknown command`` message.
3. An action needing ``control`` from a ``read`` user is answered ``Permission denied``.
4. Names are case-insensitive, as in manager.c.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr_acd.supervisor.config import Permission


@dataclass(frozen=True)
class ActionSpec:
    """One action: its canonical name, Asterisk's synopsis, and what it needs."""

    name: str
    synopsis: str
    needs: Permission | None
    """None: allowed before login."""
    privilege: str = "<none>"
    """What ``ListCommands`` prints after ``Priv:`` (app_queue's control actions say agent)."""


_SPECS = (
    ActionSpec("Login", "Login Manager.", None),
    ActionSpec("Challenge", "Generate Challenge for MD5 Auth.", None),
    ActionSpec("Ping", "Keepalive command.", None),
    ActionSpec("Logoff", "Logoff Manager.", None),
    ActionSpec("Events", "Control Event Flow.", Permission.READ),
    ActionSpec("ListCommands", "List available manager commands.", Permission.READ),
    ActionSpec("QueueSummary", "Show queue summary.", Permission.READ),
    ActionSpec("QueueStatus", "Show queue status.", Permission.READ),
    ActionSpec("QueueAdd", "Add interface to queue.", Permission.CONTROL, "agent"),
    ActionSpec("QueueRemove", "Remove interface from queue.", Permission.CONTROL, "agent"),
    ActionSpec("QueuePause", "Makes a queue member temporarily unavailable.", Permission.CONTROL, "agent"),
    ActionSpec("AcdCallback", "Request a callback from the ACD.", Permission.CONTROL, "agent"),
)

ACTIONS: dict[str, ActionSpec] = {spec.name.lower(): spec for spec in _SPECS}
"""Every action, by lower-cased name."""


def lookup(name: str) -> ActionSpec | None:
    """The action called ``name`` (any case), if we have one."""
    return ACTIONS.get(name.strip().lower())


def allowed(spec: ActionSpec, permission: Permission | None) -> bool:
    """Whether a session with ``permission`` (None: not logged in) may run ``spec``."""
    if spec.needs is None:
        return True
    return permission is not None and permission.allows(spec.needs)


def listing(permission: Permission) -> list[tuple[str, str]]:
    """``ListCommands``'s fields for a user: ``Name: synopsis (Priv: …)``, as manager.c prints them."""
    return [
        (spec.name, f"{spec.synopsis} (Priv: {spec.privilege})")
        for spec in _SPECS
        if allowed(spec, permission)
    ]
