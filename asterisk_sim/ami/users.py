"""Manager users (``manager.conf``) and the login checks: plain secret or MD5 challenge."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

ALL_CLASSES = frozenset(
    {
        "system",
        "call",
        "log",
        "verbose",
        "command",
        "agent",
        "user",
        "config",
        "dtmf",
        "reporting",
        "cdr",
        "dialplan",
        "originate",
        "agi",
        "cc",
        "aoc",
        "test",
        "security",
        "message",
    }
)


@dataclass(frozen=True)
class AmiUser:
    """One ``[user]`` section: its secret and the event classes it may read."""

    secret: str
    read: frozenset[str] = ALL_CLASSES


def check_secret(user: AmiUser, secret: str) -> bool:
    """Plain ``Secret:`` login."""
    return hmac.compare_digest(user.secret.encode(), secret.encode())


def check_key(user: AmiUser, challenge: str, key: str) -> bool:
    """``AuthType: md5`` login: ``Key`` is md5(challenge + secret) in hex."""
    # MD5 is what the AMI protocol specifies here; it is not used for anything else.
    expected = hashlib.md5((challenge + user.secret).encode(), usedforsecurity=False).hexdigest()
    return hmac.compare_digest(expected, key.strip().lower())


def parse_classes(text: str, allowed: frozenset[str]) -> frozenset[str]:
    """An ``Events:``/``EventMask:`` value: on/off/yes/no or a class list, within ``allowed``."""
    value = text.strip().lower()
    if value in ("on", "yes", "true", "1", "all"):
        return allowed
    if value in ("off", "no", "false", "0", ""):
        return frozenset()
    return frozenset(part.strip() for part in value.split(",") if part.strip()) & allowed
