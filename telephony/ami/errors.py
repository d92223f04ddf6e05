"""What the AMI client raises, and what each error tells the caller to do.

* :class:`AmiAuthenticationError`: the manager refused our credentials. Configuration is
  wrong; retrying would only hammer Asterisk (which also sleeps a second on each failure),
  so the client stops and raises this out of ``run()`` and ``wait_connected()``.
* :class:`AmiLinkError`: there is no usable link. Read :attr:`AmiLinkError.maybe_executed`
  before retrying an action: ``False`` means it never left this process; ``True`` means it
  was written and the link died before the answer, so Asterisk may have run it. The client
  never re-sends on its own: an Originate sent twice rings an agent twice.
* :class:`AmiTimeout`: no answer in time. Like a dropped link, the action may have run.
* :class:`AmiActionError`: the manager answered ``Response: Error``. ``send_action()``
  returns such answers as results (``ok`` is false); :func:`raise_for_error` turns one into
  this exception for callers that want to raise.

Protocol violations by the peer (:class:`~telephony.errors.RemoteProtocolError`) never
reach callers: the client logs them and reconnects.
"""

from __future__ import annotations

from telephony.ami.correlation import ActionResult


class AmiError(Exception):
    """Base class of everything the AMI client raises."""


class AmiAuthenticationError(AmiError):
    """The manager refused the login (wrong user or secret, md5 not allowed, ACL)."""


class AmiLinkError(AmiError):
    """No usable link to the manager: not connected, closed, or dropped mid-action."""

    def __init__(self, message: str, *, maybe_executed: bool = False) -> None:
        super().__init__(message)
        self.maybe_executed = maybe_executed
        """True when the action was written before the link died: Asterisk may have run it."""


class AmiTimeout(AmiError, TimeoutError):  # noqa: N818 - reads as what it is, and is a TimeoutError
    """No answer within the time limit; an action may or may not have been executed."""


class AmiActionError(AmiError):
    """The manager answered an action with ``Response: Error`` (see :func:`raise_for_error`)."""

    def __init__(self, action: str, result: ActionResult) -> None:
        super().__init__(f"action={action} failed: {result.message or 'no message'}")
        self.action = action
        self.result = result


def raise_for_error(result: ActionResult, action: str = "") -> ActionResult:
    """Return ``result`` if the manager accepted the action, else raise :class:`AmiActionError`."""
    if not result.ok:
        raise AmiActionError(action or "?", result)
    return result
