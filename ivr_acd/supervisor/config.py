"""Who may use the supervisor AMI listener, and the limits it enforces.

The daemon builds a :class:`ListenerConfig` from its settings file. Secrets live only in
:class:`AmiUser` and are kept out of ``repr()`` so a logged config object cannot leak them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Permission(enum.StrEnum):
    """What an AMI user may do on our listener."""

    READ = "read"
    """Queue statistics and events: supervisors' wallboards and the stats CLI."""
    CONTROL = "control"
    """Also agent log in/out and pause (QueueAdd/QueueRemove/QueuePause) and callback requests."""

    def allows(self, needed: Permission) -> bool:
        """True when this permission covers ``needed`` (control includes read)."""
        return self is Permission.CONTROL or needed is Permission.READ


@dataclass(frozen=True)
class AmiUser:
    """One account of the listener; ``permission`` accepts ``"read"`` or ``"control"`` too."""

    username: str
    secret: str = field(repr=False)
    permission: Permission = Permission.READ

    def __post_init__(self) -> None:
        if not self.username or any(c in self.username for c in "\r\n:"):
            raise ValueError("AMI username must be non-empty, on one line, without ':'")
        if not self.secret or any(c in self.secret for c in "\r\n"):
            # The value is not echoed: it is the secret.
            raise ValueError(f"AMI user {self.username}: secret must be non-empty and on one line")
        # Config files give strings; Permission() raises ValueError on anything else.
        object.__setattr__(self, "permission", Permission(self.permission))


DEFAULT_PORT = 5039
"""One above Asterisk's 5038, so both can run on one host."""


@dataclass(frozen=True)
class ListenerConfig:
    """Where the listener binds, its users, and what one connection may cost us."""

    users: tuple[AmiUser, ...]
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    banner_version: str = "11.0.0"
    """What follows ``Asterisk Call Manager/`` in the greeting; tools check it."""
    max_connections: int = 64
    max_auth_failures: int = 3
    """Failed logins on one connection before it is closed (Asterisk itself closes after one)."""
    auth_failure_delay: float = 1.0
    """Seconds before answering a failed login, as Asterisk does: slows down guessing."""
    login_timeout: float = 30.0
    """A connection that has not logged in by then is closed."""
    send_queue_bytes: int = 1024 * 1024
    """Bytes queued for one client beyond which events overflow and the client is dropped."""
    event_backlog: int = 10_000
    """Engine events waiting to be formatted before the oldest are dropped (never in practice)."""
    command_timeout: float = 10.0
    """How long a control action waits for the engine's answer."""

    def __post_init__(self) -> None:
        names = [u.username.lower() for u in self.users]
        if len(names) != len(set(names)):
            # Asterisk looks users up case-insensitively, so do we: duplicates are ambiguous.
            raise ValueError("AMI listener users must have distinct usernames (case-insensitive)")
        for label, value in (
            ("max_connections", self.max_connections),
            ("max_auth_failures", self.max_auth_failures),
            ("send_queue_bytes", self.send_queue_bytes),
            ("event_backlog", self.event_backlog),
        ):
            if value < 1:
                raise ValueError(f"{label} must be at least 1, not {value!r}")
        for label, seconds in (
            ("login_timeout", self.login_timeout),
            ("command_timeout", self.command_timeout),
        ):
            if not seconds > 0:
                raise ValueError(f"{label} must be positive, not {seconds!r}")
        if self.auth_failure_delay < 0:
            raise ValueError(f"auth_failure_delay must not be negative, not {self.auth_failure_delay!r}")
        if "\r" in self.banner_version or "\n" in self.banner_version:
            raise ValueError("banner_version must be on one line")
