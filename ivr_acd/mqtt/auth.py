"""Who sent a command, and whether it is fresh: HMAC-SHA256 signatures and a replay window.

Why an HMAC rather than the secret itself in the payload: anything published on a broker
is read by every client allowed to subscribe to the topic, by bridges to other brokers and
by whatever logs traffic; a plain secret there is a secret shared with all of them. An HMAC
of the command proves knowledge of the secret without revealing it, and binds it to this
command: altering a field or replaying the body on another command topic breaks it. Reusing
a signed command as is stays possible, hence the ``ts`` freshness window and the memory of
request ids seen within it (:class:`ReplayGuard`).

Secrets are compared only through :func:`hmac.compare_digest` and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Iterable
from typing import Literal

from ivr_acd.mqtt.config import CommandUserLike


def sign(secret: str, kind: str, body: str) -> str:
    """The ``hmac`` of an envelope: hex HMAC-SHA256 of ``"<kind>\\n<body>"`` keyed with ``secret``."""
    message = f"{kind}\n{body}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Authenticator:
    """Finds the configured user who signed a command."""

    def __init__(self, users: Iterable[CommandUserLike]) -> None:
        self._users = {user.username: user for user in users}
        # Unknown users are checked against a key nobody has, so that the time taken does
        # not tell which usernames exist.
        self._decoy = hashlib.sha256(b"ivr-acd unknown user").hexdigest()

    def verify(self, username: str, kind: str, body: str, mac: str) -> CommandUserLike | None:
        """The user if ``mac`` is their signature of ``kind`` and ``body``, else None."""
        user = self._users.get(username)
        expected = sign(user.secret if user is not None else self._decoy, kind, body)
        matches = hmac.compare_digest(expected.encode(), mac.encode())
        return user if matches and user is not None else None


Freshness = Literal["ok", "stale", "replayed"]


class ReplayGuard:
    """Accepts each ``(user, request_id)`` once, and only with a timestamp near ours.

    A command dated ``ts`` is accepted while ``|now - ts| <= max_age``; its id is remembered
    for ``2 * max_age`` from first sight, which outlives that window whichever side of our
    clock ``ts`` was. Memory is bounded by ``capacity`` (oldest forgotten first).
    """

    def __init__(self, max_age: float, capacity: int = 100_000) -> None:
        self._max_age = max_age
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def check(self, user: str, request_id: str, sent_at: float, now: float) -> Freshness:
        """Whether to accept this command now; remembers it when accepted."""
        while self._seen:
            key, expires = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[key]
        if abs(now - sent_at) > self._max_age:
            return "stale"
        key = (user, request_id)
        if key in self._seen:
            return "replayed"
        self._seen[key] = now + 2 * self._max_age
        if len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
        return "ok"
