"""Asterisk-compatible ``queue_log`` lines (pure formatting).

Existing queue reporting tools read app_queue's ``queue_log`` file: one line per event,
``time|callid|queue|agent|event|data1|data2|…``, ``NONE`` where a field does not apply.
The data fields follow app_queue.c's ``ast_queue_log()`` calls field for field:

=================  =================================================
ENTERQUEUE         url|callerid|position
CONNECT            holdtime|bridged uniqueid|ringtime
ABANDON            position|original position|waittime
EXITWITHTIMEOUT    position|original position|waittime
EXITWITHKEY        key|position|original position|waittime
EXITEMPTY          position|original position|waittime
COMPLETECALLER     holdtime|calltime|original position
COMPLETEAGENT      holdtime|calltime|original position
RINGNOANSWER       ring time in milliseconds
AGENTLOGIN         channel
AGENTLOGOFF        channel|logged-in seconds
PAUSE / UNPAUSE    reason
=================  =================================================

The agent field is the member name, as app_queue writes it (our agents' names). Times
are whole seconds, as app_queue prints them.
"""

from __future__ import annotations

NONE = "NONE"


def line(
    at: float, callid: str | None, queue: str | None, agent: str | None, event: str, *data: object
) -> str:
    """One line, without the newline. ``|`` and line breaks inside values are replaced."""
    fields = [str(int(at)), callid or NONE, queue or NONE, agent or NONE, event, *(_text(d) for d in data)]
    return "|".join(_clean(f) for f in fields)


def _text(value: object) -> str:
    if isinstance(value, float):
        return str(round(value))
    return "" if value is None else str(value)


def _clean(value: str) -> str:
    # A '|' or newline inside a caller name would shift every later field of the line.
    return value.replace("|", "/").replace("\n", " ").replace("\r", " ")


def queue_start(at: float) -> str:
    """Written when the daemon starts, as Asterisk does."""
    return line(at, None, None, None, "QUEUESTART", "")


def enter_queue(at: float, callid: str, queue: str, callerid: str, position: int) -> str:
    """The caller joined ``queue`` at ``position``."""
    return line(at, callid, queue, None, "ENTERQUEUE", "", callerid, position)


def connect(
    at: float, callid: str, queue: str, agent: str, holdtime: float, bridged: str, ringtime: float
) -> str:
    """The caller was connected to ``agent`` after ``holdtime`` s waiting and ``ringtime`` s ringing."""
    return line(at, callid, queue, agent, "CONNECT", holdtime, bridged, ringtime)


def abandon(at: float, callid: str, queue: str, position: int, original: int, waittime: float) -> str:
    """The caller hung up while waiting."""
    return line(at, callid, queue, None, "ABANDON", position, original, waittime)


def exit_with_timeout(
    at: float, callid: str, queue: str, position: int, original: int, waittime: float
) -> str:
    """The caller left at the queue's max wait."""
    return line(at, callid, queue, None, "EXITWITHTIMEOUT", position, original, waittime)


def exit_with_key(
    at: float, callid: str, queue: str, key: str, position: int, original: int, waittime: float
) -> str:
    """The caller left with a key (the exit key, or the callback key)."""
    return line(at, callid, queue, None, "EXITWITHKEY", key, position, original, waittime)


def exit_empty(at: float, callid: str, queue: str, position: int, original: int, waittime: float) -> str:
    """The caller left because no agent was logged in."""
    return line(at, callid, queue, None, "EXITEMPTY", position, original, waittime)


def complete(
    at: float,
    callid: str,
    queue: str,
    agent: str,
    by_caller: bool,
    holdtime: float,
    calltime: float,
    original: int,
) -> str:
    """The conversation ended; ``by_caller`` tells who hung up first."""
    event = "COMPLETECALLER" if by_caller else "COMPLETEAGENT"
    return line(at, callid, queue, agent, event, holdtime, calltime, original)


def ring_no_answer(at: float, callid: str, queue: str, agent: str, ring_ms: int) -> str:
    """``agent`` was rung for ``ring_ms`` and did not answer."""
    return line(at, callid, queue, agent, "RINGNOANSWER", ring_ms)


def agent_login(at: float, agent: str, channel: str) -> str:
    """The agent logged in from ``channel`` (their device)."""
    return line(at, None, None, agent, "AGENTLOGIN", channel)


def agent_logoff(at: float, agent: str, channel: str, logged_in: float) -> str:
    """The agent logged off after ``logged_in`` seconds."""
    return line(at, None, None, agent, "AGENTLOGOFF", channel, logged_in)


def pause(at: float, queue: str, agent: str, reason: str) -> str:
    """The agent paused (one line per queue they serve, as app_queue does)."""
    return line(at, None, queue, agent, "PAUSE", reason)


def unpause(at: float, queue: str, agent: str, reason: str = "") -> str:
    """The agent is available again."""
    return line(at, None, queue, agent, "UNPAUSE", reason)
