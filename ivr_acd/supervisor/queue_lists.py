"""``QueueSummary`` and ``QueueStatus`` answered from a snapshot, framed as app_queue does.

Field names, order and list framing follow Asterisk 22 (misc.txt): the response with
``EventList: start``, one event per item each carrying the ActionID after app_queue's
fields, then ``QueueSummaryComplete`` / ``QueueStatusComplete`` with ``ListItems``. Our own
figures follow, prefixed ``Acd``, *after* the ActionID, so everything up to it is what
app_queue would have written (tools ignore fields they do not know).

How our read model fills app_queue's fields:

* ``Calls``/``Callers``: callers waiting now; ``Holdtime``/``HoldTime``: ASA today;
  ``TalkTime``: mean talk time today; ``Completed``: answered today; ``Abandoned``: today.
* ``ServicelevelPerf`` is app_queue's formula (answered within the threshold over
  *answered*), ``ServicelevelPerf2`` adds abandons within the threshold to both sides. Our
  service level over *offered* calls is ``AcdServiceLevel``.
* ``LoggedIn``/``Available``: agents staffed / ready for this queue.
"""

from __future__ import annotations

from acd.snapshot import CenterSnapshot, QueueSnapshot, WaitingSnapshot
from ivr_acd.supervisor.members import MemberView, members_of
from ivr_acd.supervisor.replies import action_id_pair, list_complete, list_start, one_line
from telephony.ami.message import AmiMessage

Pairs = list[tuple[str, object]]

SUMMARY_FOLLOWS = "Queue summary will follow"
STATUS_FOLLOWS = "Queue status will follow"


def _whole(seconds: float) -> int:
    return max(0, int(seconds))


def _rounded(seconds: float) -> int:
    return max(0, round(seconds))


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _perf(numerator: int, denominator: int) -> str:
    # app_queue prints these with "%2.1f", 0.0 before the first call.
    return f"{100.0 * numerator / denominator if denominator else 0.0:.1f}"


def _item(name: str, pairs: Pairs, request: AmiMessage, extras: Pairs) -> AmiMessage:
    fields = [("Event", name), *pairs, *action_id_pair(request), *extras]
    return AmiMessage(tuple((key, one_line(value)) for key, value in fields))


def queue_extras(queue: QueueSnapshot) -> Pairs:
    """Our per-queue figures, as ``Acd…`` fields."""
    return [
        ("AcdLongestWait", _whole(queue.longest_wait)),
        ("AcdEstimatedWait", "" if queue.estimated_wait is None else _rounded(queue.estimated_wait)),
        ("AcdCallbacksPending", queue.callbacks_pending),
        ("AcdOffered", queue.offered),
        ("AcdAnswered", queue.answered),
        ("AcdAbandoned", queue.abandoned),
        ("AcdStaffed", queue.staffed),
        ("AcdReady", queue.ready),
        ("AcdOnCall", queue.on_call),
        ("AcdPaused", queue.paused),
        ("AcdWrapUp", queue.wrap_up),
        ("AcdRinging", queue.ringing),
        ("AcdServiceLevel", _percent(queue.service_level)),
        ("AcdAbandonRate", _percent(queue.abandon_rate)),
        ("AcdAsa", f"{queue.average_hold:.1f}" if queue.answered else ""),
    ]


def _selected(snapshot: CenterSnapshot, queue_filter: str | None) -> list[QueueSnapshot]:
    if not queue_filter:
        return list(snapshot.queues)
    wanted = queue_filter.lower()  # app_queue compares queue names with strcasecmp
    return [q for q in snapshot.queues if q.name.lower() == wanted]


def queue_summary(
    request: AmiMessage, snapshot: CenterSnapshot, queue_filter: str | None
) -> list[AmiMessage]:
    """The whole answer to ``QueueSummary``: response, one item per queue, completion."""
    items = [
        _item(
            "QueueSummary",
            [
                ("Queue", q.name),
                ("LoggedIn", q.staffed),
                ("Available", q.ready),
                ("Callers", q.waiting),
                ("HoldTime", _rounded(q.average_hold)),
                ("TalkTime", _rounded(q.average_talk)),
                ("LongestHoldTime", _whole(q.longest_wait)),
            ],
            request,
            queue_extras(q),
        )
        for q in _selected(snapshot, queue_filter)
    ]
    return [
        list_start(request, SUMMARY_FOLLOWS),
        *items,
        list_complete(request, "QueueSummaryComplete", len(items)),
    ]


def _params(q: QueueSnapshot) -> Pairs:
    return [
        ("Queue", q.name),
        ("Max", q.max_size),
        ("Strategy", q.strategy),
        ("Calls", q.waiting),
        ("Holdtime", _rounded(q.average_hold)),
        ("TalkTime", _rounded(q.average_talk)),
        ("Completed", q.answered),
        ("Abandoned", q.abandoned),
        ("ServiceLevel", q.service_level_seconds),
        ("ServicelevelPerf", _perf(q.answered_within_sl, q.answered)),
        ("ServicelevelPerf2", _perf(q.answered_within_sl + q.abandoned_within_sl, q.answered + q.abandoned)),
        ("Weight", 0),
    ]


def _unknown_if_empty(value: str) -> str:
    # app_queue's QueueEntry says "unknown" for a caller id it does not have.
    return value or "unknown"


def _entry(queue: str, caller: WaitingSnapshot) -> tuple[Pairs, Pairs]:
    fields: Pairs = [
        ("Queue", queue),
        ("Position", caller.position),
        ("Channel", caller.channel),
        ("Uniqueid", caller.uniqueid),
        ("CallerIDNum", _unknown_if_empty(caller.caller_number)),
        ("CallerIDName", _unknown_if_empty(caller.caller_name)),
        ("ConnectedLineNum", "unknown"),
        ("ConnectedLineName", "unknown"),
        ("Wait", _whole(caller.waited)),
        ("Priority", caller.priority),
    ]
    extras: Pairs = [("AcdCallId", caller.call_id), ("AcdCallback", int(caller.is_callback))]
    return fields, extras


def queue_status(
    request: AmiMessage,
    snapshot: CenterSnapshot,
    queue_filter: str | None,
    member_filter: str | None,
) -> list[AmiMessage]:
    """The whole answer to ``QueueStatus``: per queue its params, members, then callers."""
    items: list[AmiMessage] = []
    for q in _selected(snapshot, queue_filter):
        items.append(_item("QueueParams", _params(q), request, queue_extras(q)))
        members: list[MemberView] = members_of(q.name, snapshot.agents)
        for member in members:
            if member_filter and not member.matches(member_filter):
                continue
            items.append(
                _item("QueueMember", member.list_fields(q.name), request, member.acd_fields(snapshot.at))
            )
        waiting = sorted((w for w in snapshot.waiting if w.queue == q.name), key=lambda w: w.position)
        for caller in waiting:
            fields, extras = _entry(q.name, caller)
            items.append(_item("QueueEntry", fields, request, extras))
    return [
        list_start(request, STATUS_FOLLOWS),
        *items,
        list_complete(request, "QueueStatusComplete", len(items)),
    ]
