"""Responses as Asterisk's manager.c writes them, and one-line field values.

``Response: <status>``, then ``ActionID`` only when the action had one, then ``Message``
and any further fields (``astman_send_response_full``). List actions answer
``EventList: start`` before the message and end with a ``…Complete`` event carrying
``ActionID``, ``EventList: Complete`` and ``ListItems`` (``astman_send_list_complete``).
"""

from __future__ import annotations

from collections.abc import Iterable

from telephony.ami.message import AmiMessage

Pairs = Iterable[tuple[str, object]]

UNKNOWN_ACTION = "Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
"""Asterisk 22's answer to an action it does not know (misc.txt)."""
MISSING_ACTION = "Missing action in request"
PERMISSION_DENIED = "Permission denied"
AUTH_FAILED = "Authentication failed"
AUTH_ACCEPTED = "Authentication accepted"
GOODBYE = "Thanks for all the fish."


def one_line(value: object) -> str:
    """``value`` as a field value: line breaks would forge fields, so they become spaces."""
    text = value if isinstance(value, str) else str(value)
    if "\r" in text or "\n" in text:
        text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return text


def action_id_pair(request: AmiMessage) -> list[tuple[str, object]]:
    """``[("ActionID", id)]`` when the request had a non-empty one, else nothing."""
    action_id = request.action_id
    return [("ActionID", action_id)] if action_id else []


def _response(status: str, request: AmiMessage, pairs: Pairs) -> AmiMessage:
    fields = [("Response", status), *action_id_pair(request), *pairs]
    return AmiMessage(tuple((key, one_line(value)) for key, value in fields if value is not None))


def success(request: AmiMessage, message: str | None = None, pairs: Pairs = ()) -> AmiMessage:
    """``Response: Success`` with an optional ``Message`` then ``pairs``."""
    return _response("Success", request, [("Message", message), *pairs])


def error(request: AmiMessage, message: str) -> AmiMessage:
    """``Response: Error`` with ``Message``."""
    return _response("Error", request, [("Message", message)])


def goodbye(request: AmiMessage) -> AmiMessage:
    """The answer to ``Logoff``."""
    return _response("Goodbye", request, [("Message", GOODBYE)])


def list_start(request: AmiMessage, message: str) -> AmiMessage:
    """The response opening an event list."""
    return _response("Success", request, [("EventList", "start"), ("Message", message)])


def list_complete(request: AmiMessage, event_name: str, items: int) -> AmiMessage:
    """The event closing an event list."""
    fields = [
        ("Event", event_name),
        *action_id_pair(request),
        ("EventList", "Complete"),
        ("ListItems", items),
    ]
    return AmiMessage(tuple((key, one_line(value)) for key, value in fields))
