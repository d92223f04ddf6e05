"""Checking AMI credentials: plain ``Secret`` or the md5 challenge/response (pure, no I/O).

Asterisk's scheme (manager.c): ``Action: Challenge`` with ``AuthType: md5`` returns a random
``Challenge``; the client then logs in with ``AuthType: md5`` and
``Key: md5(challenge + secret)`` in lower-case hex. Usernames are matched
case-insensitively, as Asterisk does. Comparisons are constant-time and an unknown user
costs the same work as a wrong secret, so timing tells nothing about which usernames exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from ivr_acd.supervisor.config import AmiUser

# Compared against when the username is unknown, so both paths do the same work.
_DUMMY = AmiUser("-", secrets.token_hex(16))


def md5_key(challenge: str, secret: str) -> str:
    """The ``Key`` an md5 login carries for ``challenge`` and ``secret``."""
    # The protocol fixes MD5; this is Asterisk's scheme, not our choice of hash.
    return hashlib.md5((challenge + secret).encode()).hexdigest()  # noqa: S324


def new_challenge() -> str:
    """A fresh challenge: decimal digits, like Asterisk's ``ast_random()``."""
    return str(secrets.randbelow(2**31 - 1) + 1)


def _same(given: str, expected: str) -> bool:
    # compare_digest on str rejects non-ASCII with TypeError; a hostile peer controls `given`.
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


class Authenticator:
    """The listener's user table."""

    def __init__(self, users: Iterable[AmiUser]) -> None:
        self._users = {user.username.lower(): user for user in users}

    def check_plain(self, username: str, secret: str) -> AmiUser | None:
        """The user when ``secret`` is theirs, else None."""
        user = self._users.get(username.lower())
        ok = _same(secret, (user or _DUMMY).secret)
        return user if ok and user is not None else None

    def check_md5(self, username: str, challenge: str | None, key: str) -> AmiUser | None:
        """The user when ``key`` answers ``challenge`` with their secret, else None."""
        user = self._users.get(username.lower())
        expected = md5_key(challenge or "", (user or _DUMMY).secret)
        ok = _same(key.lower(), expected)
        return user if ok and user is not None and challenge else None
