"""Settings of the MQTT bridge, checked once at start-up so a typo fails loudly.

The daemon fills :class:`MqttConfig` from its YAML file. Secrets (the broker password and
the command users' secrets) are kept out of ``repr`` so a logged config cannot leak them;
:meth:`MqttConfig.secrets` hands them to the log redactor as a second line of defence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

Permission = Literal["read", "control"]
"""As on our AMI listener: ``read`` may watch but not command, ``control`` may command."""

PERMISSIONS: tuple[Permission, ...] = ("read", "control")

# A prefix is one or more plain topic levels: no wildcards (it is also a subscription
# filter), no empty levels, and no leading "$" (reserved for the broker's own topics).
_PREFIX = re.compile(r"[^/+#$\x00][^/+#\x00]*(?:/[^/+#\x00]+)*")


MIN_SECRET_LENGTH = 16
"""A secret keys HMACs that anyone reading the command topic can try to brute-force offline."""


class CommandUserLike(Protocol):
    """Any user record with these three fields: the AMI listener's users fit as they are."""

    @property
    def username(self) -> str:
        """Who signs."""
        ...

    @property
    def secret(self) -> str:
        """The HMAC key (never logged)."""
        ...

    @property
    def permission(self) -> str:
        """``read`` or ``control`` (a ``str`` enum is fine)."""
        ...


def check_user(user: CommandUserLike) -> None:
    """Raise ValueError if ``user`` cannot be a command user (the secret is never echoed)."""
    if not user.username or any(c in user.username for c in "\r\n\x00"):
        raise ValueError("mqtt command user: username must be non-empty and on one line")
    if len(user.secret) < MIN_SECRET_LENGTH:
        raise ValueError(
            f"mqtt command user {user.username!r}: secret must have at least {MIN_SECRET_LENGTH} characters"
        )
    if user.permission not in PERMISSIONS:
        raise ValueError(
            f"mqtt command user {user.username!r}: permission must be 'read' or 'control', "
            f"not {str(user.permission)!r}"
        )


@dataclass(frozen=True)
class CommandUser:
    """Someone allowed to send commands on the command topic (see docs/mqtt.md)."""

    username: str
    secret: str = field(repr=False)
    permission: Permission

    def __post_init__(self) -> None:
        check_user(self)


@dataclass(frozen=True)
class MqttConfig:
    """Everything the bridge needs; defaults suit a broker on the same host."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    """Broker login (None: anonymous)."""
    password: str | None = field(default=None, repr=False)
    client_id: str = "ivr-acd"
    prefix: str = "ivr-acd"
    """First topic levels of everything published and subscribed."""
    qos: int = 1
    stats_interval: float = 15.0
    """Queue statistics are re-published at least this often, changed or not."""
    stats_min_interval: float = 1.0
    """…and at most this often (the rate limit of publication on change)."""
    queue_size: int = 10_000
    """Capacity of the outbound queue; beyond it messages are dropped and counted."""
    users: tuple[CommandUserLike, ...] = ()
    """Who may use the command topic (e.g. the AMI listener's users); empty refuses every command."""
    keepalive: int = 30
    reconnect_min: float = 0.5
    """Ceiling of the first reconnect delay; it doubles per failed attempt…"""
    reconnect_max: float = 30.0
    """…up to this. Each delay is drawn uniformly below its ceiling (full jitter)."""
    report_interval: float = 60.0
    """How often a log line reports queue depth, publications and drops."""
    command_max_age: float = 300.0
    """A command's ``ts`` may differ from our clock by this much (replay window)."""
    max_concurrent_commands: int = 32

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(
                f"mqtt prefix {self.prefix!r} must be topic levels without wildcards (+ #), "
                "empty levels or a leading '$'"
            )
        if not 0 < self.port < 65536:
            raise ValueError(f"mqtt port must be between 1 and 65535, not {self.port!r}")
        if self.qos not in (0, 1, 2):
            raise ValueError(f"mqtt qos must be 0, 1 or 2, not {self.qos!r}")
        if not self.client_id:
            raise ValueError("mqtt client_id must not be empty")
        if self.queue_size < 1:
            raise ValueError(f"mqtt queue_size must be at least 1, not {self.queue_size!r}")
        if self.max_concurrent_commands < 1:
            raise ValueError("mqtt max_concurrent_commands must be at least 1")
        if self.keepalive < 1:
            raise ValueError(f"mqtt keepalive must be at least 1 second, not {self.keepalive!r}")
        positive = {
            "stats_interval": self.stats_interval,
            "stats_min_interval": self.stats_min_interval,
            "reconnect_max": self.reconnect_max,
            "report_interval": self.report_interval,
            "command_max_age": self.command_max_age,
        }
        for label, number in positive.items():
            if not number > 0:
                raise ValueError(f"mqtt {label} must be positive, not {number!r}")
        if self.reconnect_min < 0:
            raise ValueError(f"mqtt reconnect_min must not be negative, not {self.reconnect_min!r}")
        if self.stats_min_interval > self.stats_interval:
            raise ValueError("mqtt stats_min_interval must not exceed stats_interval")
        for user in self.users:
            check_user(user)
        names = [user.username for user in self.users]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"mqtt command users defined twice: {', '.join(duplicates)}")

    def secrets(self) -> tuple[str, ...]:
        """Every secret in this config, for :class:`ivr_acd.logs.SecretRedactor`."""
        found = [user.secret for user in self.users]
        if self.password:
            found.append(self.password)
        return tuple(found)
